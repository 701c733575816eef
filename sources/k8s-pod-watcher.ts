/**
 * An incident source: the event-driven form of the seed's CronJob. It watches pods and turns the states
 * that CronJob looks for into incidents: a container in CrashLoopBackOff that restarted more than a
 * threshold, or one that was OOM-killed. Each incident names the pod, its namespace, its Deployment and
 * replica count, and goes to `submit` (the caller passes client/submit.ts's submitIncident).
 *
 * Incident ids are stable, `k8s:NAMESPACE:POD:REASON:rBUCKET` with the restart count bucketed by the
 * threshold, so the stream of updates a crash-looping pod produces maps to one incident (a repeat attaches
 * to the running remediation) while a pod that keeps failing long after gets a new one.
 */
import { makeInformer, type Informer, type V1Pod } from '@kubernetes/client-node';
import { connectKubernetes, type KubernetesConnection } from '../kubernetes/connection';
import { podWorkload } from '../kubernetes/pods';
import type { Incident } from '../dsl/types';

export type PodTroubleReason = 'CrashLoopBackOff' | 'OOMKilled';

export interface PodTrouble {
  reason: PodTroubleReason;
  /** Restarts of the container in trouble. */
  restarts: number;
  container: string;
}

export interface PodWatchOptions {
  /** A kubeconfig file; default: client-node's defaults ($KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeconfig?: string;
  namespaces: string[];
  /** A crash loop is an incident once a container restarted more than this (the seed's CronJob: 5). */
  restartThreshold?: number;
  /** The confidence incidents carry: the pod's state is observed, not inferred. */
  confidence?: number;
  submit: (incident: Incident) => Promise<unknown>;
  /** Watch and submit failures; the watcher keeps going. */
  onError?: (error: Error) => void;
}

export interface PodWatcher {
  /** Resolves once every namespace is listed and watched. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export const DEFAULT_RESTART_THRESHOLD = 5;
const RESTART_DELAY_MS = 1_000;

/** What is wrong with a pod, if anything an incident should say. An OOM kill is the more specific cause of a crash loop. */
export function podTrouble(pod: V1Pod, restartThreshold: number): PodTrouble | undefined {
  let crashLoop: PodTrouble | undefined;
  for (const status of pod.status?.containerStatuses ?? []) {
    const terminated = status.state?.terminated ?? status.lastState?.terminated;
    if (terminated?.reason === 'OOMKilled') return { reason: 'OOMKilled', restarts: status.restartCount, container: status.name };
    if (status.state?.waiting?.reason === 'CrashLoopBackOff' && status.restartCount > restartThreshold) {
      crashLoop ??= { reason: 'CrashLoopBackOff', restarts: status.restartCount, container: status.name };
    }
  }
  return crashLoop;
}

export function podIncidentId(namespace: string, pod: string, trouble: PodTrouble, restartThreshold: number): string {
  return `k8s:${namespace}:${pod}:${trouble.reason}:r${Math.floor(trouble.restarts / Math.max(1, restartThreshold))}`;
}

export function watchPods(options: PodWatchOptions): PodWatcher {
  const threshold = options.restartThreshold ?? DEFAULT_RESTART_THRESHOLD;
  const connection = connectKubernetes({ kubeconfig: options.kubeconfig ?? null, namespaces: null });
  const onError = options.onError ?? (() => undefined);
  // Ids submitted by this watcher: the informer reports every status change, the incident is one.
  const submitted = new Set<string>();
  let stopped = false;

  const handle = async (pod: V1Pod) => {
    const trouble = podTrouble(pod, threshold);
    const namespace = pod.metadata?.namespace;
    const name = pod.metadata?.name;
    if (!trouble || !namespace || !name || pod.metadata?.deletionTimestamp) return;
    const id = podIncidentId(namespace, name, trouble, threshold);
    if (submitted.has(id)) return;
    submitted.add(id);
    try {
      await options.submit(await podIncident(connection, pod, trouble, id, options.confidence ?? 0.95));
    } catch (error) {
      submitted.delete(id); // let the next update of this pod try again
      onError(error as Error);
    }
  };

  const informers = options.namespaces.map((namespace) => {
    const informer: Informer<V1Pod> = makeInformer(connection.kubeConfig, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, () =>
      connection.core.listNamespacedPod({ namespace }),
    );
    informer.on('add', (pod) => void handle(pod));
    informer.on('update', (pod) => void handle(pod));
    // client-node's informer stops on a watch error; resume it, as its documentation recommends.
    informer.on('error', (error) => {
      onError(error instanceof Error ? error : new Error(String(error)));
      if (!stopped) setTimeout(() => !stopped && informer.start().catch(onError), RESTART_DELAY_MS);
    });
    return informer;
  });

  return {
    ready: Promise.all(informers.map((informer) => informer.start())).then(() => undefined),
    async stop() {
      stopped = true;
      await Promise.all(informers.map((informer) => informer.stop()));
    },
  };
}

async function podIncident(
  connection: KubernetesConnection,
  pod: V1Pod,
  trouble: PodTrouble,
  id: string,
  confidence: number,
): Promise<Incident> {
  const namespace = pod.metadata!.namespace!;
  const name = pod.metadata!.name!;
  const workload = await podWorkload(connection, pod);
  const labels = pod.metadata?.labels ?? {};
  const service = labels['app.kubernetes.io/name'] ?? labels.app ?? workload.deployment ?? workload.controller?.name ?? name;
  const context: Record<string, unknown> = { pod_name: name, namespace, container: trouble.container, restarts: trouble.restarts };
  if (workload.deployment) context.deployment = workload.deployment;
  if (workload.replicas !== undefined) context.replicas = workload.replicas;
  return { id, root_cause: trouble.reason, confidence, service, services: [service], symptoms: [trouble.reason], context };
}
