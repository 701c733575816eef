/** What a pod's status says (ready, restarts, why it failed), and which workload owns it. */
import type { V1ContainerStatus, V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import { api, isStatus } from './api';
import type { KubernetesConnection } from './connection';
import { replacementOf, type Replacement } from './replacement';

const HOUR_MS = 60 * 60 * 1000;

/** What the pod's status reports, as read by checks and the pod watcher. */
export interface PodState {
  phase: string;
  ready: boolean;
  /** Container restarts since the pod started (all containers). */
  restarts: number;
  /**
   * Restarts that may have happened in the last hour: the restarts of each container whose last
   * termination was within the hour. Kubernetes keeps only a count and the last termination, so this is
   * an upper bound, which is the safe side for a guardrail such as "fewer than 3 restarts".
   */
  restartsLastHour: number;
  /** When the most recent container termination finished, if any. */
  lastRestartAt?: string;
  /** Why a container is waiting (CrashLoopBackOff, ImagePullBackOff, ...), first one found. */
  waitingReason?: string;
  /** Why a container last terminated (OOMKilled, Error, ...), first one found. */
  lastTerminationReason?: string;
}

export function podState(pod: V1Pod, now: Date): PodState {
  const statuses: V1ContainerStatus[] = pod.status?.containerStatuses ?? [];
  const state: PodState = {
    phase: pod.status?.phase ?? 'Unknown',
    ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    restarts: statuses.reduce((sum, s) => sum + s.restartCount, 0),
    restartsLastHour: 0,
  };
  let last: Date | undefined;
  for (const status of statuses) {
    const terminated = status.lastState?.terminated ?? status.state?.terminated;
    const finished = terminated?.finishedAt ? new Date(terminated.finishedAt) : undefined;
    if (finished && now.getTime() - finished.getTime() <= HOUR_MS) state.restartsLastHour += status.restartCount;
    if (finished && (!last || finished > last)) last = finished;
    state.waitingReason ??= status.state?.waiting?.reason;
    state.lastTerminationReason ??= terminated?.reason;
  }
  if (last) state.lastRestartAt = last.toISOString();
  return state;
}

/** The controller of a pod and, for ReplicaSet pods, the Deployment above it with its desired replicas. */
export interface PodWorkload {
  controller?: { kind: string; name: string };
  deployment?: string;
  /** Desired replicas of the controlling workload (Deployment, ReplicaSet or StatefulSet). */
  replicas?: number;
}

function controllerOf(owners: V1OwnerReference[] | undefined): V1OwnerReference | undefined {
  return owners?.find((owner) => owner.controller);
}

export async function podWorkload(connection: KubernetesConnection, pod: V1Pod): Promise<PodWorkload> {
  const namespace = pod.metadata?.namespace ?? '';
  const owner = controllerOf(pod.metadata?.ownerReferences);
  if (!owner) return {};
  const workload: PodWorkload = { controller: { kind: owner.kind, name: owner.name } };
  try {
    if (owner.kind === 'ReplicaSet') {
      const rs = await api('read replicaset', () => connection.apps.readNamespacedReplicaSet({ name: owner.name, namespace }));
      workload.replicas = rs.spec?.replicas ?? 1;
      const deployment = controllerOf(rs.metadata?.ownerReferences);
      if (deployment?.kind === 'Deployment') {
        workload.deployment = deployment.name;
        const read = await api('read deployment', () => connection.apps.readNamespacedDeployment({ name: deployment.name, namespace }));
        workload.replicas = read.spec?.replicas ?? 1;
      }
    } else if (owner.kind === 'StatefulSet') {
      const sts = await api('read statefulset', () => connection.apps.readNamespacedStatefulSet({ name: owner.name, namespace }));
      workload.replicas = sts.spec?.replicas ?? 1;
    }
  } catch (error) {
    // An owner being deleted: the pod has a controller, but no replica count to report.
    if (!isStatus(error, 404)) throw error;
  }
  return workload;
}

export interface PodSummary extends PodState, PodWorkload {
  exists: true;
  name: string;
  namespace: string;
  uid: string;
  node?: string;
  createdAt?: string;
  terminating: boolean;
}

/** A pod that is gone, with the rollout of the Deployment that replaces it when its name and owners say which. */
export interface GonePod {
  exists: false;
  replacedIn?: Replacement;
}

/** get_pod: the pod's state and workload, or `{exists: false, replacedIn?}`. */
export async function describePod(
  connection: KubernetesConnection,
  namespace: string,
  name: string,
  now = new Date(),
): Promise<PodSummary | GonePod> {
  let pod: V1Pod;
  try {
    pod = await api(`read pod ${namespace}/${name}`, () => connection.core.readNamespacedPod({ name, namespace }));
  } catch (error) {
    if (!isStatus(error, 404)) throw error;
    const replacedIn = await replacementOf(connection, namespace, name);
    return replacedIn ? { exists: false, replacedIn } : { exists: false };
  }
  return podSummary(pod, await podWorkload(connection, pod), now);
}

export function podSummary(pod: V1Pod, workload: PodWorkload, now: Date): PodSummary {
  const summary: PodSummary = {
    exists: true,
    name: pod.metadata?.name ?? '',
    namespace: pod.metadata?.namespace ?? '',
    uid: pod.metadata?.uid ?? '',
    terminating: pod.metadata?.deletionTimestamp !== undefined,
    ...podState(pod, now),
    ...workload,
  };
  if (pod.spec?.nodeName) summary.node = pod.spec.nodeName;
  if (pod.metadata?.creationTimestamp) summary.createdAt = new Date(pod.metadata.creationTimestamp).toISOString();
  return summary;
}

export interface DeletePodResult extends PodWorkload {
  /**
   * False when the first attempt found the pod already gone (or replaced before it could delete it): the
   * wanted state, so success. A retry that finds the pod its first attempt recorded gone or replaced says
   * `deleted: true, alreadyApplied: true` and deletes nothing.
   */
  deleted: boolean;
  uid?: string;
  /** A retry found the deletion already done by an earlier attempt of the same action. */
  alreadyApplied?: true;
  /** The uid the name belongs to now, when a retry found a replacement (a StatefulSet recreates `web-0` as `web-0`). */
  replacementUid?: string;
}

/**
 * Where one action keeps state across its attempts. In a Temporal activity this is the heartbeat details:
 * `record` heartbeats, and the next attempt of the same activity sees the last details as `previous`.
 */
export interface AttemptMemory {
  /** What an earlier attempt of this action recorded (undefined on a first attempt). */
  previous: unknown;
  record(details: unknown): void;
}

/** What delete_pod records before it sends the DELETE: the pod it is deleting, by uid, and its result. */
export interface DeletePodRecord {
  op: 'delete_pod';
  key: string | null;
  namespace: string;
  name: string;
  uid: string;
  workload: PodWorkload;
}

export interface DeletePodOptions {
  /** The step's idempotency key, recorded with the uid so a record is only ever read by the same action. */
  key?: string;
  memory?: AttemptMemory;
  /** Aborted once this attempt has given up (deadline, cancellation): it must not start the DELETE then. */
  signal?: AbortSignal;
}

/** The record an earlier attempt of this same action left, if any. */
export function recordedDeletion(previous: unknown, key: string | undefined, namespace: string, name: string): DeletePodRecord | undefined {
  if (typeof previous !== 'object' || previous === null) return undefined;
  const record = previous as Partial<DeletePodRecord>;
  const matches =
    record.op === 'delete_pod' &&
    record.key === (key ?? null) &&
    record.namespace === namespace &&
    record.name === name &&
    typeof record.uid === 'string' &&
    record.uid !== '';
  return matches ? (record as DeletePodRecord) : undefined;
}

/**
 * delete_pod: deletes the pod with the uid it has now (a precondition, so the API server refuses to delete
 * another pod of the same name), and records that uid first in `memory`. A retry of the same action
 * (timed out after the API server had accepted the DELETE) deletes only that uid: when the name is gone,
 * or belongs to a replacement (a StatefulSet recreates `web-0` under the same name), the deletion is done
 * and the replacement is left alone. Reports the workload so later steps can watch it.
 */
export async function deletePod(
  connection: KubernetesConnection,
  namespace: string,
  name: string,
  options: DeletePodOptions = {},
): Promise<DeletePodResult> {
  const earlier = recordedDeletion(options.memory?.previous, options.key, namespace, name);
  if (earlier) return await retryDeletion(connection, earlier, options.signal);
  let pod: V1Pod;
  try {
    pod = await api(`read pod ${namespace}/${name}`, () => connection.core.readNamespacedPod({ name, namespace }));
  } catch (error) {
    if (isStatus(error, 404)) return { deleted: false };
    throw error;
  }
  const uid = pod.metadata?.uid ?? '';
  const workload = await podWorkload(connection, pod);
  // An attempt that has already given up must not delete now: its retry could not know about it.
  options.signal?.throwIfAborted();
  if (uid) options.memory?.record({ op: 'delete_pod', key: options.key ?? null, namespace, name, uid, workload } satisfies DeletePodRecord);
  try {
    await deleteUid(connection, namespace, name, uid);
    return { deleted: true, uid, ...workload };
  } catch (error) {
    // 404: gone meanwhile; 409: the name now belongs to a replacement (precondition on the uid failed).
    if (isStatus(error, 404, 409)) return { deleted: false, uid, ...workload };
    throw error;
  }
}

/**
 * A retry: only the recorded uid may be deleted. Gone, replaced or already terminating means an earlier
 * attempt's DELETE (or someone else's) landed, so no DELETE is sent; only a pod still there with that uid
 * and no deletion under way (the earlier attempt stopped between recording and deleting) is deleted now.
 */
async function retryDeletion(
  connection: KubernetesConnection,
  record: DeletePodRecord,
  signal: AbortSignal | undefined,
): Promise<DeletePodResult> {
  const { namespace, name, uid, workload } = record;
  const done = (replacementUid?: string): DeletePodResult => ({
    deleted: true,
    uid,
    ...workload,
    alreadyApplied: true,
    ...(replacementUid ? { replacementUid } : {}),
  });
  let pod: V1Pod;
  try {
    pod = await api(`read pod ${namespace}/${name}`, () => connection.core.readNamespacedPod({ name, namespace }));
  } catch (error) {
    if (isStatus(error, 404)) return done();
    throw error;
  }
  const current = pod.metadata?.uid ?? '';
  if (current !== uid) return done(current);
  if (pod.metadata?.deletionTimestamp !== undefined) return done();
  signal?.throwIfAborted();
  try {
    await deleteUid(connection, namespace, name, uid);
    return { deleted: true, uid, ...workload };
  } catch (error) {
    if (isStatus(error, 404, 409)) return done();
    throw error;
  }
}

async function deleteUid(connection: KubernetesConnection, namespace: string, name: string, uid: string): Promise<void> {
  await api(`delete pod ${namespace}/${name}`, () =>
    connection.core.deleteNamespacedPod({ name, namespace, body: { preconditions: { uid } } }),
  );
}
