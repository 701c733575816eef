/**
 * Changing a deployment safely under retries and concurrent writers.
 *
 * Every change is one JSON patch that first tests the resourceVersion it was computed from (optimistic
 * concurrency: a conflicting write makes us re-read and recompute) and records, in an annotation, the
 * idempotency key of the step that made it and its result. A retry of the same step (same key: the
 * activity timed out after the API server applied the patch) finds the record and returns the result
 * again instead of scaling by +1 twice or undoing the undo. The annotation keeps the last
 * MAX_RECORDS changes, not only the last one, so a change by another workflow between an attempt and
 * its retry does not hide the record and make the retry change the deployment a second time.
 */
import { isStatus, requestJson } from './api';
import type { KubernetesConnection } from './connection';

export const LAST_ACTION_ANNOTATION = 'remediate.dev/last-action';

/** The deployment as the API server returned it, untouched by client-node's models. */
export interface RawDeployment {
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; annotations?: Record<string, string> };
  spec: { replicas?: number; paused?: boolean; template: RawPodTemplate };
}

export interface RawPodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export type JsonPatchOp = { op: 'add' | 'replace' | 'test'; path: string; value: unknown };

/** What to write (null: the deployment is already as wanted) and what the step returns. */
export interface ChangePlan<R> {
  patch: JsonPatchOp[] | null;
  result: R;
}

/** We refuse a change (paused deployment, no revision to return to, fewer than zero replicas). */
export class DeploymentChangeRefused extends Error {
  override readonly name = 'DeploymentChangeRefused';
}

const MAX_CONFLICTS = 5;

/** Changes remembered on a deployment: far more than can happen between one attempt and its retry, and a small annotation. */
export const MAX_RECORDS = 10;

interface ChangeRecord {
  key: string;
  result: unknown;
}

export function deploymentPath(namespace: string, name: string): string {
  return `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments/${encodeURIComponent(name)}`;
}

/** JSON Pointer escaping of one path segment (`kubectl.kubernetes.io/restartedAt` -> `kubectl.kubernetes.io~1restartedAt`). */
export function pointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export async function changeDeployment<R extends object>(
  connection: KubernetesConnection,
  target: { namespace: string; name: string; key: string | undefined },
  plan: (deployment: RawDeployment) => ChangePlan<R> | Promise<ChangePlan<R>>,
  signal?: AbortSignal,
): Promise<R & { alreadyApplied?: true }> {
  const path = deploymentPath(target.namespace, target.name);
  const what = `deployment ${target.namespace}/${target.name}`;
  for (let attempt = 1; ; attempt++) {
    const deployment = (await requestJson(connection, `read ${what}`, { method: 'GET', path })) as RawDeployment;
    const recorded = target.key === undefined ? undefined : recordedResult<R>(deployment, target.key);
    if (recorded) return { ...recorded, alreadyApplied: true };
    const { patch, result } = await plan(deployment);
    if (!patch) return result;
    const ops: JsonPatchOp[] = [{ op: 'test', path: '/metadata/resourceVersion', value: deployment.metadata.resourceVersion }, ...patch];
    if (target.key !== undefined) ops.push(recordOp(deployment, patch, target.key, result));
    // An attempt that has already given up (deadline, cancellation) sends no change.
    signal?.throwIfAborted();
    try {
      await requestJson(connection, `patch ${what}`, { method: 'PATCH', path, body: ops, contentType: 'application/json-patch+json' });
      return result;
    } catch (error) {
      // 409, or 422 for a failed `test`: someone (often the deployment controller) wrote in between.
      if (!isStatus(error, 409, 422) || attempt >= MAX_CONFLICTS) throw error;
    }
  }
}

/** The records on the deployment, oldest first; the one-record form of earlier versions reads as a list of one. */
function records(deployment: RawDeployment): ChangeRecord[] {
  const raw = deployment.metadata.annotations?.[LAST_ACTION_ANNOTATION];
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [];
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.filter((r): r is ChangeRecord => typeof r === 'object' && r !== null && typeof (r as { key?: unknown }).key === 'string');
}

function recordedResult<R>(deployment: RawDeployment, key: string): R | undefined {
  return records(deployment).find((record) => record.key === key)?.result as R | undefined;
}

function recordOp(deployment: RawDeployment, patch: JsonPatchOp[], key: string, result: unknown): JsonPatchOp {
  const kept = records(deployment).filter((record) => record.key !== key);
  const value = JSON.stringify([...kept, { key, result }].slice(-MAX_RECORDS));
  const hasAnnotations = deployment.metadata.annotations !== undefined || patch.some((op) => op.path === '/metadata/annotations');
  return hasAnnotations
    ? { op: 'add', path: `/metadata/annotations/${pointer(LAST_ACTION_ANNOTATION)}`, value }
    : { op: 'add', path: '/metadata/annotations', value: { [LAST_ACTION_ANNOTATION]: value } };
}
