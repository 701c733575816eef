/**
 * Once per run of the `kubernetes` project: the local control plane (etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler, kwok) from the provisioned binaries, on loopback.
 * Test files reach it through test/harness/kubernetes.ts. Never a user's own cluster: these
 * tests create and delete workloads.
 */
import type { TestProject } from 'vitest/node';
import { ensureControlPlane, startLocalCluster } from '../../toolchain';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfigPath: string;
  }
}

const log = (line: string) => console.log(`[harness] ${line}`);

export default async function setup(project: TestProject) {
  const cluster = await startLocalCluster({ binaries: await ensureControlPlane(log), log });
  project.provide('kubeconfigPath', cluster.kubeconfigPath);
  return async () => {
    await cluster.stop();
  };
}
