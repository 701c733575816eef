import { ensureControlPlane } from './kubernetes-binaries';
import { startLocalCluster } from './kubernetes-cluster';

/** The cluster kubernetes steps act on, and how to let go of it. */
export type KubernetesTarget =
  /** The user's own cluster: client-node's defaults read $KUBECONFIG (it may list several files); nothing to stop. */
  | { source: 'kubeconfig'; kubeconfig: null; stop(): Promise<void> }
  /** The local control plane this process started. */
  | { source: 'local'; kubeconfig: string; server: string; stop(): Promise<void> };

/**
 * A user's own cluster when KUBECONFIG is set (nothing is started), otherwise the local control plane,
 * provisioned if needed and started now. Only the explicit variable counts: a ~/.kube/config that
 * points at production must not become the demo's playground by accident.
 */
export async function kubernetesTarget(options: {
  log: (line: string) => void;
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<KubernetesTarget> {
  const kubeconfig = (options.env ?? process.env).KUBECONFIG;
  if (kubeconfig) {
    options.log(`Kubernetes: your cluster (KUBECONFIG=${kubeconfig}); no local control plane started`);
    return { kubeconfig: null, source: 'kubeconfig', stop: async () => undefined };
  }
  const cluster = await startLocalCluster({ binaries: await ensureControlPlane(options.log), dataDir: options.dataDir, log: options.log });
  return { kubeconfig: cluster.kubeconfigPath, server: cluster.server, source: 'local', stop: cluster.stop };
}
