/** What the pod watcher counts as an incident, and its ids (the watcher itself runs against the cluster in test/kubernetes/). */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { podIncidentId, podTrouble } from '../../sources/k8s-pod-watcher';

const pod = (...statuses: Partial<V1ContainerStatus>[]): V1Pod => ({
  status: { containerStatuses: statuses.map((s, i) => ({ name: `c${i}`, image: 'x', imageID: '', ready: false, restartCount: 0, ...s })) },
});
const crashLoop = (restartCount: number, lastReason = 'Error'): Partial<V1ContainerStatus> => ({
  restartCount,
  state: { waiting: { reason: 'CrashLoopBackOff' } },
  lastState: { terminated: { exitCode: 1, reason: lastReason } },
});

describe('podTrouble', () => {
  it('reports CrashLoopBackOff only above the restart threshold', () => {
    expect(podTrouble(pod(crashLoop(5)), 5)).toBeUndefined();
    expect(podTrouble(pod(crashLoop(6)), 5)).toEqual({ reason: 'CrashLoopBackOff', restarts: 6, container: 'c0' });
  });

  it('reports an OOM kill at any restart count, in preference to the crash loop it causes', () => {
    expect(podTrouble(pod(crashLoop(9), crashLoop(1, 'OOMKilled')), 5)).toEqual({ reason: 'OOMKilled', restarts: 1, container: 'c1' });
    expect(podTrouble(pod({ state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }), 5)).toMatchObject({ reason: 'OOMKilled' });
  });

  it('ignores healthy and merely waiting pods', () => {
    expect(podTrouble(pod({ ready: true, state: { running: {} } }), 5)).toBeUndefined();
    expect(podTrouble(pod({ restartCount: 9, state: { waiting: { reason: 'ImagePullBackOff' } } }), 5)).toBeUndefined();
    expect(podTrouble({}, 5)).toBeUndefined();
  });
});

describe('podIncidentId', () => {
  it('is stable within a bucket of restarts and changes across buckets', () => {
    const id = (restarts: number) => podIncidentId('prod', 'api-1', { reason: 'CrashLoopBackOff', restarts, container: 'c' }, 5);
    expect(id(6)).toBe('k8s:prod:api-1:CrashLoopBackOff:r1');
    expect(id(9)).toBe(id(6));
    expect(id(10)).toBe('k8s:prod:api-1:CrashLoopBackOff:r2');
  });
});
