/**
 * A Prometheus of our own on loopback: scrapes the given targets at the given interval, keeps its
 * data in a temporary folder removed on stop. Tests start one against an exporter they control.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';
import { startServerProcess } from './server-process';

export interface PrometheusServer {
  /** The base URL of its HTTP API, e.g. http://127.0.0.1:PORT */
  url: string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  binary: string;
  /** `host:port` of each /metrics endpoint to scrape, all under one job. */
  targets: string[];
  job?: string;
  scrapeIntervalSeconds?: number;
  /**
   * `--web.config.file`'s basic_auth_users: user name to bcrypt hash. With it, Prometheus answers
   * every HTTP request (readiness included) without those credentials with 401.
   */
  basicAuthUsers?: Record<string, string>;
  /** The Authorization header the readiness check sends (with basicAuthUsers). */
  readinessAuthorization?: string;
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'remediate-prometheus-'));
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  // JSON is YAML: the configuration is written as data, so no target can change its shape.
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    scrape_configs: [
      { job_name: options.job ?? 'remediate-test', scrape_interval: interval, static_configs: [{ targets: options.targets }] },
    ],
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
  const webConfig: string[] = [];
  if (options.basicAuthUsers) {
    writeFileSync(join(dir, 'web.yml'), JSON.stringify({ basic_auth_users: options.basicAuthUsers }));
    webConfig.push(`--web.config.file=${join(dir, 'web.yml')}`);
  }
  const port = await freePort();
  const server = await startServerProcess({
    name: 'Prometheus',
    command: options.binary,
    args: [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...webConfig,
    ],
    host: '127.0.0.1',
    port,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(url, options.readinessAuthorization);
  return {
    url,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Listening is not ready: Prometheus answers 503 on /-/ready until its storage is open. */
async function waitUntilReady(url: string, authorization: string | undefined, deadlineMs = 60_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  const headers: Record<string, string> = authorization ? { authorization } : {};
  for (;;) {
    const ready = await fetch(`${url}/-/ready`, { headers }).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`Prometheus at ${url} was not ready within ${deadlineMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
