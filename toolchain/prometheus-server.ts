/**
 * A Prometheus of our own on loopback: scrapes the given targets at the given interval, keeps its
 * data in a temporary folder removed on stop. Tests start one against an exporter they control;
 * with alert rules and Alertmanager targets it also evaluates and routes alerts, every second.
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

/** One alerting rule, as a rule file writes it. */
export interface AlertRule {
  alert: string;
  expr: string;
  /** How long `expr` must hold before the alert fires, e.g. `2s`; absent: it fires at once. */
  for?: `${number}${'ms' | 's' | 'm' | 'h'}`;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
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
  /** Alerting rules, in one rule group evaluated every evaluation interval (default: the scrape interval). */
  alertRules?: AlertRule[];
  evaluationIntervalSeconds?: number;
  /** `host:port` of each Alertmanager to send firing and resolved alerts to. */
  alertmanagers?: string[];
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'remediate-prometheus-'));
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const evaluation = `${options.evaluationIntervalSeconds ?? options.scrapeIntervalSeconds ?? 1}s`;
  // JSON is YAML: the configuration is written as data, so no target can change its shape.
  const config = {
    global: { scrape_interval: interval, evaluation_interval: evaluation },
    scrape_configs: [
      { job_name: options.job ?? 'remediate-test', scrape_interval: interval, static_configs: [{ targets: options.targets }] },
    ],
    ...alertingConfig(dir, options),
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
      // Re-send firing alerts every second rather than every minute, so a test sees them promptly.
      '--rules.alert.resend-delay=1s',
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

/** The rule file (written beside the configuration) and the Alertmanager targets, when given. */
function alertingConfig(dir: string, options: PrometheusOptions): Record<string, unknown> {
  const section: Record<string, unknown> = {};
  if (options.alertRules?.length) {
    const rules = { groups: [{ name: 'remediate-test-alerts', rules: options.alertRules }] };
    writeFileSync(join(dir, 'rules.yml'), JSON.stringify(rules));
    section.rule_files = [join(dir, 'rules.yml')];
  }
  if (options.alertmanagers?.length) {
    section.alerting = { alertmanagers: [{ api_version: 'v2', static_configs: [{ targets: options.alertmanagers }] }] };
  }
  return section;
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
