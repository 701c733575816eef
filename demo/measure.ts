/**
 * The demo measures: its workloads' exporter (demo/workload-metrics.ts), derived from the cluster,
 * and a Prometheus of its own on loopback scraping it every second. INC002's and INC003's
 * verification query that Prometheus, and the demo prints the live values they read.
 */
import type { AuditEvent } from '../contracts/types';
import type { KubernetesConnection } from '../kubernetes/connection';
import { RELEASES } from './cluster';
import { DEMO_NAMESPACE } from './scenario';
import { startWorkloadExporter, WORKLOAD_METRICS, type WorkloadExporter, type WorkloadModel } from './workload-metrics';

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

export interface DemoMeasurement {
  exporter: WorkloadExporter;
  /** The base URL the worker's prometheus probes query. */
  prometheusUrl: string;
  /** The Prometheus binary that runs, as `describe` tells it. */
  prometheus: string;
  /** What the exporter serves now, one line per deployment, for the newcomer. */
  describeNow(): string[];
  stop(): Promise<void>;
}

export async function startDemoMeasurement(k8s: KubernetesConnection, log: (line: string) => void): Promise<DemoMeasurement> {
  const { ensurePrometheus } = await import('../toolchain/prometheus');
  const { describe } = await import('../toolchain/index');
  const { startPrometheus } = await import('../toolchain/prometheus-server');
  const binary = await ensurePrometheus(log);
  const exporter = await startWorkloadExporter({ k8s, namespaces: [DEMO_NAMESPACE], model: DEMO_WORKLOAD_MODEL });
  try {
    const server = await startPrometheus({
      binary: binary.path,
      targets: [exporter.target],
      job: 'remediate-demo',
      scrapeIntervalSeconds: 1,
    });
    return {
      exporter,
      prometheusUrl: server.url,
      prometheus: describe('Prometheus', binary),
      describeNow: () =>
        exporter
          .current()
          .map(
            (s) =>
              `${s.deployment}: error ratio ${s.errorRatio ?? 'none'}, CPU utilisation ${s.cpuUtilisation ?? 'none'} on ${s.readyReplicas} Ready replicas`,
          ),
      async stop() {
        await server.stop();
        await exporter.close();
      },
    };
  } catch (error) {
    await exporter.close();
    throw error;
  }
}

const METRIC_NAMES: Record<string, string> = {
  [WORKLOAD_METRICS.errorRatio]: 'error ratio',
  [WORKLOAD_METRICS.cpuUtilisation]: 'CPU utilisation',
};

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
  const metric = Object.entries(METRIC_NAMES).find(([name]) => query.includes(`${name}{`))?.[1] ?? String(data.check);
  const read = value === undefined ? `${metric}: nothing read` : `${metric} ${value}`;
  const verdict = event.type === 'STEP_SUCCEEDED' ? 'verified' : 'not yet';
  return `${verdict}: ${read} (Prometheus, live), ${String(data.check)}: ${String(data.condition)} ${event.type === 'STEP_SUCCEEDED' ? 'holds' : 'does not hold'}`;
}
