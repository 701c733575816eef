/**
 * The seed's restart-pod, scale-up and rollback-deployment runbooks, as shipped in runbooks/catalogue.yaml,
 * run end to end through the remediation workflow against the local control plane: the actions change
 * real objects, verification reads the live state, and a failed verification rolls the change back.
 * The metric checks (metrics_improved, error_rate_normalized) query a real Prometheus scraping the
 * workloads' exporter (demo/workload-metrics.ts), which derives each deployment's error ratio and CPU
 * utilisation from its Ready pods at that moment, as this file's model says each release behaves.
 * No incident carries a metric: what verification decides comes from what the exporter reports.
 */
import type { Submission } from '../../client/submit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesConnection } from '../../kubernetes/connection';
import type { Incident } from '../../dsl/types';
import { statusQuery } from '../../contracts/messages';
import type { RemediationResult } from '../../contracts/types';
import type { WorkloadModel } from '../../demo/workload-metrics';
import { startKubernetesEngine, type KubernetesEngine, type LiveMetrics } from '../harness/kubernetes-engine';
import {
  createDeployment,
  ensureNamespace,
  imageOf,
  livePods,
  removeDeployment,
  reportContainerFailure,
  revisionOf,
  rolledOut,
  setImage,
  testConnection,
  waitUntil,
} from '../harness/kubernetes';

const NS = 'production';
let engine: KubernetesEngine;
let metrics: LiveMetrics;
let k8s: KubernetesConnection;
let seq = 0;

/** How each release behaves (its pods' error ratio, by image) and each deployment's CPU demand: set per test. */
const errorRatioByImage = new Map<string, number>();
const cpuDemandByDeployment = new Map<string, number>();
const model: WorkloadModel = {
  errorRatio: (_deployment, image) => errorRatioByImage.get(image) ?? 0.002,
  cpuDemand: (deployment) => cpuDemandByDeployment.get(deployment),
};

beforeAll(async () => {
  k8s = testConnection();
  await ensureNamespace(k8s, NS);
  await ensureNamespace(k8s, 'payments');
  engine = await startKubernetesEngine({ metrics: { namespaces: [NS], model } });
  metrics = engine.metrics!;
});

afterAll(async () => {
  await engine?.stop();
});

const unique = (base: string) => `${base}-${++seq}-${Date.now().toString(36)}`;

function incident(fields: Pick<Incident, 'root_cause' | 'service' | 'context'>): Incident {
  return { id: `K8S-${unique(fields.root_cause)}`, confidence: 0.95, services: [fields.service], symptoms: [], ...fields };
}

async function run(inc: Incident): Promise<RemediationResult> {
  return await (await engine.submit(inc)).handle.result();
}

function messages(result: RemediationResult, type: string): string[] {
  return result.events.filter((e) => e.type === type).map((e) => e.message);
}

describe('restart-pod', () => {
  it('deletes the crash-looping pod; its Deployment replaces it, and verification sees the replacement Ready', async () => {
    const app = unique('api');
    await createDeployment(k8s, NS, app, { replicas: 3 });
    const [victim] = await livePods(k8s, NS, app);
    await reportContainerFailure(k8s, NS, victim!.metadata!.name!, { lastReason: 'OOMKilled', restarts: 1 });

    const result = await run(
      incident({ root_cause: 'OOMKilled', service: app, context: { pod_name: victim!.metadata!.name!, namespace: NS } }),
    );

    expect(result, JSON.stringify(result.events.map((e) => e.message))).toMatchObject({ outcome: 'remediated', runbook: 'restart-pod' });
    const pods = await livePods(k8s, NS, app);
    expect(pods.map((p) => p.metadata!.uid)).not.toContain(victim!.metadata!.uid);
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))).toBe(true);
  });

  it("leaves a single-replica deployment's pod alone (the reference exercise's guardrail)", async () => {
    const app = unique('solo');
    await createDeployment(k8s, NS, app, { replicas: 1 });
    const [only] = await livePods(k8s, NS, app);
    await reportContainerFailure(k8s, NS, only!.metadata!.name!, { lastReason: 'OOMKilled', restarts: 1 });

    const result = await run(
      incident({ root_cause: 'OOMKilled', service: app, context: { pod_name: only!.metadata!.name!, namespace: NS } }),
    );

    expect(result.outcome).toBe('aborted');
    expect(messages(result, 'PRE_CHECK_FAILED').join()).toContain('replicas_greater_than_one');
    expect((await livePods(k8s, NS, app)).map((p) => p.metadata!.uid)).toEqual([only!.metadata!.uid]);
  });

  it('refuses a pod in a namespace the runbook does not allow, touching nothing', async () => {
    const app = unique('pay');
    await createDeployment(k8s, 'payments', app, { replicas: 3 });
    const [pod] = await livePods(k8s, 'payments', app);

    const result = await run(
      incident({ root_cause: 'OOMKilled', service: app, context: { pod_name: pod!.metadata!.name!, namespace: 'payments' } }),
    );

    expect(result.outcome).toBe('aborted');
    expect(result.events.map((e) => e.message).join('\n')).toContain(
      'namespace "payments" is not one the runbook allows (default, production, staging)',
    );
    expect((await livePods(k8s, 'payments', app)).map((p) => p.metadata!.uid)).toContain(pod!.metadata!.uid);
  });
});

/** The shipped standard-library queries (dsl/stdlib.ts), for reading what the checks read. */
const cpuQuery = (app: string) => `max(namespace_deployment:cpu_utilisation:ratio{namespace="${NS}",deployment="${app}"})`;
const errorQuery = (app: string) => `max(namespace_deployment:http_errors:ratio_rate1m{namespace="${NS}",deployment="${app}"})`;

/** The polls of a post-check, with the value each read from Prometheus. */
function polls(result: RemediationResult, check: string) {
  return result.events
    .filter((e) => e.data?.check === check && (e.type === 'STEP_SUCCEEDED' || e.type === 'STEP_FAILED') && e.data?.stage === 'post')
    .map((e) => ({ type: e.type, probe: e.data?.probe, value: (e.data?.result as { value?: string } | undefined)?.value }));
}

describe('scale-up', () => {
  const context = (app: string) => ({ deployment: app, namespace: NS, max_replicas: 5, budget_remaining: 10 });

  it('adds a replica and verifies the rollout and, on Prometheus, that the CPU utilisation fell', async () => {
    const app = unique('worker');
    cpuDemandByDeployment.set(app, 2.25); // 1.125 on 2 replicas, 0.75 on 3
    await createDeployment(k8s, NS, app, { replicas: 2 });
    await metrics.untilPrometheus(cpuQuery(app), (v) => v === 1.125);

    const result = await run(incident({ root_cause: 'high_cpu', service: app, context: context(app) }));

    expect(result, JSON.stringify(result.events.map((e) => e.message))).toMatchObject({ outcome: 'remediated', runbook: 'scale-up' });
    expect((await rolledOut(k8s, NS, app)).spec?.replicas).toBe(3);
    expect(polls(result, 'metrics_improved').at(-1)).toEqual({ type: 'STEP_SUCCEEDED', probe: `PromQL ${cpuQuery(app)}`, value: '0.75' });
  });

  it('rolls back to the count before when the CPU utilisation stays high on the new replica count', async () => {
    const app = unique('worker');
    cpuDemandByDeployment.set(app, 3); // 1.5 on 2 replicas, still 1 on 3
    await createDeployment(k8s, NS, app, { replicas: 2 });
    await metrics.untilPrometheus(cpuQuery(app), (v) => v === 1.5);

    const result = await run(incident({ root_cause: 'high_cpu', service: app, context: context(app) }));

    expect(result).toMatchObject({ outcome: 'rolled_back', rolledBack: true });
    expect(messages(result, 'VERIFICATION_FAILED').join()).toContain('metrics_improved');
    expect(polls(result, 'metrics_improved').at(-1)).toMatchObject({ type: 'STEP_FAILED', value: '1' });
    expect((await rolledOut(k8s, NS, app)).spec?.replicas).toBe(2);
  });

  it('rolls back to the count before when the new replica never becomes Ready (no node has room)', async () => {
    const app = unique('big');
    // Each kwok node has 32 CPUs: two pods of 20 fit, a third cannot be scheduled. The deployment is
    // removed afterwards whatever happened, so a retry (or the next test) finds the nodes empty.
    await createDeployment(k8s, NS, app, { replicas: 2, cpu: '20' });
    try {
      const result = await run(incident({ root_cause: 'high_cpu', service: app, context: context(app) }));

      expect(result).toMatchObject({ outcome: 'rolled_back', rolledBack: true });
      expect(messages(result, 'VERIFICATION_FAILED').join()).toContain('all_pods_ready');
      const restored = await rolledOut(k8s, NS, app);
      expect(restored.spec?.replicas).toBe(2);
      await waitUntil('the unschedulable pod gone', async () => (await livePods(k8s, NS, app)).length === 2);
    } finally {
      await removeDeployment(k8s, NS, app);
    }
  });
});

describe('rollback-deployment', () => {
  /** Revision 1 (`good`) then revision 2 (`bad`) rolled out; the model says how each release behaves. */
  async function deployTwice(app: string, ratios: { good: number; bad: number }) {
    const images = { good: `registry.example/${app}:1`, bad: `registry.example/${app}:2` };
    errorRatioByImage.set(images.good, ratios.good);
    errorRatioByImage.set(images.bad, ratios.bad);
    await createDeployment(k8s, NS, app, { replicas: 2, image: images.good });
    await setImage(k8s, NS, app, images.bad);
    // The incident is true when it is raised: Prometheus reads the bad release's error ratio.
    await metrics.untilPrometheus(errorQuery(app), (v) => v === ratios.bad);
    return images;
  }

  async function approveAndWait(submission: Submission): Promise<RemediationResult> {
    const status = await waitUntil('awaiting approval', async () => {
      const s = await submission.handle.query(statusQuery);
      return s.phase === 'awaiting_approval' && s;
    });
    expect(status.planHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await engine.approve(submission, 'errors since the deploy')).toMatchObject({ counted: true, principal: 'alice' });
    return await submission.handle.result();
  }

  const spike = (app: string) =>
    incident({ root_cause: 'error_rate_spike_after_deploy', service: app, context: { deployment: app, namespace: NS } });

  it('a rollback that stays rolled back because the metric recovered: verification reads the live error ratio', async () => {
    const app = unique('checkout');
    const images = await deployTwice(app, { good: 0.002, bad: 0.3 });
    const submission = await engine.submit(spike(app));
    // Nothing happens before a human approves.
    expect(imageOf(await k8s.apps.readNamespacedDeployment({ name: app, namespace: NS }))).toBe(images.bad);

    const result = await approveAndWait(submission);

    expect(result, JSON.stringify(result.events.map((e) => e.message))).toMatchObject({
      outcome: 'remediated',
      runbook: 'rollback-deployment',
      rolledBack: false,
      approvals: [expect.objectContaining({ by: 'alice' })],
    });
    // The post-check's recorded result is the live value the exporter reported for the old release.
    expect(polls(result, 'error_rate_normalized').at(-1)).toEqual({
      type: 'STEP_SUCCEEDED',
      probe: `PromQL ${errorQuery(app)}`,
      value: '0.002',
    });
    expect(metrics.exporter.current().find((s) => s.deployment === app)).toMatchObject({ errorRatio: 0.002, readyReplicas: 2 });
    expect(result.events.map((e) => e.type)).not.toContain('ROLLED_BACK');
    expect(result.events.some((e) => e.step === 'restore_revision')).toBe(false);
    // No "undo the undo": the old release stays live, now and a while later.
    const d = await rolledOut(k8s, NS, app);
    expect([imageOf(d), revisionOf(d)]).toEqual([images.good, 3]);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const later = await k8s.apps.readNamespacedDeployment({ name: app, namespace: NS });
    expect([imageOf(later), revisionOf(later)]).toEqual([images.good, 3]);
  });

  it('undoes the undo when the live error ratio stays high on the older release too', async () => {
    const app = unique('checkout');
    const images = await deployTwice(app, { good: 0.25, bad: 0.3 });
    const submission = await engine.submit(spike(app));

    const result = await approveAndWait(submission);

    expect(result).toMatchObject({ outcome: 'rolled_back', rolledBack: true });
    expect(messages(result, 'VERIFICATION_FAILED').join()).toContain('error_rate_normalized');
    const read = polls(result, 'error_rate_normalized');
    expect(read.length).toBeGreaterThan(1);
    expect(read.every((p) => p.type === 'STEP_FAILED')).toBe(true);
    expect(read.at(-1)).toMatchObject({ probe: `PromQL ${errorQuery(app)}`, value: '0.25' });
    expect(result.events.some((e) => e.step === 'restore_revision')).toBe(true);
    const d = await rolledOut(k8s, NS, app);
    expect([imageOf(d), revisionOf(d)]).toEqual([images.bad, 4]);
  });
});
