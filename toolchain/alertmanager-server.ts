/**
 * An Alertmanager of our own on loopback: one route, one webhook receiver, its notification log and
 * silences in a temporary folder removed on stop, gossip off. Tests point a Prometheus at it and
 * receive its real webhook deliveries.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';
import { startServerProcess } from './server-process';

/** A Prometheus-style duration, e.g. `1s`, `500ms`, `1h`. */
export type Duration = `${number}${'ms' | 's' | 'm' | 'h'}`;

export interface AlertmanagerRoute {
  /** Labels whose values put alerts in one group, and so in one notification. */
  groupBy: readonly string[];
  groupWait: Duration;
  groupInterval: Duration;
  repeatInterval: Duration;
}

/** The bearer token Alertmanager sends: inline, or read from a file (what an operator would deploy). */
export type BearerToken = { credentials: string } | { credentialsFile: string };

export interface WebhookReceiver {
  url: string;
  bearer?: BearerToken;
  /** Notify when a group's alerts resolve too (default true: the engine records resolutions). */
  sendResolved?: boolean;
  /** The CA that signed an https receiver's certificate, when the system's roots do not hold it. */
  caFile?: string;
}

export interface AlertmanagerConfig {
  route: AlertmanagerRoute;
  webhook: WebhookReceiver;
}

export interface AlertmanagerOptions {
  binary: string;
  config: AlertmanagerConfig;
  /** The loopback port to listen on (default: a free one); a Prometheus started earlier may already name it. */
  port?: number;
}

export interface AlertmanagerServer {
  /** The base URL of its HTTP API, e.g. http://127.0.0.1:PORT */
  url: string;
  /** `host:port`, as a Prometheus alerting target. */
  address: string;
  stop(): Promise<void>;
}

const RECEIVER = 'remediate';

/** The configuration file's content: JSON is YAML, so no value can change its shape. */
export function alertmanagerConfigFile(config: AlertmanagerConfig): string {
  const { route, webhook } = config;
  const bearer = webhook.bearer;
  const authorization =
    bearer === undefined
      ? undefined
      : 'credentials' in bearer
        ? { type: 'Bearer', credentials: bearer.credentials }
        : { type: 'Bearer', credentials_file: bearer.credentialsFile };
  return JSON.stringify({
    route: {
      receiver: RECEIVER,
      group_by: route.groupBy,
      group_wait: route.groupWait,
      group_interval: route.groupInterval,
      repeat_interval: route.repeatInterval,
    },
    receivers: [
      {
        name: RECEIVER,
        webhook_configs: [
          {
            url: webhook.url,
            send_resolved: webhook.sendResolved ?? true,
            ...(authorization || webhook.caFile
              ? {
                  http_config: {
                    ...(authorization ? { authorization } : {}),
                    ...(webhook.caFile ? { tls_config: { ca_file: webhook.caFile } } : {}),
                  },
                }
              : {}),
          },
        ],
      },
    ],
  });
}

export async function startAlertmanager(options: AlertmanagerOptions): Promise<AlertmanagerServer> {
  const dir = mkdtempSync(join(tmpdir(), 'remediate-alertmanager-'));
  writeFileSync(join(dir, 'alertmanager.yml'), alertmanagerConfigFile(options.config));
  const port = options.port ?? (await freePort());
  const address = `127.0.0.1:${port}`;
  try {
    const server = await startServerProcess({
      name: 'Alertmanager',
      command: options.binary,
      args: [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=${address}`,
        // An empty listen address turns the gossip cluster off: one instance, no peers, no extra port.
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      host: '127.0.0.1',
      port,
    });
    const url = `http://${address}`;
    await waitUntilReady(url);
    return {
      url,
      address,
      async stop() {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Listening is not ready: Alertmanager answers 503 on /-/ready until its configuration is loaded. */
async function waitUntilReady(url: string, deadlineMs = 60_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`Alertmanager at ${url} was not ready within ${deadlineMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
