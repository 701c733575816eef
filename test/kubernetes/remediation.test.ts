/**
 * The seed's restart-pod, scale-up and rollback-deployment runbooks, as shipped in runbooks/catalogue.yaml,
 * run end to end through the remediation workflow against the local control plane: the actions change
 * real objects, verification reads the live state, and a failed verification rolls the change back.
 */
import type { Submission } from '../../client/submit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesConnection } from '../../kubernetes/connection';
import type { Incident } from '../../dsl/types';
import { statusQuery } from '../../contracts/messages';
import type { RemediationResult } from '../../contracts/types';
import { startKubernetesEngine, type KubernetesEngine } from '../harness/kubernetes-engine';
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
let k8s: KubernetesConnection;
let seq = 0;

beforeAll(async () => {
  k8s = testConnection();
  await ensureNamespace(k8s, NS);
  await ensureNamespace(k8s, 'payments');
  engine = await startKubernetesEngine();
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

describe('scale-up', () => {
  const context = (app: string, metricNow: number) => ({
    deployment: app,
    namespace: NS,
    max_replicas: 5,
    budget_remaining: 10,
    metric_now: metricNow,
    metric_at_detection: 92.5,
  });

  it('adds a replica and verifies the rollout on the cluster', async () => {
    const app = unique('worker');
    await createDeployment(k8s, NS, app, { replicas: 2 });

    const result = await run(incident({ root_cause: 'high_cpu', service: app, context: context(app, 40) }));

    expect(result).toMatchObject({ outcome: 'remediated', runbook: 'scale-up' });
    expect((await rolledOut(k8s, NS, app)).spec?.replicas).toBe(3);
  });

  it('rolls back to the count before when the new replica never becomes Ready (no node has room)', async () => {
    const app = unique('big');
    // Each kwok node has 32 CPUs: two pods of 20 fit, a third cannot be scheduled. The deployment is
    // removed afterwards whatever happened, so a retry (or the next test) finds the nodes empty.
    await createDeployment(k8s, NS, app, { replicas: 2, cpu: '20' });
    try {
      const result = await run(incident({ root_cause: 'high_cpu', service: app, context: context(app, 40) }));

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
  async function deployTwice(app: string) {
    await createDeployment(k8s, NS, app, { replicas: 2, image: 'checkout:1' });
    await setImage(k8s, NS, app, 'checkout:2');
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

  it('after approval returns the deployment to its previous revision', async () => {
    const app = unique('checkout');
    await deployTwice(app);
    const submission = await engine.submit(
      incident({
        root_cause: 'error_rate_spike_after_deploy',
        service: app,
        context: { deployment: app, namespace: NS, error_rate: 0.01, baseline_error_rate: 0.02 },
      }),
    );
    // Nothing happens before a human approves.
    expect(imageOf(await k8s.apps.readNamespacedDeployment({ name: app, namespace: NS }))).toBe('checkout:2');

    const result = await approveAndWait(submission);

    expect(result).toMatchObject({
      outcome: 'remediated',
      runbook: 'rollback-deployment',
      approvals: [expect.objectContaining({ by: 'alice' })],
    });
    const d = await rolledOut(k8s, NS, app);
    expect([imageOf(d), revisionOf(d)]).toEqual(['checkout:1', 3]);
  });

  // error_rate_normalized reads the incident's own numbers, frozen when the alert fired: its failure is
  // no evidence that the undo made things worse, so the undo stays and a human is told (it rolled back before).
  it('does not undo the undo when its verification reads only the incident', async () => {
    const app = unique('checkout');
    await deployTwice(app);
    const submission = await engine.submit(
      incident({
        root_cause: 'error_rate_spike_after_deploy',
        service: app,
        context: { deployment: app, namespace: NS, error_rate: 0.3, baseline_error_rate: 0.01 },
      }),
    );

    const result = await approveAndWait(submission);

    expect(result).toMatchObject({ outcome: 'failed', rolledBack: false });
    expect(messages(result, 'VERIFICATION_INCONCLUSIVE').join()).toContain('error_rate_normalized');
    const d = await rolledOut(k8s, NS, app);
    expect([imageOf(d), revisionOf(d)]).toEqual(['checkout:1', 3]);
  });
});
