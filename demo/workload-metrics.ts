/**
 * The workloads' own metrics: a real Prometheus `/metrics` endpoint that serves, for each deployment
 * in the watched namespaces, the two recording-rule series the standard library's live checks query
 * (dsl/stdlib.ts: `error_rate_normalized`, `metrics_improved`). The values are derived from the
 * cluster's state, read through the Kubernetes API on a short loop, never set by hand: a deployment's
 * error ratio is the mean of its Ready pods' releases' error ratios (so it falls as a rollback's pods
 * replace the bad release's), and its CPU utilisation is its demand spread over its Ready replicas
 * (so it falls as a scale-up's pods become Ready). The demo's Prometheus scrapes it; so do the
 * Kubernetes tests, with a model of their own.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { KubernetesConnection } from '../kubernetes/connection';

/** The series names: the conventions the standard library's queries follow. */
export const WORKLOAD_METRICS = {
  errorRatio: 'namespace_deployment:http_errors:ratio_rate1m',
  cpuUtilisation: 'namespace_deployment:cpu_utilisation:ratio',
} as const;

/** How the workloads behave: what each release's pods answer, and how much CPU each deployment needs. */
export interface WorkloadModel {
  /** The share of requests a Ready pod of `deployment` running `image` fails (0..1). */
  errorRatio(deployment: string, image: string): number;
  /** The deployment's CPU demand in pods' worth (1 = one pod fully busy); undefined: no CPU series. */
  cpuDemand(deployment: string): number | undefined;
}

export interface WorkloadSample {
  namespace: string;
  deployment: string;
  readyReplicas: number;
  /** Absent while no pod is Ready: a deployment that serves nothing has no ratio. */
  errorRatio?: number;
  cpuUtilisation?: number;
}

export interface WorkloadExporter {
  /** `host:port`, as a Prometheus scrape target. */
  target: string;
  /** The values served now (the last refresh). */
  current(): WorkloadSample[];
  /** Resolves after a refresh that began after this call: what is served then reflects the cluster as of now. */
  refreshed(): Promise<void>;
  close(): Promise<void>;
}

export interface WorkloadExporterOptions {
  k8s: KubernetesConnection;
  namespaces: string[];
  model: WorkloadModel;
  /** How often the cluster is read; a scrape serves the last reading. */
  refreshMs?: number;
  /** Called when a reading fails; scrapes then fail (503) until one succeeds, so no stale value is served. */
  onError?: (error: unknown) => void;
}

const isReady = (pod: V1Pod) =>
  !pod.metadata?.deletionTimestamp && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Whether the pod's labels satisfy the deployment's matchLabels (the demo's and tests' selectors are label equalities). */
function selects(deployment: V1Deployment, pod: V1Pod): boolean {
  const wanted = Object.entries(deployment.spec?.selector.matchLabels ?? {});
  const labels = pod.metadata?.labels ?? {};
  return wanted.length > 0 && wanted.every(([key, value]) => labels[key] === value);
}

/** Six significant digits: what a reader compares, without float noise such as 0.6599999999999999. */
const rounded = (value: number) => Number(value.toPrecision(6));

/** One deployment's sample, from its Ready pods. */
export function sampleDeployment(model: WorkloadModel, namespace: string, deployment: V1Deployment, pods: V1Pod[]): WorkloadSample {
  const name = deployment.metadata?.name ?? '';
  const ready = pods.filter((pod) => selects(deployment, pod) && isReady(pod));
  const sample: WorkloadSample = { namespace, deployment: name, readyReplicas: ready.length };
  if (ready.length === 0) return sample;
  const ratios = ready.map((pod) => model.errorRatio(name, pod.spec?.containers[0]?.image ?? ''));
  sample.errorRatio = rounded(ratios.reduce((sum, ratio) => sum + ratio, 0) / ready.length);
  const demand = model.cpuDemand(name);
  if (demand !== undefined) sample.cpuUtilisation = rounded(demand / ready.length);
  return sample;
}

async function readNamespace(options: WorkloadExporterOptions, namespace: string): Promise<WorkloadSample[]> {
  const [deployments, pods] = await Promise.all([
    options.k8s.apps.listNamespacedDeployment({ namespace }),
    options.k8s.core.listNamespacedPod({ namespace }),
  ]);
  return deployments.items.map((d) => sampleDeployment(options.model, namespace, d, pods.items));
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The Prometheus text exposition format (version 0.0.4) of the samples. */
export function exposition(samples: WorkloadSample[]): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, value: (s: WorkloadSample) => number | undefined) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const s of samples) {
      const v = value(s);
      if (v !== undefined) lines.push(`${name}{namespace="${escapeLabel(s.namespace)}",deployment="${escapeLabel(s.deployment)}"} ${v}`);
    }
  };
  gauge(WORKLOAD_METRICS.errorRatio, "Share of the deployment's requests that fail, by its Ready pods' releases.", (s) => s.errorRatio);
  gauge(WORKLOAD_METRICS.cpuUtilisation, "The deployment's CPU demand over its Ready replicas.", (s) => s.cpuUtilisation);
  return `${lines.join('\n')}\n`;
}

export async function startWorkloadExporter(options: WorkloadExporterOptions): Promise<WorkloadExporter> {
  let samples: WorkloadSample[] = [];
  let failure: string | undefined;
  let generation = 0;
  let waiters: { after: number; resolve: () => void }[] = [];
  let stopped = false;
  const refresh = async () => {
    const started = ++generation;
    try {
      samples = (await Promise.all(options.namespaces.map((ns) => readNamespace(options, ns)))).flat();
      failure = undefined;
    } catch (error) {
      samples = [];
      failure = error instanceof Error ? error.message : String(error);
      options.onError?.(error);
    }
    const done = waiters.filter((w) => w.after < started);
    waiters = waiters.filter((w) => w.after >= started);
    for (const w of done) w.resolve();
  };
  await refresh();
  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    timer = setTimeout(() => {
      void refresh().then(() => {
        if (!stopped) loop();
      });
    }, options.refreshMs ?? 500);
  };
  loop();
  const server: Server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    if (failure !== undefined) {
      response.writeHead(503, { 'content-type': 'text/plain' }).end(`cannot read the cluster: ${failure}\n`);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition(samples));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    target: `127.0.0.1:${port}`,
    current: () => samples,
    refreshed: () => new Promise<void>((resolve) => waiters.push({ after: generation, resolve })),
    async close() {
      stopped = true;
      clearTimeout(timer);
      for (const w of waiters) w.resolve();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
