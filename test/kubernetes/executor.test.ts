/**
 * The kubernetes executor against the local control plane: reads report the live objects, changes
 * really happen (the deployment controller, scheduler and kwok act on them), retries with the same
 * idempotency key change nothing twice, and namespaces outside the allow-lists are refused untouched.
 */
import type { CoreV1Api, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { runExecutor } from '../../activities/executors';
import type { KubernetesConnection } from '../../kubernetes/connection';
import type { ExecutorResult, ResolvedKubernetes } from '../../dsl/types';
import {
  createDeployment,
  ensureNamespace,
  imageOf,
  livePods,
  revisionOf,
  rolledOut,
  setImage,
  testConnection,
  waitUntil,
} from '../harness/kubernetes';

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

function run(
  spec: Omit<ResolvedKubernetes, 'executor' | 'namespaces'> & { namespaces?: string[] },
  options: { key?: string; connection?: KubernetesConnection } = {},
) {
  return runExecutor(
    { executor: 'kubernetes', namespaces: [NS], ...spec },
    {
      timeoutMs: 15_000,
      idempotencyKey: options.key,
      kubernetes: () => options.connection ?? k8s,
    },
  );
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
    expect(pod).toMatchObject({
      exists: true,
      ready: true,
      restarts: 0,
      restartsLastHour: 0,
      deployment: name,
      replicas: 3,
      controller: { kind: 'ReplicaSet' },
    });

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
    expect(json(await run({ op: 'scale', namespace: NS, name, delta: '1' }, { key: 'wf-1/scale' }))).toEqual({
      ...first,
      alreadyApplied: true,
    });
    expect((await rolledOut(k8s, NS, name)).spec?.replicas).toBe(3);
    // Another step (another key) is another change.
    expect(json(await run({ op: 'scale', namespace: NS, name, replicas: '0' }, { key: 'wf-1/rollback/restore' }))).toEqual({
      previousReplicas: 3,
      replicas: 0,
    });
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
    expect(json(await run({ op: 'rollout_restart', namespace: NS, name }, { key: 'wf-2/restart' }))).toEqual({
      ...first,
      alreadyApplied: true,
    });
    const after = await rolledOut(k8s, NS, name);
    expect(revisionOf(after)).toBe(2);
    expect(after.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(first.restartedAt);
    await waitUntil('only new pods', async () => (await livePods(k8s, NS, name)).every((p) => !before.includes(p.metadata!.uid)));
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

    expect(
      json(await run({ op: 'rollout_undo', namespace: NS, name, toRevision: String(undo.fromRevision) }, { key: 'wf-3/rollback/restore' })),
    ).toEqual({
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
    expect(await run({ op: 'rollout_undo', namespace: NS, name })).toMatchObject({
      ok: false,
      message: expect.stringContaining('no rollout history'),
    });
    expect(await run({ op: 'rollout_undo', namespace: NS, name, toRevision: '7' })).toMatchObject({
      ok: false,
      message: expect.stringContaining('has no revision 7'),
    });
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
  it('refuses a namespace the runbook does not list, without touching it', async () => {
    const name = unique('fenced');
    await createDeployment(k8s, 'payments', name, { replicas: 2 });
    const result = await run({ op: 'scale', namespace: 'payments', name, replicas: '0' });
    expect(result).toMatchObject({
      ok: false,
      status: 0,
      message: 'scale payments/' + name + ': namespace "payments" is not one the runbook allows (production)',
    });
    expect((await k8s.apps.readNamespacedDeployment({ name, namespace: 'payments' })).spec?.replicas).toBe(2);
  });

  it("refuses a namespace the runbook lists but the operator's REMEDIATE_K8S_NAMESPACES does not", async () => {
    const name = unique('operator');
    await createDeployment(k8s, 'payments', name, { replicas: 2 });
    const result = await run(
      { op: 'scale', namespace: 'payments', name, replicas: '0', namespaces: ['production', 'payments'] },
      { connection: testConnection(['production']) },
    );
    expect(result).toMatchObject({
      ok: false,
      message: expect.stringContaining('not one the operator allows (REMEDIATE_K8S_NAMESPACES: production)'),
    });
    expect((await k8s.apps.readNamespacedDeployment({ name, namespace: 'payments' })).spec?.replicas).toBe(2);
    // Both lists allow it: it acts.
    expect(
      json(
        await run(
          { op: 'scale', namespace: 'payments', name, replicas: '1', namespaces: ['payments'] },
          { connection: testConnection(['payments']) },
        ),
      ),
    ).toEqual({
      previousReplicas: 2,
      replicas: 1,
    });
  });
});

/** A connection whose DELETEs of pods are counted (each deleteNamespacedPod call is one DELETE request), and whose pod reads may be slowed. */
function countingConnection(options: { readDelayMs?: number } = {}): { connection: KubernetesConnection; deletes: () => number } {
  let deletes = 0;
  const core = new Proxy(k8s.core, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property === 'deleteNamespacedPod') {
        return (...args: Parameters<CoreV1Api['deleteNamespacedPod']>) => {
          deletes++;
          return target.deleteNamespacedPod(...args);
        };
      }
      if (property === 'readNamespacedPod' && options.readDelayMs) {
        return async (...args: Parameters<CoreV1Api['readNamespacedPod']>) => {
          await new Promise((resolve) => setTimeout(resolve, options.readDelayMs));
          return await target.readNamespacedPod(...args);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { connection: { ...k8s, core }, deletes: () => deletes };
}

/** Runs the executor as attempt `attempt` of a Temporal activity whose earlier attempt heartbeat `details`; returns the result and what it heartbeat. */
async function asAttempt(
  attempt: number,
  details: unknown,
  work: () => Promise<ExecutorResult>,
): Promise<{ result: ExecutorResult; heartbeat: unknown }> {
  // Through JSON, as Temporal's payload converter hands details to the next attempt.
  const env = new MockActivityEnvironment({
    attempt,
    heartbeatDetails: details === undefined ? undefined : JSON.parse(JSON.stringify(details)),
  });
  let heartbeat: unknown;
  env.on('heartbeat', (d: unknown) => (heartbeat = d));
  const result: ExecutorResult = await env.run(work);
  return { result, heartbeat };
}

const readPod = async (name: string): Promise<V1Pod | undefined> => {
  try {
    return await k8s.core.readNamespacedPod({ name, namespace: NS });
  } catch {
    return undefined;
  }
};

async function createBarePod(name: string): Promise<string> {
  await k8s.core.createNamespacedPod({
    namespace: NS,
    body: { metadata: { name, labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] } },
  });
  return (
    await waitUntil(`pod ${name} running`, async () => ((await readPod(name))?.status?.phase === 'Running' ? readPod(name) : undefined))
  ).metadata!.uid!;
}

const gone = (name: string, uid: string) =>
  waitUntil(`pod ${name} (${uid}) gone`, async () => (await readPod(name))?.metadata?.uid !== uid);

describe('retries of delete_pod (heartbeat details)', () => {
  it('a retry after a StatefulSet recreated web-0 leaves the replacement alone and says the first attempt deleted it', async () => {
    const name = unique('web');
    const pod = `${name}-0`;
    await k8s.apps.createNamespacedStatefulSet({
      namespace: NS,
      body: {
        metadata: { name },
        spec: {
          replicas: 1,
          serviceName: name,
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] } },
        },
      },
    });
    const ready = (p: V1Pod | undefined) =>
      p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && !p.metadata?.deletionTimestamp;
    const first = await waitUntil(`${pod} ready`, async () => {
      const p = await readPod(pod);
      return ready(p) ? p : undefined;
    });
    const uid = first.metadata!.uid!;
    const { connection, deletes } = countingConnection();
    const key = `wf-sts-${name}/delete_pod`;
    const step = () => run({ op: 'delete_pod', namespace: NS, name: pod }, { key, connection });

    const attempt1 = await asAttempt(1, undefined, step);
    expect(json(attempt1.result)).toEqual({ deleted: true, uid, controller: { kind: 'StatefulSet', name }, replicas: 1 });
    expect(attempt1.heartbeat).toMatchObject({ op: 'delete_pod', key, namespace: NS, name: pod, uid });

    // The StatefulSet controller recreates web-0 under the same name, with a new uid.
    const replacement = await waitUntil(`${pod} recreated`, async () => {
      const p = await readPod(pod);
      return p && p.metadata!.uid !== uid && !p.metadata?.deletionTimestamp ? p : undefined;
    });
    const newUid = replacement.metadata!.uid!;

    // The retry of the same action (its first attempt "timed out" after the API server accepted the DELETE).
    const attempt2 = await asAttempt(2, attempt1.heartbeat, step);
    expect(attempt2.result).toMatchObject({
      ok: true,
      message: `delete_pod ${NS}/${pod}: already done by an earlier attempt of this step`,
    });
    expect(json(attempt2.result)).toEqual({
      deleted: true,
      uid,
      controller: { kind: 'StatefulSet', name },
      replicas: 1,
      alreadyApplied: true,
      replacementUid: newUid,
    });
    expect(deletes()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = await readPod(pod);
    expect([after?.metadata?.uid, after?.metadata?.deletionTimestamp]).toEqual([newUid, undefined]);
    await k8s.apps.deleteNamespacedStatefulSet({ name, namespace: NS });
  });

  it('a retry deletes the recorded pod if the first attempt stopped before its DELETE, and only that uid', async () => {
    const pod = unique('solo');
    const uid = await createBarePod(pod);
    const key = `wf-solo-${pod}/delete_pod`;
    const { connection, deletes } = countingConnection();
    const step = () => run({ op: 'delete_pod', namespace: NS, name: pod }, { key, connection });
    // What a first attempt records just before sending the DELETE (it was cut off right there).
    const recorded = { op: 'delete_pod', key, namespace: NS, name: pod, uid, workload: {} };

    const attempt2 = await asAttempt(2, recorded, step);
    expect(json(attempt2.result)).toEqual({ deleted: true, uid });
    expect(deletes()).toBe(1);
    await gone(pod, uid);

    // A pod of the same name created meanwhile is not the one this action was about.
    const newUid = await createBarePod(pod);
    const attempt3 = await asAttempt(3, recorded, step);
    expect(json(attempt3.result)).toEqual({ deleted: true, uid, alreadyApplied: true, replacementUid: newUid });
    expect(deletes()).toBe(1);

    // A record of another action (another key) is not this action's: its first attempt deletes the pod it finds.
    const other = await asAttempt(2, { ...recorded, key: 'wf-other/delete_pod' }, () =>
      run({ op: 'delete_pod', namespace: NS, name: pod }, { key: 'wf-solo-other', connection }),
    );
    expect(json(other.result)).toEqual({ deleted: true, uid: newUid });
    expect(deletes()).toBe(2);
    await gone(pod, newUid);
  });

  it('an attempt that gave up (deadline) before its DELETE sends none later, and records nothing', async () => {
    const pod = unique('slow');
    const uid = await createBarePod(pod);
    const { connection, deletes } = countingConnection({ readDelayMs: 1_500 });
    const attempt1 = await asAttempt(1, undefined, () =>
      runExecutor(
        { executor: 'kubernetes', namespaces: [NS], op: 'delete_pod', namespace: NS, name: pod },
        {
          timeoutMs: 500,
          idempotencyKey: 'wf-slow/delete_pod',
          kubernetes: () => connection,
        },
      ),
    );
    expect(attempt1.result).toMatchObject({ ok: false, status: 0, message: expect.stringContaining('no answer within 500 ms') });
    // The slow read answers after the deadline: the abandoned attempt must not delete then.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(deletes()).toBe(0);
    expect(attempt1.heartbeat).toBeUndefined();
    expect((await readPod(pod))?.metadata?.uid).toBe(uid);
    await k8s.core.deleteNamespacedPod({ name: pod, namespace: NS, body: { gracePeriodSeconds: 0 } });
  });
});

describe('retries of deployment changes (annotation record)', () => {
  it('a change by another action between an attempt and its retry does not make the retry change the deployment again', async () => {
    const name = unique('hist');
    await createDeployment(k8s, NS, name, { replicas: 2 });
    const scaleA = json(await run({ op: 'scale', namespace: NS, name, delta: '1' }, { key: 'wf-a/scale' }));
    expect(scaleA).toEqual({ previousReplicas: 2, replicas: 3 });
    // Another workflow scales the same deployment before A's retry runs.
    expect(json(await run({ op: 'scale', namespace: NS, name, delta: '1' }, { key: 'wf-b/scale' }))).toEqual({
      previousReplicas: 3,
      replicas: 4,
    });
    expect(json(await run({ op: 'scale', namespace: NS, name, delta: '1' }, { key: 'wf-a/scale' }))).toEqual({
      ...scaleA,
      alreadyApplied: true,
    });
    expect((await read(name)).spec?.replicas).toBe(4);

    const restart = json(await run({ op: 'rollout_restart', namespace: NS, name }, { key: 'wf-c/restart' }));
    expect(json(await run({ op: 'scale', namespace: NS, name, replicas: '3' }, { key: 'wf-d/scale' }))).toEqual({
      previousReplicas: 4,
      replicas: 3,
    });
    const generation = (await read(name)).metadata?.generation;
    expect(json(await run({ op: 'rollout_restart', namespace: NS, name }, { key: 'wf-c/restart' }))).toEqual({
      ...restart,
      alreadyApplied: true,
    });
    const after = await read(name);
    expect(after.metadata?.generation).toBe(generation);
    expect(after.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(restart.restartedAt);
    // The record keeps every recent change, newest last.
    const record = JSON.parse(after.metadata!.annotations!['remediate.dev/last-action']!) as { key: string }[];
    expect(record.map((r) => r.key)).toEqual(['wf-a/scale', 'wf-b/scale', 'wf-c/restart', 'wf-d/scale']);
  });
});
