/**
 * The engine as a Kubernetes test file uses it: the shipped catalogue, a worker on the local cluster,
 * the dev server; with `metrics`, also the workloads' exporter (demo/workload-metrics.ts, derived from
 * the cluster with the test's model) and a real Prometheus scraping it every second, which the
 * shipped catalogue's metric checks query.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { submitIncident, type Submission } from '../../client/submit';
import { singlePrometheus } from '../../activities/prometheus-servers';
import type { Incident } from '../../dsl/types';
import type { DecisionAnswer } from '../../contracts/types';
import { startWorkloadExporter, type WorkloadExporter, type WorkloadModel } from '../../demo/workload-metrics';
import { startPrometheus, type PrometheusServer } from '../../toolchain/prometheus-server';
import { approveWith, trustOf } from './approvals';
import { startWorker } from './engine';
import { testKey } from './ssh-keys';
import { kubeconfigPath, testConnection } from './kubernetes';
import { shippedCatalogue } from './shipped-catalogue';
import { connectDevServer } from './temporal';

/** Room for every test's remediation at once: the seed's limits (3, 1 service) are the guardrail tests' subject, not these. */
const LIMITS = { maxConcurrent: 10, maxServices: 10 };

export interface KubernetesEngine {
  env: TestWorkflowEnvironment;
  /** The worker's task queue, for submissions that do not go through `submit` (the intake service). */
  taskQueue: string;
  submit(incident: Incident): Promise<Submission>;
  /** Signs and sends alice's approval (the shipped catalogue's sre-oncall group) for the plan the run waits on. */
  approve(submission: Submission, reason: string): Promise<DecisionAnswer>;
  /** With `metrics`: what the checks read, and how to wait until Prometheus has it. */
  metrics?: LiveMetrics;
  stop(): Promise<void>;
}

export interface LiveMetrics {
  exporter: WorkloadExporter;
  prometheus: PrometheusServer;
  /** Waits (real time) until Prometheus's answer to `query` satisfies `ok`, and returns that value. */
  untilPrometheus(query: string, ok: (value: number | undefined) => boolean, timeoutMs?: number): Promise<number | undefined>;
}

export interface KubernetesEngineOptions {
  /** Serve the workloads of these namespaces, as `model` says they behave, to a real Prometheus. */
  metrics?: { namespaces: string[]; model: WorkloadModel };
}

async function startLiveMetrics(options: NonNullable<KubernetesEngineOptions['metrics']>): Promise<LiveMetrics> {
  const exporter = await startWorkloadExporter({ k8s: testConnection(), namespaces: options.namespaces, model: options.model });
  const prometheus = await startPrometheus({
    binary: inject('prometheusPath'),
    targets: [exporter.target],
    scrapeIntervalSeconds: 1,
  }).catch(async (error: unknown) => {
    await exporter.close();
    throw error;
  });
  const read = async (query: string): Promise<number | undefined> => {
    const answer = (await (await fetch(`${prometheus.url}/api/v1/query?${new URLSearchParams({ query })}`)).json()) as {
      data?: { result?: { value?: [number, string] }[] };
    };
    const value = answer.data?.result?.[0]?.value?.[1];
    return value === undefined ? undefined : Number(value);
  };
  return {
    exporter,
    prometheus,
    async untilPrometheus(query, ok, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await read(query);
        if (ok(value)) return value;
        if (Date.now() > deadline) throw new Error(`Prometheus answered ${value} to ${query} for ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
  };
}

/**
 * Real time (the dev server), because the cluster runs in real time: a time-skipping server would
 * race through the verification polls before the controllers had acted.
 */
export async function startKubernetesEngine(options: KubernetesEngineOptions = {}): Promise<KubernetesEngine> {
  const metrics = options.metrics ? await startLiveMetrics(options.metrics) : undefined;
  const env = await connectDevServer();
  const scratch = mkdtempSync(join(tmpdir(), 'remediate-k8s-notify-'));
  const alice = testKey('alice');
  const worker = await startWorker(env, {
    catalogue: shippedCatalogue(),
    operator: { approverGroups: { 'sre-oncall': ['alice'] }, trust: trustOf([alice]) },
    // Notifications to a file, not the test output.
    config: {
      kubernetes: { kubeconfig: kubeconfigPath(), namespaces: null },
      notifyLogPath: join(scratch, 'notifications.jsonl'),
      // The one place these tests' worker learns its Prometheus.
      ...(metrics ? { prometheus: singlePrometheus(metrics.prometheus.url) } : {}),
    },
    policy: { limits: LIMITS },
  });
  return {
    env,
    taskQueue: worker.taskQueue,
    submit: (incident) => submitIncident(env.client, { incident, taskQueue: worker.taskQueue }),
    approve: (submission, reason) => approveWith(submission.handle, alice, new Date(), { reason }),
    ...(metrics ? { metrics } : {}),
    async stop() {
      await worker.stop();
      await env.teardown();
      await metrics?.prometheus.stop();
      await metrics?.exporter.close();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
