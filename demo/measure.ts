/**
 * The demo measures: its workloads' exporter (demo/workload-metrics.ts, derived from the cluster) in
 * a process of its own (demo/workload-exporter-main.ts), and a Prometheus of its own on loopback
 * scraping it every second. INC002's and INC003's
 * verification query that Prometheus, and the demo prints the live values they read.
 */
import type { AuditEvent } from '../contracts/types';
import { RELEASES } from './cluster';
import { DEMO_NAMESPACE } from './scenario';
import { WORKLOAD_METRICS, type WorkloadModel } from './workload-metrics';

/**
 * What the demo's workloads do: checkout's bad release fails 30% of requests, every other release
 * 0.2%; the worker needs 3 pods' worth of CPU (utilisation 1 on its 3 replicas, 0.6 on 5).
 */
export const DEMO_WORKLOAD_MODEL: WorkloadModel = {
  errorRatio: (deployment, image) => (deployment === 'checkout' && image === RELEASES.bad ? 0.3 : 0.002),
  cpuDemand: (deployment) =>
    new Map([
      ['api-server', 1.5],
      ['worker', 3],
      ['checkout', 2],
    ]).get(deployment),
};

/** Act five's alert: the worker's CPU above 0.8 for 3 s (evaluated every second); the policy maps it to high_cpu. */
export const WORKER_CPU_ALERT = {
  alert: 'WorkerCpuHigh',
  expr: `${WORKLOAD_METRICS.cpuUtilisation}{namespace="${DEMO_NAMESPACE}",deployment="worker"} > 0.8`,
  for: '3s',
  labels: { severity: 'page' },
  annotations: { new_replicas: '5', summary: 'worker CPU utilisation above 0.8' },
} as const;

export interface DemoMeasurement {
  /** `host:port` of the exporter process's /metrics endpoint. */
  exporterTarget: string;
  /** The base URL the worker's prometheus probes query. */
  prometheusUrl: string;
  /** The Prometheus binary that runs, as `describe` tells it. */
  prometheus: string;
  /** What the exporter serves now, one line per deployment, for the newcomer. */
  describeNow(): Promise<string[]>;
  stop(): Promise<void>;
}

/** The exporter and a Prometheus scraping it every second; `kubeconfig` null: the exporter reads client-node's defaults, as the worker does. */
export async function startDemoMeasurement(
  kubeconfig: string | null,
  log: (line: string) => void,
  alerting?: { alertmanager: string },
): Promise<DemoMeasurement> {
  const { ensurePrometheus } = await import('../toolchain/prometheus');
  const { describe } = await import('../toolchain/index');
  const { startPrometheus } = await import('../toolchain/prometheus-server');
  const binary = await ensurePrometheus(log);
  const exporter = await startExporterProcess(kubeconfig);
  try {
    const server = await startPrometheus({
      binary: binary.path,
      targets: [exporter.target],
      job: 'remediate-demo',
      scrapeIntervalSeconds: 1,
      ...(alerting ? { alertRules: [WORKER_CPU_ALERT], alertmanagers: [alerting.alertmanager] } : {}),
    });
    return {
      exporterTarget: exporter.target,
      prometheusUrl: server.url,
      prometheus: describe('Prometheus', binary),
      describeNow: async () => describeExposition(await (await fetch(`http://${exporter.target}/metrics`)).text()),
      async stop() {
        await server.stop();
        await exporter.stop();
      },
    };
  } catch (error) {
    await exporter.stop();
    throw error;
  }
}

/** demo/workload-exporter-main.ts as a child process (through tsx, from the source tree), once it says where it listens. */
async function startExporterProcess(kubeconfig: string | null): Promise<{ target: string; stop(): Promise<void> }> {
  const { spawn } = await import('node:child_process');
  const { sourceFile } = await import('../toolchain/source-file');
  const entry = sourceFile('./workload-exporter-main.ts', import.meta.url);
  const args = ['--import', 'tsx', entry, '--namespace', DEMO_NAMESPACE, ...(kubeconfig ? ['--kubeconfig', kubeconfig] : [])];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const target = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`the workload exporter did not start within 60 s: ${stderr}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const listening = /^listening (\S+)$/m.exec(stdout);
      if (!listening) return;
      clearTimeout(timer);
      resolve(listening[1]!);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the workload exporter exited (code ${code}) before listening: ${stderr}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { target, stop };
}

/** `deployment: error ratio 0.3, CPU utilisation 0.5` per deployment, from the exposition text. */
function describeExposition(text: string): string[] {
  const byDeployment = new Map<string, string[]>();
  for (const [, metric, deployment, value] of text.matchAll(/^([\w:]+)\{namespace="[^"]*",deployment="([^"]*)"\} (\S+)$/gm)) {
    const name = METRIC_NAMES.get(metric!) ?? metric!;
    byDeployment.set(deployment!, [...(byDeployment.get(deployment!) ?? []), `${name} ${value}`]);
  }
  return [...byDeployment].map(([deployment, values]) => `${deployment}: ${values.join(', ')}`);
}

const METRIC_NAMES = new Map<string, string>([
  [WORKLOAD_METRICS.errorRatio, 'error ratio'],
  [WORKLOAD_METRICS.cpuUtilisation, 'CPU utilisation'],
]);

/**
 * The line the demo prints for a post-check that read Prometheus, from its audit event: the value
 * it read, what the condition said of it, and the query. Undefined for any other event.
 */
export function liveVerificationLine(event: AuditEvent): string | undefined {
  const data = event.data;
  if (!data || data.stage !== 'post' || typeof data.probe !== 'string' || !data.probe.startsWith('PromQL ')) return undefined;
  if (event.type !== 'STEP_SUCCEEDED' && event.type !== 'STEP_FAILED') return undefined;
  const result: unknown = data.result;
  const value = result && typeof result === 'object' && 'value' in result && typeof result.value === 'string' ? result.value : undefined;
  const query = data.probe.slice('PromQL '.length);
  const metric = [...METRIC_NAMES].find(([name]) => query.includes(`${name}{`))?.[1] ?? String(data.check);
  const read = value === undefined ? `${metric}: nothing read` : `${metric} ${value}`;
  const verdict = event.type === 'STEP_SUCCEEDED' ? 'verified' : 'not yet';
  return `${verdict}: ${read} (Prometheus, live), ${String(data.check)}: ${String(data.condition)} ${event.type === 'STEP_SUCCEEDED' ? 'holds' : 'does not hold'}`;
}
