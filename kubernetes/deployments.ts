/** A deployment's rollout as checks read it: replicas, revisions, its pods. */
import type { V1Deployment, V1LabelSelector, V1ReplicaSet } from '@kubernetes/client-node';
import { api, isStatus } from './api';
import type { KubernetesConnection } from './connection';

/** The annotation in which the deployment controller numbers revisions, on deployments and their ReplicaSets. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

export function revisionOf(annotations: Record<string, string> | undefined): number {
  const revision = Number(annotations?.[REVISION_ANNOTATION]);
  return Number.isSafeInteger(revision) && revision > 0 ? revision : 0;
}

/** The highest revision below `current`, if any: what `kubectl rollout undo` returns to. */
export function previousRevision(revisions: number[], current: number): number | undefined {
  const older = revisions.filter((r) => r < current);
  return older.length > 0 ? Math.max(...older) : undefined;
}

export interface DeploymentSummary {
  exists: true;
  name: string;
  namespace: string;
  uid: string;
  /** Desired replicas (spec). */
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  updatedReplicas: number;
  /** Pods the deployment has, old and new (status.replicas). */
  currentReplicas: number;
  /** The rollout is done, as `kubectl rollout status` says: observed, every replica updated and available, no old ones left. */
  complete: boolean;
  /** The controller gave up waiting for progress (ProgressDeadlineExceeded). */
  progressDeadlineExceeded: boolean;
  paused: boolean;
  revision: number;
  previousRevision?: number;
  /** Revisions of its ReplicaSets, ascending. */
  revisions: number[];
  images: string[];
  pods: { name: string; uid: string; ready: boolean; phase: string; terminating: boolean }[];
}

/** The ReplicaSets a deployment controls (by owner uid, as the deployment controller does). */
export async function ownedReplicaSets(connection: KubernetesConnection, deployment: V1Deployment): Promise<V1ReplicaSet[]> {
  const namespace = deployment.metadata?.namespace ?? '';
  const list = await api('list replicasets', () => connection.apps.listNamespacedReplicaSet({ namespace }));
  return list.items.filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.controller && o.uid === deployment.metadata?.uid));
}

/** A label selector in the query-string syntax (`app=web,tier in (a,b)`). */
export function selectorString(selector: V1LabelSelector | undefined): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const expr of selector?.matchExpressions ?? []) {
    const values = (expr.values ?? []).join(',');
    if (expr.operator === 'In') parts.push(`${expr.key} in (${values})`);
    else if (expr.operator === 'NotIn') parts.push(`${expr.key} notin (${values})`);
    else if (expr.operator === 'Exists') parts.push(expr.key);
    else if (expr.operator === 'DoesNotExist') parts.push(`!${expr.key}`);
  }
  return parts.join(',');
}

/** get_deployment: its rollout, revisions and pods, or `{exists: false}`. */
export async function describeDeployment(
  connection: KubernetesConnection,
  namespace: string,
  name: string,
): Promise<DeploymentSummary | { exists: false }> {
  let deployment: V1Deployment;
  try {
    deployment = await api(`read deployment ${namespace}/${name}`, () => connection.apps.readNamespacedDeployment({ name, namespace }));
  } catch (error) {
    if (isStatus(error, 404)) return { exists: false };
    throw error;
  }
  const [replicaSets, pods] = await Promise.all([
    ownedReplicaSets(connection, deployment),
    api('list pods', () => connection.core.listNamespacedPod({ namespace, labelSelector: selectorString(deployment.spec?.selector) })),
  ]);
  const status = deployment.status ?? {};
  const replicas = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const revision = revisionOf(deployment.metadata?.annotations);
  const revisions = [...new Set(replicaSets.map((rs) => revisionOf(rs.metadata?.annotations)).filter((r) => r > 0))].sort((a, b) => a - b);
  const summary: DeploymentSummary = {
    exists: true,
    name,
    namespace,
    uid: deployment.metadata?.uid ?? '',
    replicas,
    readyReplicas: status.readyReplicas ?? 0,
    availableReplicas: available,
    updatedReplicas: updated,
    currentReplicas: status.replicas ?? 0,
    complete:
      (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) &&
      updated >= replicas &&
      (status.replicas ?? 0) <= updated &&
      available >= updated,
    progressDeadlineExceeded: status.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded') ?? false,
    paused: deployment.spec?.paused ?? false,
    revision,
    revisions,
    images: (deployment.spec?.template.spec?.containers ?? []).map((c) => c.image ?? ''),
    pods: pods.items.map((pod) => ({
      name: pod.metadata?.name ?? '',
      uid: pod.metadata?.uid ?? '',
      ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
      phase: pod.status?.phase ?? 'Unknown',
      terminating: pod.metadata?.deletionTimestamp !== undefined,
    })),
  };
  const previous = previousRevision(revisions, revision);
  if (previous !== undefined) summary.previousRevision = previous;
  return summary;
}
