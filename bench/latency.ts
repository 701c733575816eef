/**
 * 2. Latency at fixed arrival rates, for bare Temporal and the engine alike: bare workflow start to
 * its first activity, and incident submission to its first action as the target saw it and to its
 * verified outcome. The highest rate at which bare Temporal stays bounded is where the engine is
 * compared: above it every figure measures queueing, the server's and ours alike.
 */
import type { baselineWorkflow } from './baseline-workflow';
import type { BenchEnv, EngineWorkers } from './env';
import { makeIncident, resultOf, runTagged, submit, type Finished } from './incidents';
import { BASELINE_ACTIVITIES } from './throughput';
import { percentiles, sleep, type Percentiles } from './stats';

/** Bare Temporal is bounded at a rate when its first-activity p99 stays under this and nothing is left unfinished. */
export const BOUNDED_P99_MS = 1_000;

export interface BaselineLatency {
  ratePerSecond: number;
  firstActivityMs: Percentiles;
  completedMs: Percentiles;
  unfinished: number;
  bounded: boolean;
}

export interface EngineLatency {
  ratePerSecond: number;
  incidents: number;
  firstActionMs: Percentiles;
  verifiedOutcomeMs: Percentiles;
  notRemediated: number;
  timedOut: number;
  /** Where the time goes: p50 per stage (ms), from the audit events' workflow times. */
  stagesP50Ms: Record<string, number | null>;
}

/** Arrivals at `rate` per second for `seconds`, each started on time however long the earlier ones take. */
async function arrivals<T>(rate: number, seconds: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const count = Math.round(rate * seconds);
  const start = Date.now() + 50;
  return await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      await sleep(start + (i * 1000) / rate - Date.now());
      return await task(i);
    }),
  );
}

export async function baselineLatency(
  env: BenchEnv,
  rate: number,
  seconds: number,
  drainMs: number,
  eager: boolean,
): Promise<BaselineLatency> {
  const limitAt = Date.now() + seconds * 1000 + drainMs;
  const done = await arrivals(rate, seconds, async () => {
    const id = runTagged(`baseline-latency-${rate}`);
    const submittedAt = Date.now();
    const handle = await env.client.workflow.start<typeof baselineWorkflow>('baselineWorkflow', {
      workflowId: id,
      taskQueue: env.baselineQueue,
      args: [{ id, activities: BASELINE_ACTIVITIES }],
      ...(eager ? { requestEagerStart: true } : {}),
    });
    const finished = await Promise.race([handle.result().then(() => true), sleep(limitAt - Date.now()).then(() => false)]);
    const firstAt = env.baselineFirstActivity.get(id);
    return { first: firstAt === undefined ? undefined : firstAt - submittedAt, completed: finished ? Date.now() - submittedAt : undefined };
  });
  const firstActivityMs = percentiles(done.flatMap((d) => (d.first === undefined ? [] : [d.first])));
  const unfinished = done.filter((d) => d.completed === undefined).length;
  return {
    ratePerSecond: rate,
    firstActivityMs,
    completedMs: percentiles(done.flatMap((d) => (d.completed === undefined ? [] : [d.completed]))),
    unfinished,
    bounded: unfinished === 0 && (firstActivityMs.p99 ?? Infinity) < BOUNDED_P99_MS,
  };
}

export async function engineLatency(
  env: BenchEnv,
  engine: EngineWorkers,
  rate: number,
  seconds: number,
  services: number,
  drainMs: number,
  eager: boolean,
): Promise<EngineLatency> {
  const limitAt = Date.now() + seconds * 1000 + drainMs;
  const done = await arrivals(rate, seconds, async (i) => {
    const incident = makeIncident(env, 'bench_low', `lat-svc-${i % services}`);
    const submittedAt = Date.now();
    await submit(env, incident, engine.taskQueue, eager);
    const result: Finished = await Promise.race([
      resultOf(env, incident.id),
      sleep(limitAt - Date.now()).then(() => ({ error: 'timeout' })),
    ]);
    return { submittedAt, doneAt: Date.now(), actionAt: env.target.firstAt('DELETE', incident.id), result };
  });
  const remediated = done.filter((d) => 'outcome' in d.result && d.result.outcome === 'remediated');
  return {
    ratePerSecond: rate,
    incidents: done.length,
    firstActionMs: percentiles(done.flatMap((d) => (d.actionAt === undefined ? [] : [d.actionAt - d.submittedAt]))),
    verifiedOutcomeMs: percentiles(remediated.map((d) => d.doneAt - d.submittedAt)),
    notRemediated: done.length - remediated.length,
    timedOut: done.filter((d) => 'error' in d.result && d.result.error === 'timeout').length,
    stagesP50Ms: stages(remediated),
  };
}

const STAGES = [
  'submit -> decided (start, first task, coordinator round trip)',
  'decided -> action started (read-only pre-check)',
  'action started -> verified (action, post-check)',
  'verified -> result at client (notify, release, completion)',
] as const;

function stages(done: Array<{ submittedAt: number; doneAt: number; result: Finished }>): Record<string, number | null> {
  const gaps: number[][] = STAGES.map(() => []);
  for (const d of done) {
    if (!('outcome' in d.result)) continue;
    const events = d.result.events;
    const at = (type: string) => {
      const e = events.find((x) => x.type === type);
      return e ? Date.parse(e.at) : undefined;
    };
    const points = [d.submittedAt, at('EXECUTING'), at('STEP_STARTED'), at('SUCCESS'), d.doneAt];
    for (let i = 0; i < STAGES.length; i++) {
      const [a, b] = [points[i], points[i + 1]];
      if (a !== undefined && b !== undefined) gaps[i]!.push(b - a);
    }
  }
  return Object.fromEntries(STAGES.map((name, i) => [name, percentiles(gaps[i]!).p50]));
}
