/** The scenarios that run against the live server: throughput, latency and the storm. */
import { WorkflowFailedError } from '@temporalio/client';
import { submitIncident } from '../client/submit';
import type { Incident } from '../dsl/types';
import { approveSignal, remediationWorkflowId, statusQuery } from '../workflows/messages';
import type { RemediationResult } from '../workflows/types';
import type { baselineWorkflow } from './baseline-workflow';
import type { BenchEnv } from './env';
import { BENCH_POLICY } from './env';
import { percentiles, pool, round, sleep, type Percentiles } from './stats';

const runTag = Date.now().toString(36);
let seq = 0;

function makeIncident(rootCause: string, service: string): Incident {
  const id = `bench-${runTag}-${++seq}`;
  return { id, root_cause: rootCause, confidence: 0.9, service, services: [service], symptoms: [], context: { pod_name: `pod-${id}` } };
}

function seedPod(env: BenchEnv, incident: Incident) {
  env.cluster.state.pods[incident.context.pod_name as string] = { ready: false, restarts: 0, replicas: 2 };
}

async function submit(env: BenchEnv, incident: Incident) {
  return await submitIncident(env.client, { incident, catalogue: env.catalogue, policy: BENCH_POLICY, taskQueue: env.engineQueue });
}

async function resultOf(env: BenchEnv, incidentId: string): Promise<RemediationResult | { error: string }> {
  try {
    return await env.client.workflow.getHandle(remediationWorkflowId(incidentId)).result();
  } catch (error) {
    return { error: error instanceof WorkflowFailedError ? `failed: ${error.cause?.message ?? error.message}` : String(error) };
  }
}

// ---------------------------------------------------------------- 1. throughput
export interface ThroughputFigures {
  incidents: number;
  services: number;
  /** Workflows in flight at once (closed loop), the same for engine and baseline. */
  window: number;
  engine: { seconds: number; perSecond: number; remediated: number; otherOutcomes: Record<string, number> };
  baseline: { seconds: number; perSecond: number; activitiesPerWorkflow: number };
  /** engine rate / baseline rate. */
  ratio: number;
  /** What one workflow costs the server: history events, workflow tasks, activities (the coordinator's own tasks not included). */
  anatomy: { engine: HistoryAnatomy; baseline: HistoryAnatomy };
}

export interface HistoryAnatomy {
  events: number;
  workflowTasks: number;
  activities: number;
}

async function anatomy(env: BenchEnv, workflowId: string): Promise<HistoryAnatomy> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  return {
    events: events.length,
    workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length,
    activities: events.filter((e) => e.activityTaskScheduledEventAttributes).length,
  };
}

export async function throughput(env: BenchEnv, n: number, services: number, window: number, deadlineMs: number): Promise<ThroughputFigures> {
  const activities = 4;
  // Baseline first: N bare workflows, same server and worker settings.
  const baseStart = performance.now();
  const ids = Array.from({ length: n }, (_, i) => `baseline-${runTag}-${i}`);
  // Closed loop: at most `window` workflows in flight, for the baseline and the engine alike.
  await pool(ids, window, async (id) => {
    const handle = await env.client.workflow.start<typeof baselineWorkflow>('baselineWorkflow', { workflowId: id, taskQueue: env.baselineQueue, args: [{ id, activities }] });
    await handle.result();
  });
  const baseSeconds = (performance.now() - baseStart) / 1000;

  const incidents = Array.from({ length: n }, (_, i) => makeIncident('bench_low', `svc-${i % services}`));
  incidents.forEach((incident) => seedPod(env, incident));
  const engineStart = performance.now();
  // A stuck engine must not hang the benchmark: past the deadline, report what did not finish.
  const deadline = Date.now() + deadlineMs;
  const results = await pool(incidents, window, async (incident): Promise<RemediationResult | { error: string }> => {
    if (Date.now() > deadline) return { error: 'not submitted before the deadline' };
    await submit(env, incident);
    return await Promise.race([resultOf(env, incident.id), sleep(deadline - Date.now()).then(() => ({ error: 'unfinished at the deadline' }))]);
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
  const baseRate = n / baseSeconds;
  return {
    incidents: n,
    services,
    window,
    engine: { seconds: round(engineSeconds, 2)!, perSecond: round(engineRate, 1)!, remediated, otherOutcomes: outcomes },
    baseline: { seconds: round(baseSeconds, 2)!, perSecond: round(baseRate, 1)!, activitiesPerWorkflow: activities },
    ratio: round(engineRate / baseRate, 3)!,
    anatomy: { engine: await anatomy(env, remediationWorkflowId(incidents[0]!.id)), baseline: await anatomy(env, ids[0]!) },
  };
}

// ---------------------------------------------------------------- 2. latency
export interface LatencyFigures {
  ratePerSecond: number;
  seconds: number;
  incidents: number;
  firstActionMs: Percentiles;
  /** Bare Temporal at the same arrival rate: workflow start to its first activity, and to its result. */
  baseline: { firstActivityMs: Percentiles; completedMs: Percentiles; unfinished: number };
  verifiedOutcomeMs: Percentiles;
  notRemediated: number;
  /** Not finished within the drain time after the last arrival (counted in notRemediated too). */
  timedOut: number;
  /** Where the time goes, p50 per stage (ms), from the audit events' workflow times. */
  stagesP50Ms: Record<string, number | null>;
}

export async function latency(env: BenchEnv, ratePerSecond: number, seconds: number, services: number, drainMs: number): Promise<LatencyFigures> {
  const count = Math.round(ratePerSecond * seconds);
  const incidents = Array.from({ length: count }, (_, i) => makeIncident('bench_low', `lat-svc-${i % services}`));
  incidents.forEach((incident) => seedPod(env, incident));
  const start = Date.now() + 50;
  const runs = incidents.map(async (incident, i) => {
    await sleep(start + (i * 1000) / ratePerSecond - Date.now());
    const submittedAt = Date.now();
    await submit(env, incident);
    const result = await Promise.race([resultOf(env, incident.id), sleep(start + seconds * 1000 + drainMs - Date.now()).then(() => ({ error: 'timeout' }))]);
    const doneAt = Date.now();
    const actionAt = env.cluster.firstAt('DELETE', `/pods/${incident.context.pod_name as string}`);
    return { submittedAt, doneAt, actionAt, result, remediated: 'outcome' in result && result.outcome === 'remediated' };
  });
  const done = await Promise.all(runs);
  const first = done.filter((d) => d.actionAt !== undefined).map((d) => d.actionAt! - d.submittedAt);
  const verified = done.filter((d) => d.remediated).map((d) => d.doneAt - d.submittedAt);
  return {
    ratePerSecond,
    seconds,
    incidents: count,
    firstActionMs: percentiles(first),
    baseline: await baselineLatency(env, ratePerSecond, count, seconds * 1000 + drainMs),
    verifiedOutcomeMs: percentiles(verified),
    notRemediated: done.filter((d) => !d.remediated).length,
    timedOut: done.filter((d) => 'error' in d.result && d.result.error === 'timeout').length,
    stagesP50Ms: stages(done),
  };
}

/** The same arrival rate through bare workflows: what Temporal alone gives on this machine. */
async function baselineLatency(env: BenchEnv, ratePerSecond: number, count: number, limitMs: number): Promise<LatencyFigures['baseline']> {
  const start = Date.now() + 50;
  const runs = Array.from({ length: count }, async (_, i) => {
    const id = `baseline-latency-${runTag}-${ratePerSecond}-${i}`;
    await sleep(start + (i * 1000) / ratePerSecond - Date.now());
    const submittedAt = Date.now();
    const handle = await env.client.workflow.start<typeof baselineWorkflow>('baselineWorkflow', { workflowId: id, taskQueue: env.baselineQueue, args: [{ id, activities: 4 }] });
    const finished = await Promise.race([handle.result().then(() => true), sleep(start + limitMs - Date.now()).then(() => false)]);
    const firstAt = env.baselineFirstActivity.get(id);
    return { first: firstAt === undefined ? undefined : firstAt - submittedAt, completed: finished ? Date.now() - submittedAt : undefined };
  });
  const done = await Promise.all(runs);
  return {
    firstActivityMs: percentiles(done.flatMap((d) => (d.first === undefined ? [] : [d.first]))),
    completedMs: percentiles(done.flatMap((d) => (d.completed === undefined ? [] : [d.completed]))),
    unfinished: done.filter((d) => d.completed === undefined).length,
  };
}

const STAGES = [
  'submit -> decided (start, first task, guardrail snapshot query)',
  'decided -> run started (acquire update on the coordinator)',
  'run started -> action started (read-only pre-check)',
  'action started -> verified (action, post-check)',
  'verified -> result at client (notify, release, completion)',
] as const;

function stages(done: Array<{ submittedAt: number; doneAt: number; result: RemediationResult | { error: string } }>): Record<string, number | null> {
  const gaps: number[][] = STAGES.map(() => []);
  for (const d of done) {
    if (!('outcome' in d.result) || d.result.outcome !== 'remediated') continue;
    const events = d.result.events;
    const t = (pred: (e: (typeof events)[number]) => boolean) => {
      const e = events.find(pred);
      return e ? Date.parse(e.at) : undefined;
    };
    const points = [
      d.submittedAt,
      t((e) => e.type === 'EXECUTING'),
      t((e) => e.type === 'EXECUTING' && e.data?.planHash !== undefined),
      t((e) => e.type === 'STEP_STARTED'),
      t((e) => e.type === 'SUCCESS'),
      d.doneAt,
    ];
    for (let i = 0; i < STAGES.length; i++) {
      const [a, b] = [points[i], points[i + 1]];
      if (a !== undefined && b !== undefined) gaps[i]!.push(b - a);
    }
  }
  return Object.fromEntries(STAGES.map((name, i) => [name, percentiles(gaps[i]!).p50]));
}

// ---------------------------------------------------------------- 3. storm
export interface StormFigures {
  incidents: number;
  services: number;
  withinSeconds: number;
  maxPerHour: number;
  duplicatesSubmitted: number;
  duplicatesAttached: number;
  outcomes: Record<string, number>;
  executions: number;
  /** Executions beyond max_per_hour in any rolling hour, per runbook:service, summed. */
  guardrailViolations: number;
  /** The same count from the simulated cluster's own record of the actions it received. */
  actionsAtTarget: number;
  violationsAtTarget: number;
  /** Incidents with no final outcome (still running, failed or never found). */
  lost: number;
  leftRunning: number;
  approvalToFirstActionMs: number | null;
  drainSeconds: number;
}

function violations(executions: Map<string, number[]>, maxPerHour: number): number {
  let total = 0;
  for (const times of executions.values()) {
    times.sort((a, b) => a - b);
    let worst = 0;
    let lo = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while (times[hi]! - times[lo]! >= 3_600_000) lo++;
      worst = Math.max(worst, hi - lo + 1);
    }
    total += Math.max(0, worst - maxPerHour);
  }
  return total;
}

export async function storm(env: BenchEnv, n: number, services: number, withinSeconds: number, drainTimeoutMs: number): Promise<StormFigures> {
  const maxPerHour = env.catalogue.runbooks.find((r) => r.id === 'bench-storm')!.guardrails.maxPerHour;
  const incidents = Array.from({ length: n }, (_, i) => makeIncident('bench_storm', `storm-svc-${i % services}`));
  incidents.forEach((incident) => seedPod(env, incident));
  const duplicates = incidents.filter((_, i) => i % 10 === 5);
  const high = makeIncident('bench_high', 'approval-svc');
  seedPod(env, high);

  const start = Date.now() + 50;
  const submissions: Promise<boolean>[] = [];
  // Originals spread over the window; each duplicate a little after its original.
  incidents.forEach((incident, i) => {
    const at = start + (i * withinSeconds * 1000) / n;
    submissions.push(sleep(at - Date.now()).then(async () => (await submit(env, incident)).attached));
  });
  duplicates.forEach((incident, i) => {
    const at = start + ((i * 10 + 5) * withinSeconds * 1000) / n + 500;
    submissions.push(sleep(at - Date.now()).then(async () => (await submit(env, incident)).attached));
  });

  // The HIGH-risk incident arrives mid-storm; approved as soon as it asks.
  const approval = (async () => {
    await sleep(start + (withinSeconds * 1000) / 2 - Date.now());
    const { handle } = await submit(env, high);
    const deadline = Date.now() + drainTimeoutMs;
    for (;;) {
      const status = await handle.query(statusQuery).catch(() => null);
      if (status?.phase === 'awaiting_approval' && status.planHash) {
        const signalledAt = Date.now();
        await handle.signal(approveSignal, { by: 'bench-approver', planHash: status.planHash });
        const pod = `/pods/${high.context.pod_name as string}`;
        while (Date.now() < deadline && env.cluster.firstAt('DELETE', pod) === undefined) await sleep(5);
        const at = env.cluster.firstAt('DELETE', pod);
        return at === undefined ? null : at - signalledAt;
      }
      if (status?.phase === 'done' || Date.now() > deadline) return null;
      await sleep(50);
    }
  })();

  const attached = await Promise.all(submissions);
  const duplicatesAttached = attached.slice(n).filter(Boolean).length;
  const approvalToFirstActionMs = await approval;

  // Drain: wait for every incident's outcome, up to the timeout.
  const drainStart = performance.now();
  const deadline = Date.now() + drainTimeoutMs;
  const results = await pool(incidents, 500, (incident) =>
    Promise.race([resultOf(env, incident.id), sleep(deadline - Date.now()).then(() => ({ error: 'timeout' }))]),
  );
  const drainSeconds = (performance.now() - drainStart) / 1000;

  const outcomes: Record<string, number> = {};
  const executions = new Map<string, number[]>();
  let lost = 0;
  for (const [i, r] of results.entries()) {
    if (!('outcome' in r)) {
      lost += 1;
      outcomes[r.error] = (outcomes[r.error] ?? 0) + 1;
      continue;
    }
    outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    // The decision also records EXECUTING ("guardrails clear"); the run itself is the one with the plan hash.
    const executing = r.events.find((e) => e.type === 'EXECUTING' && e.data?.planHash !== undefined);
    if (executing && r.runbook) {
      const key = `${r.runbook}:${incidents[i]!.service}`;
      const list = executions.get(key) ?? [];
      list.push(Date.parse(executing.at));
      executions.set(key, list);
    }
  }
  // Cross-check at the target: actions the simulated cluster actually received, per service.
  const targetActions = new Map<string, number[]>();
  for (const incident of incidents) {
    const at = env.cluster.firstAt('DELETE', `/pods/${incident.context.pod_name as string}`);
    if (at === undefined) continue;
    const list = targetActions.get(incident.service) ?? [];
    list.push(at);
    targetActions.set(incident.service, list);
  }
  let leftRunning = 0;
  if (lost > 0) {
    await pool(incidents, 50, async (incident) => {
      const described = await env.client.workflow.getHandle(remediationWorkflowId(incident.id)).describe().catch(() => null);
      if (described?.status.name === 'RUNNING') leftRunning += 1;
    });
  }
  return {
    incidents: n,
    services,
    withinSeconds,
    maxPerHour,
    duplicatesSubmitted: duplicates.length,
    duplicatesAttached,
    outcomes,
    executions: [...executions.values()].reduce((sum, list) => sum + list.length, 0),
    guardrailViolations: violations(executions, maxPerHour),
    actionsAtTarget: [...targetActions.values()].reduce((sum, list) => sum + list.length, 0),
    violationsAtTarget: violations(targetActions, maxPerHour),
    lost,
    leftRunning,
    approvalToFirstActionMs,
    drainSeconds: round(drainSeconds, 2)!,
  };
}
