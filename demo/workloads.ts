/**
 * Workloads on a cluster, for the demo and the Kubernetes tests: namespaces, deployments rolled out,
 * and the container failures a kubelet would report (kwok plays the kubelet for the normal lifecycle;
 * a crash is written to the pod's status the way a kubelet writes it). This uses client-node directly,
 * not the engine's executor, so what it sets up and reads is the cluster as it is.
 */
import { PatchStrategy, setHeaderOptions, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import type { KubernetesConnection } from '../kubernetes/connection';

/** Polls (in real time) until `probe` returns something other than undefined or false; generous, as a loaded 2-core machine slows the controllers. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Creates the namespace unless it exists, and waits for its default service account (pods need it). */
export async function ensureNamespace(k8s: KubernetesConnection, name: string): Promise<void> {
  try {
    await k8s.core.createNamespace({ body: { metadata: { name } } });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
  }
  await waitUntil(`service account default in ${name}`, async () => {
    const accounts = await k8s.core.listNamespacedServiceAccount({ namespace: name });
    return accounts.items.some((sa) => sa.metadata?.name === 'default');
  });
}

export interface DeploymentFixture {
  replicas: number;
  image?: string;
  /** CPU each pod requests: the kwok nodes have 32 each, so a big request limits how many pods fit. */
  cpu?: string;
}

/** A deployment labelled `app: NAME`, returned once every replica is Ready. */
export async function createDeployment(
  k8s: KubernetesConnection,
  namespace: string,
  name: string,
  fixture: DeploymentFixture,
): Promise<V1Deployment> {
  const container = {
    name: 'app',
    image: fixture.image ?? 'registry.example/app:1',
    ...(fixture.cpu ? { resources: { requests: { cpu: fixture.cpu } } } : {}),
  };
  await k8s.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name, labels: { app: name } },
      spec: {
        replicas: fixture.replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [container] } },
      },
    },
  });
  return await rolledOut(k8s, namespace, name);
}

/** Waits until the deployment's rollout is complete (as kubectl rollout status says) and returns it; a timeout names what it last saw. */
export async function rolledOut(k8s: KubernetesConnection, namespace: string, name: string): Promise<V1Deployment> {
  let last = 'nothing read yet';
  try {
    return await waitUntil(`deployment ${namespace}/${name} rolled out`, async () => {
      const d = await k8s.apps.readNamespacedDeployment({ name, namespace });
      const want = d.spec?.replicas ?? 1;
      const s = d.status ?? {};
      last = `want ${want}, generation ${d.metadata?.generation} observed ${s.observedGeneration}, replicas ${s.replicas} updated ${s.updatedReplicas} ready ${s.readyReplicas} available ${s.availableReplicas}`;
      const done =
        (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
        (s.updatedReplicas ?? 0) === want &&
        (s.replicas ?? 0) === want &&
        (s.availableReplicas ?? 0) === want &&
        (s.readyReplicas ?? 0) === want;
      return done && d;
    });
  } catch (error) {
    const pods = await k8s.core.listNamespacedPod({ namespace, labelSelector: `app=${name}` }).catch(() => undefined);
    const podStates = (pods?.items ?? []).map(
      (p) =>
        `${p.metadata?.name}: ${p.status?.phase}${p.spec?.nodeName ? ` on ${p.spec.nodeName}` : ''}${p.metadata?.deletionTimestamp ? ' (deleting)' : ''}`,
    );
    throw new Error(`${(error as Error).message}; last seen: ${last}; pods: ${podStates.join(', ') || 'none'}`);
  }
}

/** A new revision: a different image, rolled out. */
export async function setImage(k8s: KubernetesConnection, namespace: string, name: string, image: string): Promise<V1Deployment> {
  const d = await k8s.apps.readNamespacedDeployment({ name, namespace });
  d.spec!.template.spec!.containers[0]!.image = image;
  await k8s.apps.replaceNamespacedDeployment({ name, namespace, body: d });
  return await rolledOut(k8s, namespace, name);
}

/** The deployment's pods that are not being deleted. */
export async function livePods(k8s: KubernetesConnection, namespace: string, app: string): Promise<V1Pod[]> {
  const pods = await k8s.core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
  return pods.items.filter((pod) => !pod.metadata?.deletionTimestamp);
}

/**
 * What a kubelet reports for a container that keeps failing: waiting in CrashLoopBackOff after
 * `restarts` restarts, the last one ending with `lastReason` (Error, OOMKilled) just now; not Ready.
 */
export async function reportContainerFailure(
  k8s: KubernetesConnection,
  namespace: string,
  name: string,
  failure: { lastReason: 'Error' | 'OOMKilled'; restarts: number },
): Promise<void> {
  const pod = await k8s.core.readNamespacedPod({ name, namespace });
  const now = new Date().toISOString();
  const notReady = new Set(['Ready', 'ContainersReady']);
  const body = {
    status: {
      conditions: (pod.status?.conditions ?? []).map((c) =>
        notReady.has(c.type) ? { ...c, status: 'False', lastTransitionTime: now } : c,
      ),
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: false,
        started: false,
        restartCount: failure.restarts,
        state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting failed container ${c.name}` } },
        lastState: {
          terminated: {
            exitCode: failure.lastReason === 'OOMKilled' ? 137 : 1,
            reason: failure.lastReason,
            startedAt: now,
            finishedAt: now,
          },
        },
      })),
    },
  };
  await k8s.core.patchNamespacedPodStatus({ name, namespace, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

/** Deletes the deployment with its pods, if it exists, and returns once it is gone. */
export async function removeDeployment(k8s: KubernetesConnection, namespace: string, name: string): Promise<void> {
  try {
    await k8s.apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Foreground' });
  } catch (error) {
    if ((error as { code?: number }).code === 404) return;
    throw error;
  }
  await waitUntil(`deployment ${namespace}/${name} deleted`, async () => {
    try {
      await k8s.apps.readNamespacedDeployment({ name, namespace });
      return false;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return true;
      throw error;
    }
  });
}
