/**
 * The cluster as the seed's incidents find it, set up in the demo's own namespace: a crash-looping
 * api-server pod, a busy worker deployment, and a checkout deployment whose latest release is the bad
 * one. Leftovers of an earlier run (on a cluster that outlives the demo) are replaced first.
 */
import type { KubernetesConnection } from '../kubernetes/connection';
import { DEMO_NAMESPACE } from './scenario';
import { createDeployment, ensureNamespace, livePods, removeDeployment, reportContainerFailure, setImage } from './workloads';
import { EXIT, UserFacingError } from '../dsl/user-facing-error';

/** Real images, so the demo's pods also run on a real cluster; on the local one kwok plays them. */
export const RELEASES = { good: 'registry.k8s.io/pause:3.9', bad: 'registry.k8s.io/pause:3.10' } as const;

/** The demo's workloads could not be set up: the cluster is unreachable, refuses us, or is too slow. */
export class DemoWorkloadsError extends UserFacingError {
  override readonly name = 'DemoWorkloadsError';
  readonly exitCode = EXIT.UNREACHABLE;
}

export interface DemoWorkloads {
  /** The api-server pod that crash-loops (INC001's pod_name). */
  crashingPod: string;
  /** One line per workload, for the newcomer. */
  description: string[];
}

export async function prepareDemoWorkloads(k8s: KubernetesConnection): Promise<DemoWorkloads> {
  try {
    return await setUp(k8s);
  } catch (error) {
    const server = k8s.kubeConfig.getCurrentCluster()?.server ?? 'unknown server';
    throw new DemoWorkloadsError(
      `cannot set up the demo's workloads in namespace ${DEMO_NAMESPACE} on the Kubernetes cluster at ${server}: ${(error as Error).message}`,
    );
  }
}

async function setUp(k8s: KubernetesConnection): Promise<DemoWorkloads> {
  const ns = DEMO_NAMESPACE;
  await ensureNamespace(k8s, ns);
  await Promise.all(['api-server', 'worker', 'checkout'].map((name) => removeDeployment(k8s, ns, name)));
  await Promise.all([
    createDeployment(k8s, ns, 'api-server', { replicas: 3, image: RELEASES.good }),
    createDeployment(k8s, ns, 'worker', { replicas: 3, image: RELEASES.good }),
    createDeployment(k8s, ns, 'checkout', { replicas: 4, image: RELEASES.good }).then(() => setImage(k8s, ns, 'checkout', RELEASES.bad)),
  ]);
  const [pod] = await livePods(k8s, ns, 'api-server');
  const crashingPod = pod!.metadata!.name!;
  await reportContainerFailure(k8s, ns, crashingPod, { lastReason: 'Error', restarts: 1 });
  return {
    crashingPod,
    description: [
      `deployment api-server: 3 replicas; pod ${crashingPod} in CrashLoopBackOff (1 restart)`,
      'deployment worker: 3 replicas, under CPU pressure',
      `deployment checkout: 4 replicas, revision 2 (${RELEASES.bad}) just rolled out over revision 1 (${RELEASES.good}); errors spiked`,
    ],
  };
}
