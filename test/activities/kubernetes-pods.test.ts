/** Reading a pod's status: readiness, restarts and the one-hour window the restart guardrail uses. */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { podState } from '../../kubernetes/pods';
import { previousRevision, selectorString } from '../../kubernetes/deployments';

const now = new Date('2026-11-24T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

function pod(statuses: Partial<V1ContainerStatus>[], ready = false): V1Pod {
  return {
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: statuses.map((s, i) => ({ name: `c${i}`, image: 'x', imageID: '', ready, restartCount: 0, ...s })),
    },
  };
}

describe('podState', () => {
  it('counts the restarts of containers whose last termination was within the hour', () => {
    const state = podState(
      pod([
        {
          restartCount: 4,
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: minutesAgo(10) } },
          state: { waiting: { reason: 'CrashLoopBackOff' } },
        },
        { restartCount: 9, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: minutesAgo(61) } } },
      ]),
      now,
    );
    expect(state).toEqual({
      phase: 'Running',
      ready: false,
      restarts: 13,
      restartsLastHour: 4,
      lastRestartAt: minutesAgo(10).toISOString(),
      waitingReason: 'CrashLoopBackOff',
      lastTerminationReason: 'OOMKilled',
    });
  });

  it('reports a healthy pod as ready with no restarts', () => {
    expect(podState(pod([{ state: { running: {} } }], true), now)).toEqual({
      phase: 'Running',
      ready: true,
      restarts: 0,
      restartsLastHour: 0,
    });
  });
});

describe('deployment helpers', () => {
  it('previousRevision is the highest revision below the current one', () => {
    expect(previousRevision([1, 2, 5, 7], 7)).toBe(5);
    expect(previousRevision([3], 3)).toBeUndefined();
  });

  it('selectorString writes label selectors in query syntax', () => {
    expect(
      selectorString({
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['a', 'b'] },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=web,tier in (a,b),!canary');
  });
});
