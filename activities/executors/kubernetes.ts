/**
 * The kubernetes executor: the Kubernetes API through @kubernetes/client-node, never kubectl.
 *
 * `result.json` by operation (what conditions and step outputs read):
 * - get_pod: `{exists, name, namespace, uid, phase, ready, restarts, restartsLastHour, lastRestartAt?, waitingReason?,
 *   lastTerminationReason?, controller?: {kind, name}, deployment?, replicas?, node?, createdAt?, terminating}`,
 *   or `{exists: false}`. `replicas` is the desired count of the pod's workload. A pod that is gone, made by a
 *   Deployment's ReplicaSet (named `<replicaset>-<5 characters>`), is `{exists: false, replacedIn: {deployment,
 *   complete, readyReplicas, replicas}}`: the rollout of the Deployment that replaces it under another name.
 * - get_deployment: `{exists, name, namespace, uid, replicas, readyReplicas, availableReplicas, updatedReplicas,
 *   currentReplicas, complete, progressDeadlineExceeded, paused, revision, previousRevision?, revisions, images,
 *   pods: [{name, uid, ready, phase, terminating}]}`, or `{exists: false}`.
 * - delete_pod: `{deleted, uid?, controller?, deployment?, replicas?}`; a pod already gone is `deleted: false`, and ok.
 *   The uid is recorded in the activity's heartbeat details before the DELETE; a retry of the same action
 *   deletes only that uid, and finding it gone or replaced returns `{deleted: true, uid, ..., alreadyApplied: true,
 *   replacementUid?}` without a second DELETE (see docs/idempotency.md).
 * - scale: `{previousReplicas, replicas}`.
 * - rollout_restart: `{restartedAt, fromRevision}`.
 * - rollout_undo: `{fromRevision, toRevision, changed}`.
 * A change that a retry of the same step finds already made returns the first result plus `alreadyApplied: true`.
 *
 * Namespaces: the step's namespace must be one the runbook allows and, when the operator set
 * REMEDIATE_K8S_NAMESPACES, one of those too. A read (a probe) of a runbook that lists no namespaces
 * may read only in the operator's namespaces, and is refused when the operator set none. Refusals, bad counts and API errors are `ok: false` results.
 */
import { Context } from '@temporalio/activity';
import { KUBERNETES_READS } from '../../dsl/steps/kubernetes';
import type { ResolvedKubernetes } from '../../dsl/types';
import { KubernetesApiError } from '../../kubernetes/api';
import type { KubernetesConnection } from '../../kubernetes/connection';
import { DeploymentChangeRefused } from '../../kubernetes/deployment-change';
import { describeDeployment } from '../../kubernetes/deployments';
import { deletePod, describePod, type AttemptMemory } from '../../kubernetes/pods';
import { restartRollout, scaleDeployment, undoRollout } from '../../kubernetes/rollout';
import type { Executor, ExecutorContext, ResultOf } from './executor';
import { describeError, since } from './util';

type KubernetesResult = ResultOf<ResolvedKubernetes>;

export const kubernetesExecutor: Executor<ResolvedKubernetes> = { run: runKubernetes };

/** A request the executor refuses before calling the API. */
class Refused extends Error {}

const OBJECT_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

async function runKubernetes(spec: ResolvedKubernetes, ctx: ExecutorContext): Promise<KubernetesResult> {
  ctx.signal?.throwIfAborted();
  const started = performance.now();
  const result = (ok: boolean, status: number, message: string, json?: unknown): KubernetesResult => {
    const out: KubernetesResult = { executor: 'kubernetes', op: spec.op, ok, status, message, durationMs: since(started) };
    if (json !== undefined) out.json = json;
    return out;
  };
  const target = `${spec.namespace}/${spec.name}`;
  try {
    if (!ctx.kubernetes) throw new Refused('no Kubernetes cluster is configured for this worker');
    let connection: KubernetesConnection;
    try {
      connection = ctx.kubernetes();
    } catch (error) {
      throw new Refused(`cannot load the Kubernetes configuration: ${describeError(error)}`);
    }
    checkNamespace(spec, connection.namespaces);
    if (!OBJECT_NAME.test(spec.name)) throw new Refused(`${JSON.stringify(spec.name)} is not a valid object name`);
    const json = await withDeadline((signal) => perform(connection, spec, ctx.idempotencyKey, signal), ctx);
    const again = (json as { alreadyApplied?: unknown } | null)?.alreadyApplied === true;
    return result(true, 200, `${spec.op} ${target}: ${again ? 'already done by an earlier attempt of this step' : 'done'}`, json);
  } catch (error) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    if (error instanceof KubernetesApiError) return result(false, error.status, `${spec.op} ${target}: ${error.message}`);
    if (error instanceof Refused || error instanceof DeploymentChangeRefused)
      return result(false, 0, `${spec.op} ${target}: ${error.message}`);
    throw error;
  }
}

async function perform(
  connection: KubernetesConnection,
  spec: ResolvedKubernetes,
  key: string | undefined,
  signal: AbortSignal,
): Promise<unknown> {
  const target = { namespace: spec.namespace, name: spec.name, key, signal };
  switch (spec.op) {
    case 'get_pod':
      return await describePod(connection, spec.namespace, spec.name);
    case 'get_deployment':
      return await describeDeployment(connection, spec.namespace, spec.name);
    case 'delete_pod':
      return await deletePod(connection, spec.namespace, spec.name, { key, memory: attemptMemory(), signal });
    case 'scale':
      return await scaleDeployment(connection, target, scaleTo(spec));
    case 'rollout_restart':
      return await restartRollout(connection, target);
    case 'rollout_undo':
      return await undoRollout(connection, target, spec.toRevision === undefined ? undefined : count('to_revision', spec.toRevision, 1));
    default:
      throw new Refused(`unknown operation ${JSON.stringify(spec.op)}`);
  }
}

function checkNamespace(spec: ResolvedKubernetes, operator: string[] | null): void {
  if (spec.namespaces.length === 0 && KUBERNETES_READS.has(spec.op)) {
    // A probe of a runbook that lists no namespaces (a standard check): it reads only where the operator says.
    if (operator === null) {
      throw new Refused(
        `namespace "${spec.namespace}": the runbook lists no namespaces, so it may read only in namespaces the operator allows, and none are set: set REMEDIATE_K8S_NAMESPACES (e.g. "${spec.namespace}") or add "namespaces: [...]" to the runbook`,
      );
    }
    if (!operator.includes(spec.namespace)) {
      throw new Refused(
        `namespace "${spec.namespace}" is not one the operator allows (REMEDIATE_K8S_NAMESPACES: ${operator.join(', ') || 'none'}); the runbook lists no namespaces of its own`,
      );
    }
    return;
  }
  if (!spec.namespaces.includes(spec.namespace)) {
    throw new Refused(`namespace "${spec.namespace}" is not one the runbook allows (${spec.namespaces.join(', ') || 'none'})`);
  }
  if (operator && !operator.includes(spec.namespace)) {
    throw new Refused(
      `namespace "${spec.namespace}" is not one the operator allows (REMEDIATE_K8S_NAMESPACES: ${operator.join(', ') || 'none'})`,
    );
  }
}

function scaleTo(spec: ResolvedKubernetes): { replicas: number } | { delta: number } {
  if ((spec.replicas === undefined) === (spec.delta === undefined)) throw new Refused('scale needs exactly one of replicas or delta');
  return spec.replicas !== undefined ? { replicas: count('replicas', spec.replicas, 0) } : { delta: count('delta', spec.delta!) };
}

/** Counts arrive rendered (a placeholder may have filled them): whole numbers only, at least `min` when given. */
function count(field: string, text: string, min?: number): number {
  const value = /^[+-]?\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(value) || (min !== undefined && value < min)) {
    throw new Refused(`${field} must be a whole number${min === undefined ? '' : ` of at least ${min}`}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/**
 * The heartbeat details of the Temporal activity this runs in: what delete_pod records before deleting,
 * and what the next attempt of the same activity reads back (Temporal hands the last heartbeat details of
 * a failed or timed-out attempt to the next one). Outside an activity (tests, tools) there is none.
 */
function attemptMemory(): AttemptMemory | undefined {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return undefined;
  }
  return { previous: context.info.heartbeatDetails as unknown, record: (details) => context.heartbeat(details) };
}

/**
 * The API call itself cannot be cancelled, so on timeout the result says so while a request already sent
 * may still land; a retry then finds the change recorded on the deployment (see deployment-change.ts) or
 * the deleted pod's uid in the heartbeat details. The work's signal aborts at the deadline, so an attempt
 * that has given up starts no further change its retry could not know about.
 */
async function withDeadline<T>(work: (signal: AbortSignal) => Promise<T>, ctx: ExecutorContext): Promise<T> {
  const gaveUp = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new KubernetesApiError(0, `no answer within ${ctx.timeoutMs} ms`);
      gaveUp.abort(error);
      reject(error);
    }, ctx.timeoutMs);
    onAbort = () => {
      gaveUp.abort(ctx.signal?.reason);
      reject(ctx.signal?.reason);
    };
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
  });
  const running = work(gaveUp.signal);
  try {
    return await Promise.race([running, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) ctx.signal?.removeEventListener('abort', onAbort);
    // The losing branch must not surface as an unhandled rejection.
    running.catch(() => undefined);
  }
}
