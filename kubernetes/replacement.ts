/**
 * Where a pod that is gone went: a pod of a Deployment is named `<replicaset>-<5 characters>` (the
 * ReplicaSet controller's generateName), so its name says which ReplicaSet made it, and that
 * ReplicaSet's controller says which Deployment replaces it. Read by get_pod for a pod that no
 * longer exists, so a check that names a deleted pod can follow its replacement under another name.
 */
import { api, isStatus } from './api';
import type { KubernetesConnection } from './connection';
import { describeDeployment } from './deployments';

/** The rollout of the Deployment that replaces a pod that is gone. */
export interface Replacement {
  deployment: string;
  complete: boolean;
  readyReplicas: number;
  replicas: number;
}

/** The random suffix generateName appends: `-` and five lowercase letters or digits. */
const GENERATED_SUFFIX = /^(.+)-[a-z0-9]{5}$/;

/** The Deployment of the ReplicaSet that made pod `name`, when the name and the owners say so; undefined otherwise. */
export async function replacementOf(connection: KubernetesConnection, namespace: string, name: string): Promise<Replacement | undefined> {
  const replicaSetName = GENERATED_SUFFIX.exec(name)?.[1];
  if (replicaSetName === undefined) return undefined;
  let owner: { name: string; uid: string } | undefined;
  try {
    const rs = await api(`read replicaset ${namespace}/${replicaSetName}`, () =>
      connection.apps.readNamespacedReplicaSet({ name: replicaSetName, namespace }),
    );
    const controller = rs.metadata?.ownerReferences?.find((o) => o.controller && o.kind === 'Deployment');
    if (controller) owner = { name: controller.name, uid: controller.uid };
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
  if (!owner) return undefined;
  const deployment = await describeDeployment(connection, namespace, owner.name);
  // A Deployment of the same name created since is not the one that owned the ReplicaSet.
  if (!deployment.exists || deployment.uid !== owner.uid) return undefined;
  return {
    deployment: deployment.name,
    complete: deployment.complete,
    readyReplicas: deployment.readyReplicas,
    replicas: deployment.replicas,
  };
}
