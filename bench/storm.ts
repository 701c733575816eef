/**
 * 3. The storm: incidents for many services within a minute, a tenth of them repeated (they must
 * attach), under the storm policy (3 at once, 1 service at once, a failure budget, 10 runs per service
 * an hour), with some services whose actions fail and HIGH-risk incidents approved mid-storm. Judged
 * from the target's record of every request (bench/analysis.ts). Runs on in-process workers, or on
 * worker processes of which one is killed mid-storm.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { Incident } from '../dsl/types';
import { decisionStatement } from '../client/approvals';
import { approvalStatementText } from '../dsl/trust/statement';
import { queryStatus } from '../client/status';
import { decideUpdate } from '../contracts/messages';
import { judgeStorm, withInjectedViolation, type StormAtTarget, type StormIncident } from './analysis';
import { coordinatorHealth, type CoordinatorHealth } from './coordinator-health';
import { BENCH_APPROVER, STORM_POLICY, type BenchEnv } from './env';
import { makeIncident, resultOf, runTagged, submit } from './incidents';
import { percentiles, pool, round, sleep, type Percentiles } from './stats';
import { describeStuck, type StuckSummary } from './stuck';

export interface StormOptions {
  incidents: number;
  services: number;
  seconds: number;
  /** How long after the storm window every incident must have finished. */
  finishWithinMs: number;
  approvals: number;
  failingServices: number;
  /** In-process workers, or this many worker processes with one killed halfway through the storm. */
  processes?: number;
}

export interface StormFigures {
  incidents: number;
  services: number;
  withinSeconds: number;
  workers: string;
  duplicatesSubmitted: number;
  duplicatesAttached: number;
  outcomes: Record<string, number>;
  atTarget: StormAtTarget;
  /** The judge run over the same record with violations injected: it must find them. */
  selfTestDetected: boolean;
  /** Incidents with no final outcome within the time allowed after the storm. */
  lost: number;
  finishedWithinSeconds: number | null;
  stuck: StuckSummary;
  approvalToFirstActionMs: Percentiles;
  coordinator: CoordinatorHealth;
  /** Nothing acted: the storm measured nothing, and fails. */
  nothingRan: boolean;
}

const root = fileURLToPath(new URL('..', import.meta.url));

export async function storm(env: BenchEnv, options: StormOptions, log: (line: string) => void): Promise<StormFigures> {
  const workers = await stormWorkers(env, options, log);
  try {
    return await runStorm(env, options, workers, log);
  } finally {
    await workers.stop();
  }
}

interface StormWorkers {
  taskQueue: string;
  coordinatorId: string;
  description: string;
  /** Worker identities (pid@host) of the processes killed so far. */
  killed: Set<string>;
  /** Called halfway through the storm. */
  midway(): void;
  stop(): Promise<void>;
}

async function stormWorkers(env: BenchEnv, options: StormOptions, log: (line: string) => void): Promise<StormWorkers> {
  if (!options.processes) {
    const engine = await env.startEngine(runTagged('storm'), STORM_POLICY);
    return {
      taskQueue: engine.taskQueue,
      coordinatorId: engine.coordinatorId,
      description: 'in-process',
      killed: new Set(),
      midway: () => undefined,
      stop: async () => undefined,
    };
  }
  const taskQueue = runTagged('storm-proc');
  const coordinatorId = `guardrails-${taskQueue}`;
  const policyFile = join(env.dataDir, `${taskQueue}-policy.yaml`);
  writeFileSync(
    policyFile,
    stringify({
      limits: { max_concurrent: STORM_POLICY.limits.maxConcurrent, max_services: STORM_POLICY.limits.maxServices },
      failure_budget: {
        max_failures: STORM_POLICY.failureBudget.maxFailures,
        window_minutes: STORM_POLICY.failureBudget.windowMs / 60_000,
      },
      allowed_signers: env.allowedSignersFile,
    }),
  );
  const childEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    REMEDIATE_TASK_QUEUE: taskQueue,
    REMEDIATE_GUARDRAILS_ID: coordinatorId,
    REMEDIATE_POLICY_FILE: policyFile,
    REMEDIATE_NOTIFY_LOG: join(env.dataDir, `${taskQueue}-notifications.jsonl`),
  };
  const children: ChildProcess[] = [];
  for (let i = 0; i < options.processes; i++) children.push(await startWorkerProcess(childEnv, env.runbooksFile, log));
  const killed = new Set<string>();
  return {
    killed,
    taskQueue,
    coordinatorId,
    description: `${options.processes} worker processes, one killed (SIGKILL) halfway through`,
    midway: () => {
      log(`  killing worker process ${children[0]!.pid} (SIGKILL)`);
      children[0]!.kill('SIGKILL');
      killed.add(`${children[0]!.pid}@${hostname()}`); // the SDK's default worker identity
    },
    stop: async () => {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.all(
        children.map((child) =>
          child.exitCode === null && child.signalCode === null ? new Promise((r) => child.once('exit', r)) : undefined,
        ),
      );
    },
  };
}

function startWorkerProcess(env: NodeJS.ProcessEnv, runbooks: string, log: (line: string) => void): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(root, 'bin/remediate.js'), 'worker', '--runbooks', runbooks], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stderr.on('data', keep);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker process did not start polling within 120 s:\n${output}`)), 120_000);
    child.stdout.on('data', (chunk: Buffer) => {
      keep(chunk);
      if (output.includes('polling task queues')) {
        clearTimeout(timer);
        log(`  worker process ${child.pid} polling`);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited ${code} before polling:\n${output}`));
    });
  });
}

async function runStorm(env: BenchEnv, options: StormOptions, workers: StormWorkers, log: (line: string) => void): Promise<StormFigures> {
  const { incidents: n, services, seconds } = options;
  for (let k = 0; k < options.failingServices; k++) env.target.failing.add(`storm-svc-${k}`);
  const incidents = Array.from({ length: n }, (_, i) => makeIncident(env, 'bench_storm', `storm-svc-${i % services}`));
  const duplicates = incidents.filter((_, i) => i % 10 === 5);
  const approvals = Array.from({ length: options.approvals }, (_, k) => makeIncident(env, 'bench_high', `approval-svc-${k}`));
  const start = Date.now() + 50;
  const windowMs = seconds * 1000;

  const submissions: Promise<boolean>[] = [];
  incidents.forEach((incident, i) => {
    submissions.push(
      sleep(start + (i * windowMs) / n - Date.now()).then(async () => (await submit(env, incident, workers.taskQueue)).attached),
    );
  });
  duplicates.forEach((incident, i) => {
    submissions.push(
      sleep(start + ((i * 10 + 5) * windowMs) / n + 500 - Date.now()).then(
        async () => (await submit(env, incident, workers.taskQueue)).attached,
      ),
    );
  });
  const midway = sleep(start + windowMs / 2 - Date.now()).then(() => workers.midway());
  const approved = approvals.map((incident, k) =>
    approveWhenAsked(
      env,
      incident,
      workers.taskQueue,
      start + ((k + 0.5) * windowMs) / options.approvals,
      start + windowMs + options.finishWithinMs,
    ),
  );

  const attached = await Promise.all(submissions);
  await midway;
  log(`  all ${n + duplicates.length} submissions made; waiting for outcomes`);
  const finishBy = start + windowMs + options.finishWithinMs;
  const everyone = [...incidents, ...approvals];
  const results = await pool(everyone, 500, (incident) =>
    Promise.race([resultOf(env, incident.id), sleep(finishBy - Date.now()).then(() => ({ error: 'unfinished' }))]),
  );
  const lastDone = Date.now();
  const approvalMs = (await Promise.all(approved)).flatMap((ms) => (ms === null ? [] : [ms]));

  const outcomes: Record<string, number> = {};
  let lost = 0;
  for (const r of results) {
    const key = 'outcome' in r ? r.outcome : r.error;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    if (!('outcome' in r)) lost += 1;
  }
  const stormIncidents: StormIncident[] = everyone.map((i) => ({
    id: i.id,
    pod: i.id,
    service: i.service,
    runbook: i.root_cause === 'bench_high' ? 'bench-approve' : 'bench-storm',
  }));
  const rules = {
    maxPerHour: Object.fromEntries(env.catalogue.runbooks.map((r) => [r.id, r.guardrails.maxPerHour])),
    limits: STORM_POLICY.limits,
    failureBudget: STORM_POLICY.failureBudget,
  };
  const ours = new Set(stormIncidents.map((i) => i.pod));
  const record = env.target.requests.filter((r) => ours.has(r.pod));
  const atTarget = judgeStorm(record, stormIncidents, rules);
  const injected = withInjectedViolation(record, stormIncidents, rules);
  env.target.failing.clear();
  return {
    incidents: n,
    services,
    withinSeconds: seconds,
    workers: workers.description,
    duplicatesSubmitted: duplicates.length,
    duplicatesAttached: attached.slice(n).filter(Boolean).length,
    outcomes,
    atTarget,
    selfTestDetected: judgeStorm(injected.requests, injected.incidents, rules).violations.total > 0,
    lost,
    finishedWithinSeconds: lost === 0 ? round((lastDone - start - windowMs) / 1000, 1) : null,
    stuck: lost > 0 ? await describeStuck(env.client, workers.taskQueue, log) : { running: 0, byWaitingOn: {}, examples: [] },
    approvalToFirstActionMs: percentiles(approvalMs),
    coordinator: await coordinatorHealth(env.client, workers.coordinatorId, workers.killed),
    nothingRan: atTarget.acted === 0,
  };
}

/** Submits a HIGH-risk incident at `at`, approves it the moment it asks, and measures approval to its first action at the target. */
async function approveWhenAsked(
  env: BenchEnv,
  incident: Incident,
  taskQueue: string,
  at: number,
  giveUpAt: number,
): Promise<number | null> {
  await sleep(at - Date.now());
  const { handle } = await submit(env, incident, taskQueue);
  while (Date.now() < giveUpAt) {
    // A deadline on each query: under a storm one can wait long for the run's busy worker, and the next try may get through.
    const status = await queryStatus(handle, 2_000).catch(() => undefined);
    if (status?.phase === 'awaiting_approval' && status.planHash) {
      const signalledAt = Date.now();
      const { runId } = await handle.describe();
      const statement = decisionStatement({ runId, status, planHash: status.planHash }, handle.workflowId, {
        verdict: 'approve',
        planHash: status.planHash,
      });
      const text = approvalStatementText(statement);
      const answer = await handle.executeUpdate(decideUpdate, { args: [{ statement: text, signature: BENCH_APPROVER.sign(text) }] });
      if (!answer.counted) throw new Error(`the bench's approval was refused: ${answer.message}`);
      while (Date.now() < giveUpAt && env.target.firstAt('DELETE', incident.id) === undefined) await sleep(5);
      const actedAt = env.target.firstAt('DELETE', incident.id);
      return actedAt === undefined ? null : actedAt - signalledAt;
    }
    if (status?.phase === 'done') return null;
    await sleep(50);
  }
  return null;
}
