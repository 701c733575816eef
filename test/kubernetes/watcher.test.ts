/**
 * The pod watcher on the local cluster: a crash-looping pod becomes one incident naming the pod, its
 * Deployment and replica count, submitted as a remediation; repeated updates and a restarted watcher
 * attach to it instead of starting another; a pod below the restart threshold is no incident.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Submission } from '../../client/submit';
import type { KubernetesConnection } from '../../kubernetes/connection';
import type { Incident } from '../../dsl/types';
import { watchPods, type PodWatcher } from '../../sources/k8s-pod-watcher';
import { startKubernetesEngine, type KubernetesEngine } from '../harness/kubernetes-engine';
import {
  createDeployment,
  ensureNamespace,
  kubeconfigPath,
  livePods,
  reportContainerFailure,
  testConnection,
  waitUntil,
} from '../harness/kubernetes';

const NS = 'staging';
let engine: KubernetesEngine;
let k8s: KubernetesConnection;
const watchers: PodWatcher[] = [];

beforeAll(async () => {
  k8s = testConnection();
  await ensureNamespace(k8s, NS);
  engine = await startKubernetesEngine();
});

afterAll(async () => {
  await Promise.all(watchers.map((w) => w.stop()));
  await engine?.stop();
});

/** A watcher on NS whose submissions (and errors) the test can see. */
async function startWatcher(): Promise<{ submitted: { incident: Incident; submission: Submission }[]; errors: Error[] }> {
  const submitted: { incident: Incident; submission: Submission }[] = [];
  const errors: Error[] = [];
  const watcher = watchPods({
    kubeconfig: kubeconfigPath(),
    namespaces: [NS],
    submit: async (incident) => submitted.push({ incident, submission: await engine.submit(incident) }),
    onError: (error) => errors.push(error),
  });
  watchers.push(watcher);
  await watcher.ready;
  return { submitted, errors };
}

describe('watchPods', () => {
  it('submits a crash-looping pod as one incident; repeats attach to the running remediation', async () => {
    const app = `loop-${Date.now().toString(36)}`;
    await createDeployment(k8s, NS, app, { replicas: 3 });
    const [looping, belowThreshold] = (await livePods(k8s, NS, app)).map((p) => p.metadata!.name!);
    const first = await startWatcher();

    await reportContainerFailure(k8s, NS, belowThreshold!, { lastReason: 'Error', restarts: 5 });
    await reportContainerFailure(k8s, NS, looping!, { lastReason: 'Error', restarts: 6 });
    const [firstSubmission] = await waitUntil('an incident', async () => first.submitted.length > 0 && first.submitted);
    const { incident, submission } = firstSubmission!;

    expect(incident).toEqual({
      id: `k8s:${NS}:${looping}:CrashLoopBackOff:r1`,
      root_cause: 'CrashLoopBackOff',
      confidence: 0.95,
      service: app,
      services: [app],
      symptoms: ['CrashLoopBackOff'],
      context: { pod_name: looping, namespace: NS, container: 'app', restarts: 6, deployment: app, replicas: 3 },
    });
    expect(submission.attached).toBe(false);

    // Another restart of the same loop: the same incident, which this watcher already submitted.
    await reportContainerFailure(k8s, NS, looping!, { lastReason: 'Error', restarts: 7 });
    // A watcher that starts now (a restart of the process) lists the pod and joins the remediation.
    const second = await startWatcher();
    const [again] = await waitUntil('the repeat', async () => second.submitted.length > 0 && second.submitted);
    expect(again!.incident.id).toBe(incident.id);
    expect(again!.submission).toMatchObject({ attached: true, workflowId: submission.workflowId });
    expect(first.submitted).toHaveLength(1);
    expect([...first.errors, ...second.errors]).toEqual([]);

    // The seed's guardrail: a pod restarting this often is not restarted again; humans are told.
    const result = await submission.handle.result();
    expect(result).toMatchObject({ outcome: 'aborted', runbook: 'restart-pod' });
    expect(result.events.find((e) => e.type === 'PRE_CHECK_FAILED')?.message).toContain('recent_restarts_less_than_three');
    expect((await livePods(k8s, NS, app)).map((p) => p.metadata!.name)).toContain(looping);
  });

  it('submits an OOM-killed pod, which restart-pod replaces', async () => {
    const app = `oom-${Date.now().toString(36)}`;
    await createDeployment(k8s, NS, app, { replicas: 2 });
    const [victim] = await livePods(k8s, NS, app);
    const watcher = await startWatcher();

    await reportContainerFailure(k8s, NS, victim!.metadata!.name!, { lastReason: 'OOMKilled', restarts: 1 });
    const found = await waitUntil('an OOMKilled incident', async () =>
      watcher.submitted.find((s) => s.incident.context.pod_name === victim!.metadata!.name),
    );

    expect(found.incident).toMatchObject({ root_cause: 'OOMKilled', id: `k8s:${NS}:${victim!.metadata!.name}:OOMKilled:r0` });
    expect(await found.submission.handle.result()).toMatchObject({ outcome: 'remediated', runbook: 'restart-pod' });
    expect((await livePods(k8s, NS, app)).map((p) => p.metadata!.uid)).not.toContain(victim!.metadata!.uid);
  });
});
