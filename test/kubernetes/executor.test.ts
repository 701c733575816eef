/**
 * The kubernetes executor against the local control plane: reads report the live objects, changes
 * really happen (the deployment controller, scheduler and kwok act on them), retries with the same
 * idempotency key change nothing twice, and namespaces outside the allow-lists are refused untouched.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { runExecutor } from '../../activities/executors';
import type { KubernetesConnection } from '../../activities/kubernetes/connection';
import type { ExecutorResult, ResolvedKubernetes } from '../../dsl/types';
import { createDeployment, ensureNamespace, imageOf, livePods, revisionOf, rolledOut, setImage, testConnection, waitUntil } from '../harness/kubernetes';

const NS = 'production';
let k8s: KubernetesConnection;
let seq = 0;

beforeAll(async () => {
  k8s = testConnection();
  await ensureNamespace(k8s, NS);
  await ensureNamespace(k8s, 'payments');
});

/** A deployment name no other test uses. */
const unique = (base: string) => `${base}-${++seq}-${Date.now().toString(36)}`;

function run(spec: Omit<ResolvedKubernetes, 'executor' | 'namespaces'> & { namespaces?: string[] }, options: { key?: string; connection?: KubernetesConnection } = {}) {
  return runExecutor({ executor: 'kubernetes', namespaces: [NS], ...spec } as ResolvedKubernetes, {
    timeoutMs: 15_000,
    idempotencyKey: options.key,
    kubernetes: () => options.connection ?? k8s,
  });
}

function json(result: ExecutorResult): Record<string, unknown> {
  expect(result, result.executor === 'kubernetes' ? result.message : '').toMatchObject({ executor: 'kubernetes', ok: true });
  return (result as { json: Record<string, unknown> }).json;
}

const read = (name: string): Promise<V1Deployment> => k8s.apps.readNamespacedDeployment({ name, namespace: NS });

describe('reads', () => {
  it('get_deployment and get_pod describe the live objects; missing ones are {exists: false}', async () => {
    const name = unique('web');
    await createDeployment(k8s, NS, name, { replicas: 3, image: 'app:1' });
    await setImage(k8s, NS, name, 'app:2');
    const deployment = json(await run({ op: 'get_deployment', namespace: NS, name }));
    expect(deployment).toMatchObject({
      exists: true,
      replicas: 3,
      readyReplicas: 3,
      updatedReplicas: 3,
      complete: true,
      revision: 2,
      previousRevision: 1,
      revisions: [1, 2],
      images: ['app:2'],
    });
    const pods = await livePods(k8s, NS, name);
    expect((deployment.pods as { uid: string }[]).map((p) => p.uid).sort()).toEqual(pods.map((p) => p.metadata!.uid).sort());

    const pod = json(await run({ op: 'get_pod', namespace: NS, name: pods[0]!.metadata!.name! }));
    expect(pod).toMatchObject({ exists: true, ready: true, restarts: 0, restartsLastHour: 0, deployment: name, replicas: 3, controller: { kind: 'ReplicaSet' } });

    expect(json(await run({ op: 'get_pod', namespace: NS, name: 'nope' }))).toEqual({ exists: false });
    expect(json(await run({ op: 'get_deployment', namespace: NS, name: 'nope' }))).toEqual({ exists: false });
  });
});

describe('changes', () => {
  it('delete_pod deletes the pod, its ReplicaSet replaces it, and deleting it again is success', async () => {
    const name = unique('del');
    await createDeployment(k8s, NS, name, { replicas: 2 });
    const [victim] = await livePods(k8s, NS, name);
    const pod = victim!.metadata!.name!;
    expect(json(await run({ op: 'delete_pod', namespace: NS, name: pod }, { key: 'k-del' }))).toMatchObject({
      deleted: true,
      uid: victim!.metadata!.uid,
      deployment: name,
      replicas: 2,
    });
    await waitUntil('the pod gone', async () => (await livePods(k8s, NS, name)).every((p) => p.metadata!.uid !== victim!.metadata!.uid));
    await rolledOut(k8s, NS, name);
    expect(json(await run({ op: 'delete_pod', namespace: NS, name: pod }, { key: 'k-del' }))).toMatchObject({ deleted: false });
  });

  it('scale by a delta returns the count before; a retry with the same key does not scale twice', async () => {
    const name = unique('scale');
    await createDeployment(k8s, NS, name, { replicas: 2 });
    const first = json(await run({ op: 'scale', namespace: NS, name, delta: '1' }, { key: 'wf-1/scale' }));
    expect(first).toEqual({ previousReplicas: 2, replicas: 3 });
    expect(json(await run({ op: 'scale', namespace: NS, name, delta: '1' }, { key: 'wf-1/scale' }))).toEqual({ ...first, alreadyApplied: true });
    expect((await rolledOut(k8s, NS, name)).spec?.replicas).toBe(3);
    // Another step (another key) is another change.
    expect(json(await run({ op: 'scale', namespace: NS, name, replicas: '0' }, { key: 'wf-1/rollback/restore' }))).toEqual({ previousReplicas: 3, replicas: 0 });
    await waitUntil('every pod gone', async () => (await livePods(k8s, NS, name)).length === 0);
  });

  it('refuses to scale below zero and counts that are not whole numbers, changing nothing', async () => {
    const name = unique('bad');
    await createDeployment(k8s, NS, name, { replicas: 1 });
    for (const [field, value, message] of [
      ['delta', '-2', 'cannot scale below zero: 1 replicas now, delta -2'],
      ['replicas', '2.5', 'replicas must be a whole number of at least 0, got "2.5"'],
      ['replicas', '{steps.capture.replicas}', 'replicas must be a whole number'],
    ] as const) {
      const result = await run({ op: 'scale', namespace: NS, name, [field]: value });
      expect(result).toMatchObject({ ok: false, status: 0, message: expect.stringContaining(message) });
    }
    expect((await read(name)).spec?.replicas).toBe(1);
  });

  it('rollout_restart rolls out new pods like kubectl (restartedAt annotation), once per key', async () => {
    const name = unique('restart');
    await createDeployment(k8s, NS, name, { replicas: 2 });
    const before = (await livePods(k8s, NS, name)).map((p) => p.metadata!.uid);
    const first = json(await run({ op: 'rollout_restart', namespace: NS, name }, { key: 'wf-2/restart' }));
    expect(first).toMatchObject({ fromRevision: 1, restartedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    expect(json(await run({ op: 'rollout_restart', namespace: NS, name }, { key: 'wf-2/restart' }))).toEqual({ ...first, alreadyApplied: true });
    const after = await rolledOut(k8s, NS, name);
    expect(revisionOf(after)).toBe(2);
    expect(after.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(first.restartedAt);
    await waitUntil('only new pods', async () => (await livePods(k8s, NS, name)).every((p) => !before.includes(p.metadata!.uid!)));
  });

  it('rollout_undo returns to the previous revision, and to_revision undoes the undo', async () => {
    const name = unique('undo');
    await createDeployment(k8s, NS, name, { replicas: 2, image: 'app:1' });
    await setImage(k8s, NS, name, 'app:2');
    const undo = json(await run({ op: 'rollout_undo', namespace: NS, name }, { key: 'wf-3/undo' }));
    expect(undo).toEqual({ fromRevision: 2, toRevision: 1, changed: true });
    expect(json(await run({ op: 'rollout_undo', namespace: NS, name }, { key: 'wf-3/undo' }))).toMatchObject({ alreadyApplied: true });
    let d = await rolledOut(k8s, NS, name);
    expect([imageOf(d), revisionOf(d)]).toEqual(['app:1', 3]);
    expect(d.spec?.template.metadata?.labels).toEqual({ app: name });

    expect(json(await run({ op: 'rollout_undo', namespace: NS, name, toRevision: String(undo.fromRevision) }, { key: 'wf-3/rollback/restore' }))).toEqual({
      fromRevision: 3,
      toRevision: 2,
      changed: true,
    });
    d = await rolledOut(k8s, NS, name);
    expect([imageOf(d), revisionOf(d)]).toEqual(['app:2', 4]);
  });

  it('rollout_undo refuses without history, for an unknown revision and on a paused deployment', async () => {
    const name = unique('nohist');
    await createDeployment(k8s, NS, name, { replicas: 1 });
    expect(await run({ op: 'rollout_undo', namespace: NS, name })).toMatchObject({ ok: false, message: expect.stringContaining('no rollout history') });
    expect(await run({ op: 'rollout_undo', namespace: NS, name, toRevision: '7' })).toMatchObject({ ok: false, message: expect.stringContaining('has no revision 7') });
    await setImage(k8s, NS, name, 'app:2');
    const paused = await read(name);
    paused.spec!.paused = true;
    await k8s.apps.replaceNamespacedDeployment({ name, namespace: NS, body: paused });
    expect(await run({ op: 'rollout_undo', namespace: NS, name })).toMatchObject({ ok: false, message: expect.stringContaining('paused') });
    expect(imageOf(await read(name))).toBe('app:2');
  });

  it('a missing deployment is a failed result with the API status', async () => {
    expect(await run({ op: 'scale', namespace: NS, name: 'nope', delta: '1' })).toMatchObject({ ok: false, status: 404 });
  });
});

describe('namespace scoping', () => {
  it("refuses a namespace the runbook does not list, without touching it", async () => {
    const name = unique('fenced');
    await createDeployment(k8s, 'payments', name, { replicas: 2 });
    const result = await run({ op: 'scale', namespace: 'payments', name, replicas: '0' });
    expect(result).toMatchObject({ ok: false, status: 0, message: 'scale payments/' + name + ': namespace "payments" is not one the runbook allows (production)' });
    expect((await k8s.apps.readNamespacedDeployment({ name, namespace: 'payments' })).spec?.replicas).toBe(2);
  });

  it("refuses a namespace the runbook lists but the operator's REMEDIATE_K8S_NAMESPACES does not", async () => {
    const name = unique('operator');
    await createDeployment(k8s, 'payments', name, { replicas: 2 });
    const result = await run({ op: 'scale', namespace: 'payments', name, replicas: '0', namespaces: ['production', 'payments'] }, { connection: testConnection(['production']) });
    expect(result).toMatchObject({ ok: false, message: expect.stringContaining('not one the operator allows (REMEDIATE_K8S_NAMESPACES: production)') });
    expect((await k8s.apps.readNamespacedDeployment({ name, namespace: 'payments' })).spec?.replicas).toBe(2);
    // Both lists allow it: it acts.
    expect(json(await run({ op: 'scale', namespace: 'payments', name, replicas: '1', namespaces: ['payments'] }, { connection: testConnection(['payments']) }))).toEqual({
      previousReplicas: 2,
      replicas: 1,
    });
  });
});
