/**
 * Reaching a cluster: a kubeconfig file, or client-node's defaults ($KUBECONFIG, ~/.kube/config, or the
 * service account when running in a pod), plus the operator's namespace allow-list.
 */
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';

export interface KubernetesConfig {
  /** A kubeconfig file; null uses client-node's defaults ($KUBECONFIG, ~/.kube/config, in-cluster config). */
  kubeconfig: string | null;
  /** `REMEDIATE_K8S_NAMESPACES`: namespaces the operator lets any runbook act in; null: no limit beyond each runbook's. */
  namespaces: string[] | null;
}

export interface KubernetesConnection {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  /** The operator's allow-list; null: only the runbook's own list applies. */
  namespaces: string[] | null;
}

export function connectKubernetes(config: KubernetesConfig): KubernetesConnection {
  const kubeConfig = new KubeConfig();
  if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
  else kubeConfig.loadFromDefault();
  return {
    kubeConfig,
    core: kubeConfig.makeApiClient(CoreV1Api),
    apps: kubeConfig.makeApiClient(AppsV1Api),
    namespaces: config.namespaces,
  };
}
