/** Scale, rollout restart and rollout undo, done the way kubectl does them, through changeDeployment. */
import { requestJson } from './api';
import type { KubernetesConnection } from './connection';
import {
  changeDeployment,
  DeploymentChangeRefused,
  LAST_ACTION_ANNOTATION,
  pointer,
  type RawDeployment,
  type RawPodTemplate,
} from './deployment-change';
import { previousRevision, REVISION_ANNOTATION, revisionOf } from './deployments';

interface Target {
  namespace: string;
  name: string;
  /** The step's idempotency key; retries with the same key return the first result. */
  key: string | undefined;
  /** Aborted once the attempt has given up: no patch is sent after that. */
  signal?: AbortSignal;
}

export interface ScaleResult {
  /** The count before: what a rollback scales back to. */
  previousReplicas: number;
  replicas: number;
}

export async function scaleDeployment(connection: KubernetesConnection, target: Target, to: { replicas: number } | { delta: number }) {
  return await changeDeployment<ScaleResult>(
    connection,
    target,
    (deployment) => {
      const previousReplicas = deployment.spec.replicas ?? 1;
      const replicas = 'replicas' in to ? to.replicas : previousReplicas + to.delta;
      if (replicas < 0)
        throw new DeploymentChangeRefused(
          `cannot scale below zero: ${previousReplicas} replicas now, delta ${'delta' in to ? to.delta : 0}`,
        );
      return {
        result: { previousReplicas, replicas },
        patch: replicas === previousReplicas ? null : [{ op: 'add', path: '/spec/replicas', value: replicas }],
      };
    },
    target.signal,
  );
}

/** kubectl's annotation: a new value in the pod template is a new rollout of the same spec. */
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export interface RestartResult {
  restartedAt: string;
  /** The revision that was current: rollout_undo with this to_revision returns to it. */
  fromRevision: number;
}

export async function restartRollout(connection: KubernetesConnection, target: Target, now = new Date()) {
  return await changeDeployment<RestartResult>(
    connection,
    target,
    (deployment) => {
      if (deployment.spec.paused)
        throw new DeploymentChangeRefused(`cannot restart paused deployment ${target.namespace}/${target.name} (resume it first)`);
      // RFC 3339 in whole seconds, as kubectl writes it.
      const restartedAt = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
      const template = deployment.spec.template;
      const patch = template.metadata?.annotations
        ? { op: 'add' as const, path: `/spec/template/metadata/annotations/${pointer(RESTARTED_AT)}`, value: restartedAt }
        : template.metadata
          ? { op: 'add' as const, path: '/spec/template/metadata/annotations', value: { [RESTARTED_AT]: restartedAt } }
          : { op: 'add' as const, path: '/spec/template/metadata', value: { annotations: { [RESTARTED_AT]: restartedAt } } };
      return { result: { restartedAt, fromRevision: revisionOf(deployment.metadata.annotations) }, patch: [patch] };
    },
    target.signal,
  );
}

export interface UndoResult {
  /** The revision that was current: rollout_undo with this to_revision undoes the undo. */
  fromRevision: number;
  toRevision: number;
  /** False when the deployment already ran that revision's template (kubectl: "skipped rollback"). */
  changed: boolean;
}

/** Deployment annotations that describe the deployment itself and are not copied back from a ReplicaSet (kubectl's list, and our record). */
const KEEP_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
  LAST_ACTION_ANNOTATION,
]);

const HASH_LABEL = 'pod-template-hash';

interface RawReplicaSet {
  metadata: { annotations?: Record<string, string>; ownerReferences?: { uid: string; controller?: boolean }[] };
  spec: { template: RawPodTemplate };
}

/**
 * What `kubectl rollout undo` does: take the pod template of the ReplicaSet with the wanted revision
 * (default: the one before the newest), drop its pod-template-hash label, and write it, with that
 * ReplicaSet's annotations, into the deployment. The deployment controller then scales that ReplicaSet
 * back up and gives it the next revision number.
 */
export async function undoRollout(connection: KubernetesConnection, target: Target, toRevision: number | undefined) {
  return await changeDeployment<UndoResult>(
    connection,
    target,
    async (deployment) => {
      if (deployment.spec.paused)
        throw new DeploymentChangeRefused(`cannot roll back paused deployment ${target.namespace}/${target.name} (resume it first)`);
      const replicaSets = await ownedRawReplicaSets(connection, deployment);
      const byRevision = new Map(replicaSets.map((rs) => [revisionOf(rs.metadata.annotations), rs]));
      byRevision.delete(0);
      const latest = Math.max(0, ...byRevision.keys());
      const wanted = toRevision ?? previousRevision([...byRevision.keys()], latest);
      const source = wanted === undefined ? undefined : byRevision.get(wanted);
      if (wanted === undefined || !source) {
        throw new DeploymentChangeRefused(
          toRevision === undefined
            ? `no rollout history for deployment ${target.namespace}/${target.name}: no revision before ${latest || 'the first'}`
            : `deployment ${target.namespace}/${target.name} has no revision ${toRevision} (revisions: ${[...byRevision.keys()].sort((a, b) => a - b).join(', ') || 'none'})`,
        );
      }
      const fromRevision = revisionOf(deployment.metadata.annotations);
      const template = withoutHashLabel(source.spec.template);
      if (deepEqual(template, withoutHashLabel(deployment.spec.template))) {
        return { result: { fromRevision, toRevision: wanted, changed: false }, patch: null };
      }
      const annotations: Record<string, string> = {};
      for (const [key, value] of Object.entries(deployment.metadata.annotations ?? {}))
        if (KEEP_ANNOTATIONS.has(key)) annotations[key] = value;
      for (const [key, value] of Object.entries(source.metadata.annotations ?? {}))
        if (!KEEP_ANNOTATIONS.has(key)) annotations[key] = value;
      return {
        result: { fromRevision, toRevision: wanted, changed: true },
        patch: [
          { op: 'replace', path: '/spec/template', value: template },
          { op: 'replace', path: '/metadata/annotations', value: annotations },
        ],
      };
    },
    target.signal,
  );
}

async function ownedRawReplicaSets(connection: KubernetesConnection, deployment: RawDeployment): Promise<RawReplicaSet[]> {
  const path = `/apis/apps/v1/namespaces/${encodeURIComponent(deployment.metadata.namespace)}/replicasets`;
  const list = (await requestJson(connection, 'list replicasets', { method: 'GET', path })) as { items: RawReplicaSet[] };
  return list.items.filter((rs) => rs.metadata.ownerReferences?.some((o) => o.controller && o.uid === deployment.metadata.uid));
}

function withoutHashLabel(template: RawPodTemplate): RawPodTemplate {
  const copy = structuredClone(template);
  if (copy.metadata?.labels) delete copy.metadata.labels[HASH_LABEL];
  return copy;
}

/** Structural equality of JSON values (key order does not matter). */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => Object.hasOwn(b, key) && deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}
