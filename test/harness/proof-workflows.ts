// Small workflows that prove the servers and the harness behave like real Temporal.
import { condition, defineQuery, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type * as activities from './proof-activities';

const { stamp } = proxyActivities<typeof activities>({ startToCloseTimeout: '10s' });
const { slowStep } = proxyActivities<typeof activities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: '2s',
  retry: { initialInterval: '200ms', maximumAttempts: 5 },
});

/** Sleeps for `ms` of workflow time, then runs an activity. */
export async function sleepThenStamp(ms: number): Promise<{ before: number; after: number; activity: string }> {
  const before = Date.now();
  await sleep(ms);
  const activity = await stamp('after-sleep');
  return { before, after: Date.now(), activity };
}

export const pokeSignal = defineSignal<[string]>('poke');
export const phaseQuery = defineQuery<string>('phase');

/** Waits for a signal, then a short durable timer; the phase is queryable throughout. */
export async function signalTimerQuery(timerMs: number): Promise<string> {
  let phase = 'waiting-for-signal';
  let received: string | undefined;
  setHandler(phaseQuery, () => phase);
  setHandler(pokeSignal, (value) => {
    received = value;
  });
  await condition(() => received !== undefined);
  phase = 'timer';
  await sleep(timerMs);
  phase = 'done';
  return `got ${received}`;
}

/** One slow heartbeating activity: a worker killed during it must not lose the workflow. */
export async function survivesWorkerRestart(markerDir: string): Promise<{ attempts: number }> {
  return await slowStep(markerDir);
}
