/**
 * 1. Throughput: N full remediations through the engine against N bare workflows running four
 * trivial activities, closed loop (the same number in flight for both), on the same server.
 */
import type { baselineWorkflow } from './baseline-workflow';
import type { BenchEnv, EngineWorkers } from './env';
import { makeIncident, resultOf, runTagged, submit, type Finished } from './incidents';
import { pool, round, sleep } from './stats';
import { remediationWorkflowId } from '../contracts/messages';

export interface HistoryAnatomy {
  events: number;
  workflowTasks: number;
  activities: number;
}

export interface ThroughputFigures {
  incidents: number;
  services: number;
  window: number;
  eager: boolean;
  engine: { seconds: number; perSecond: number; remediated: number; otherOutcomes: Record<string, number> };
  baseline: { seconds: number; perSecond: number; activitiesPerWorkflow: number };
  ratio: number;
  /** What one workflow costs the server (the coordinator's own tasks not included). */
  anatomy: { engine: HistoryAnatomy; baseline: HistoryAnatomy };
}

export const BASELINE_ACTIVITIES = 4;

async function anatomy(env: BenchEnv, workflowId: string): Promise<HistoryAnatomy> {
  const events = (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  return {
    events: events.length,
    workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length,
    activities: events.filter((e) => e.activityTaskScheduledEventAttributes).length,
  };
}

export async function runBaseline(env: BenchEnv, id: string, eager: boolean): Promise<void> {
  const handle = await env.client.workflow.start<typeof baselineWorkflow>('baselineWorkflow', {
    workflowId: id,
    taskQueue: env.baselineQueue,
    args: [{ id, activities: BASELINE_ACTIVITIES }],
    ...(eager ? { requestEagerStart: true } : {}),
  });
  await handle.result();
}

export async function throughput(
  env: BenchEnv,
  engine: EngineWorkers,
  options: { incidents: number; services: number; window: number; deadlineMs: number; eager: boolean },
): Promise<ThroughputFigures> {
  const ids = Array.from({ length: options.incidents }, () => runTagged('baseline'));
  const baseStart = performance.now();
  await pool(ids, options.window, (id) => runBaseline(env, id, options.eager));
  const baseSeconds = (performance.now() - baseStart) / 1000;

  const incidents = Array.from({ length: options.incidents }, (_, i) => makeIncident(env, 'bench_low', `svc-${i % options.services}`));
  const engineStart = performance.now();
  // A stuck engine must not hang the benchmark: past the deadline, report what did not finish.
  const deadline = Date.now() + options.deadlineMs;
  const results = await pool(incidents, options.window, async (incident): Promise<Finished> => {
    if (Date.now() > deadline) return { error: 'not submitted before the deadline' };
    await submit(env, incident, engine.taskQueue, options.eager);
    return await Promise.race([
      resultOf(env, incident.id),
      sleep(deadline - Date.now()).then(() => ({ error: 'unfinished at the deadline' })),
    ]);
  });
  const engineSeconds = (performance.now() - engineStart) / 1000;
  const outcomes: Record<string, number> = {};
  for (const r of results) {
    const key = 'outcome' in r ? r.outcome : r.error;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  const remediated = outcomes.remediated ?? 0;
  delete outcomes.remediated;
  const engineRate = remediated / engineSeconds;
  const baseRate = options.incidents / baseSeconds;
  return {
    incidents: options.incidents,
    services: options.services,
    window: options.window,
    eager: options.eager,
    engine: { seconds: round(engineSeconds, 2)!, perSecond: round(engineRate, 1)!, remediated, otherOutcomes: outcomes },
    baseline: { seconds: round(baseSeconds, 2)!, perSecond: round(baseRate, 1)!, activitiesPerWorkflow: BASELINE_ACTIVITIES },
    ratio: round(engineRate / baseRate, 3)!,
    anatomy: { engine: await anatomy(env, remediationWorkflowId(incidents[0]!.id)), baseline: await anatomy(env, ids[0]!) },
  };
}
