/**
 * The standard library's live checks against the local control plane: get_pod of a pod that is gone
 * reports the Deployment that replaced it (the reference exercise's restart-pod deletes the pod it
 * names, and its replacement has another name), and a read in a runbook that lists no namespaces reads
 * only where the operator allows (REMEDIATE_K8S_NAMESPACES), refused when the operator allows none.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runExecutor } from '../../activities/executors';
import { evaluateCondition } from '../../dsl/cel';
import { renderExecutor } from '../../dsl/render';
import type { CheckStep, ExecutorResult, Incident, ResolvedKubernetes } from '../../dsl/types';
import type { KubernetesConnection } from '../../kubernetes/connection';
import { compileOk, SEED_RUNBOOKS } from '../dsl/helpers';
import { createDeployment, ensureNamespace, livePods, rolledOut, testConnection, waitUntil } from '../harness/kubernetes';

const NS = 'production';
let k8s: KubernetesConnection;
let seq = 0;
const unique = (base: string) => `${base}-${++seq}-${Date.now().toString(36)}`;

beforeAll(async () => {
  k8s = testConnection();
  await ensureNamespace(k8s, NS);
});

function json(result: ExecutorResult): Record<string, unknown> {
  expect(result, result.executor === 'kubernetes' ? result.message : '').toMatchObject({ executor: 'kubernetes', ok: true });
  return (result as { json: Record<string, unknown> }).json;
}

const getPod = (name: string, connection = k8s, namespaces = [NS]) =>
  runExecutor(
    { executor: 'kubernetes', op: 'get_pod', namespace: NS, name, namespaces },
    { timeoutMs: 15_000, kubernetes: () => connection },
  );

/** The reference exercise's post-check of restart-pod, compiled from the unchanged file. */
const seedPostCheck: CheckStep = compileOk(SEED_RUNBOOKS).runbooks.find((r) => r.id === 'restart-pod')!.postChecks[0]!;

/** The seed's pod_becomes_ready, as the workflow runs it: its probe rendered for this incident, then its condition. */
async function podBecomesReady(podName: string, operator: KubernetesConnection): Promise<{ passed: boolean; result: ExecutorResult }> {
  const context = { pod_name: podName, namespace: NS };
  const incident: Incident = {
    id: 'INC1',
    root_cause: 'CrashLoopBackOff',
    confidence: 0.9,
    service: 's',
    services: ['s'],
    symptoms: [],
    context,
  };
  const probe = renderExecutor(seedPostCheck.probe!, { incident, context, steps: {} }, { step: seedPostCheck.id });
  const result = await runExecutor(probe, { timeoutMs: 15_000, kubernetes: () => operator });
  const evaluated = evaluateCondition(seedPostCheck.condition.cel, { incident, context, steps: {}, result });
  return { passed: evaluated.ok && evaluated.value, result };
}

describe('get_pod of a pod that is gone', () => {
  it("reports its Deployment's rollout, found from the ReplicaSet its name came from; pod_becomes_ready then follows the replacement", async () => {
    const name = unique('web');
    await createDeployment(k8s, NS, name, { replicas: 2 });
    const [victim] = await livePods(k8s, NS, name);
    const pod = victim!.metadata!.name!;
    const operator = testConnection([NS]);
    expect(seedPostCheck).toMatchObject({ check: 'pod_becomes_ready', origin: 'stdlib', probe: { executor: 'kubernetes', op: 'get_pod' } });
    expect((await podBecomesReady(pod, operator)).passed).toBe(true); // there and Ready

    await k8s.core.deleteNamespacedPod({ name: pod, namespace: NS });
    await waitUntil('the pod gone', async () => (await getPod(pod).then(json)).exists === false);
    await rolledOut(k8s, NS, name);
    const replicaSet = victim!.metadata!.ownerReferences![0]!.name;
    expect(pod.startsWith(`${replicaSet}-`)).toBe(true);
    expect(json(await getPod(pod))).toEqual({
      exists: false,
      replacedIn: { deployment: name, complete: true, readyReplicas: 2, replicas: 2 },
    });
    const after = await podBecomesReady(pod, operator);
    expect(after.passed, JSON.stringify(after.result)).toBe(true);
  });

  it('fails pod_becomes_ready while the Deployment is not back to every replica Ready, and reports no replacement for a name no Deployment made', async () => {
    const name = unique('stuck');
    await createDeployment(k8s, NS, name, { replicas: 2 });
    const [victim] = await livePods(k8s, NS, name);
    const pod = victim!.metadata!.name!;
    // A new revision whose pods fit on no node: the rollout cannot complete.
    const deployment = await k8s.apps.readNamespacedDeployment({ name, namespace: NS });
    deployment.spec!.template.spec!.containers[0]!.resources = { requests: { cpu: '100000' } };
    await k8s.apps.replaceNamespacedDeployment({ name, namespace: NS, body: deployment });
    await k8s.core.deleteNamespacedPod({ name: pod, namespace: NS });
    await waitUntil('the pod gone', async () => (await getPod(pod).then(json)).exists === false);
    expect(json(await getPod(pod))).toMatchObject({ exists: false, replacedIn: { deployment: name, complete: false } });
    const stuck = await podBecomesReady(pod, testConnection([NS]));
    expect(stuck.passed, JSON.stringify(stuck.result)).toBe(false);

    expect(json(await getPod(`${name}-abcde`))).toEqual({ exists: false }); // no ReplicaSet of that name
    expect(json(await getPod('nope'))).toEqual({ exists: false }); // no generated suffix
    const bare = unique('bare');
    await k8s.apps.createNamespacedReplicaSet({
      namespace: NS,
      body: {
        metadata: { name: bare },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: bare } },
          template: { metadata: { labels: { app: bare } }, spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] } },
        },
      },
    });
    expect(json(await getPod(`${bare}-abcde`))).toEqual({ exists: false }); // a ReplicaSet no Deployment owns
    const gone = await podBecomesReady(`${bare}-abcde`, testConnection([NS]));
    expect(gone.passed).toBe(false);
  });
});

describe('reads in a runbook that lists no namespaces', () => {
  it('read only in namespaces the operator allows, and are refused, saying how to allow them, when it allows none', async () => {
    const name = unique('ns');
    await createDeployment(k8s, NS, name, { replicas: 1 });
    const [pod] = await livePods(k8s, NS, name);
    const podName = pod!.metadata!.name!;

    const noList = await getPod(podName, testConnection(null), []);
    expect(noList).toMatchObject({ ok: false, status: 0 });
    expect(noList.executor === 'kubernetes' && noList.message).toMatch(/lists no namespaces.*set REMEDIATE_K8S_NAMESPACES/);
    expect(json(await getPod(podName, testConnection([NS]), []))).toMatchObject({ exists: true, name: podName });
    const elsewhere = await getPod(podName, testConnection(['payments']), []);
    expect(elsewhere.executor === 'kubernetes' && !elsewhere.ok && elsewhere.message).toMatch(/not one the operator allows/);
    // The seed's own check, through the same rule.
    expect((await podBecomesReady(podName, testConnection(null))).passed).toBe(false);

    // A change still needs the runbook's own list, whatever the operator allows.
    const deletion: ResolvedKubernetes = { executor: 'kubernetes', op: 'delete_pod', namespace: NS, name: podName, namespaces: [] };
    const refused = await runExecutor(deletion, { timeoutMs: 15_000, kubernetes: () => testConnection([NS]) });
    expect(refused).toMatchObject({ ok: false, status: 0 });
    expect((await livePods(k8s, NS, name)).map((p) => p.metadata!.uid)).toEqual([pod!.metadata!.uid]);
  });
});
