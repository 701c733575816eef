/**
 * What a test file uses on the run's local cluster: a connection, and the workload helpers the demo
 * shares (demo/workloads.ts). Reads here use client-node directly, not the code under test, so
 * assertions see the cluster as it is.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { connectKubernetes, type KubernetesConnection } from '../../kubernetes/connection';

export {
  createDeployment,
  ensureNamespace,
  livePods,
  removeDeployment,
  reportContainerFailure,
  rolledOut,
  setImage,
  waitUntil,
  type DeploymentFixture,
} from '../../demo/workloads';

export function kubeconfigPath(): string {
  return inject('kubeconfigPath');
}

/** A connection to the run's cluster; `namespaces` is the operator allow-list (null: none). */
export function testConnection(namespaces: string[] | null = null): KubernetesConnection {
  return connectKubernetes({ kubeconfig: kubeconfigPath(), namespaces });
}

export function imageOf(d: V1Deployment): string | undefined {
  return d.spec?.template.spec?.containers[0]?.image;
}

export function revisionOf(d: V1Deployment): number {
  return Number(d.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
}
