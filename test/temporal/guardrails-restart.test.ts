/**
 * On the dev server (real persistence, real time): a worker process killed during a storm and a new
 * one started leave the guardrail limits intact; remediations fail closed when the coordinator is
 * slow or gone; human-approved work goes first within a batch; the operator CLI shows and changes the
 * shared state, and brings a terminated coordinator back with its state.
 */
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { submitIncident } from '../../client/submit';
import type { CheckRequest } from '../../dsl/guardrail-protocol';
import type { CompiledCatalogue } from '../../dsl/types';
import type { HistoryEvent } from '../../client/history';
import { ensureCoordinator } from '../../client/coordinator';
import { buildCoordinatorWorker } from '../../worker/build-worker';
import { freezeSignal, guardrailRequestSignal, guardrailStateQuery } from '../../contracts/guardrail-messages';
import { compileFixture, incident, renderFixture, startWorker } from '../harness/engine';
import { recordHistory } from '../harness/histories';
import { startSimulatedCluster, type SimulatedCluster } from '../harness/simulated-cluster';
import { connectDevServer, uniqueTaskQueue } from '../harness/temporal';

const bin = join(import.meta.dirname, '../../bin/remediate.js');
const taskQueue = uniqueTaskQueue('storm');
const guardrailsId = `guardrails-${taskQueue}`;
const env = {
  ...process.env,
  TEMPORAL_ADDRESS: inject('devServerAddress'),
  REMEDIATE_TASK_QUEUE: taskQueue,
  REMEDIATE_GUARDRAILS_ID: guardrailsId,
  REMEDIATE_NOTIFY_LOG: '/dev/null',
};

let connection: Connection;
let client: Client;
let cluster: SimulatedCluster;
let catalogue: CompiledCatalogue;
let runbooksFile: string;
const workers: ChildProcess[] = [];

function startWorkerProcess(): Promise<ChildProcess> {
  // The worker's own catalogue: the fixture, rendered for this file's cluster.
  const child = spawn(process.execPath, [bin, 'worker', '--runbooks', runbooksFile], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  workers.push(child);
  // Ready once it says it polls: by then it has made sure the coordinator runs.
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('polling task queues')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited ${code} before polling:\n${out}`)));
  });
}

function cli(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 60_000 });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(predicate: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(200);
  }
}

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('devServerAddress') });
  client = new Client({ connection });
  cluster = await startSimulatedCluster();
  const fixture = join(import.meta.dirname, '../fixtures/guardrails/runbooks.yaml');
  catalogue = compileFixture(fixture, { TARGET: cluster.url });
  runbooksFile = join(mkdtempSync(join(tmpdir(), 'remediate-restart-')), 'runbooks.yaml');
  writeFileSync(runbooksFile, renderFixture(fixture, { TARGET: cluster.url }));
});
afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await client?.workflow
    .getHandle(guardrailsId)
    .terminate('test finished')
    .catch(() => undefined);
  await connection?.close();
  await cluster?.close();
});

describe('guardrails on the dev server', () => {
  it('a worker killed and restarted during a storm leaves the limits intact, and nothing is lost', async () => {
    const first = await startWorkerProcess();
    const storm = Array.from({ length: 15 }, (_, i) =>
      incident({
        id: `storm-${taskQueue}-${i}`,
        root_cause: 'rate_test',
        confidence: 0.9,
        service: 'payments',
        context: { pod_name: `pod-${i}` },
      }),
    );
    const submissions = await Promise.all(storm.map((i) => submitIncident(client, { incident: i, taskQueue })));
    // Let the first worker take some of the storm, then kill it without any cleanup.
    const deadline = Date.now() + 60_000;
    while (cluster.requests.length === 0 && Date.now() < deadline) await sleep(100);
    first.kill('SIGKILL');
    await startWorkerProcess();
    const results = await Promise.all(submissions.map((s) => s.handle.result()));

    expect(results).toHaveLength(15);
    // A remediation whose action was running in the killed worker fails (its runbook allows no
    // retry); every other one either ran or was blocked with a reason. None is lost.
    const acted = results.filter((r) => r.outcome === 'remediated' || r.outcome === 'failed');
    expect(acted.length).toBeGreaterThanOrEqual(1);
    expect(acted.length).toBeLessThanOrEqual(3);
    const blocked = results.filter((r) => r.outcome === 'blocked');
    expect(blocked.length + acted.length).toBe(15);
    expect(blocked.every((r) => r.decision.reason.length > 0)).toBe(true);
    const view = await client.workflow.getHandle(guardrailsId).query(guardrailStateQuery);
    expect(view.state.executions['rate-limited:payments']!.length).toBeLessThanOrEqual(3);
    // Every request the target received, duplicates and retries included: never more than the runs that acted.
    expect(cluster.requests.filter((r) => r.method === 'DELETE').length).toBeLessThanOrEqual(acted.length);
  }, 240_000);

  it('remediations keep reaching the coordinator after it continues as new', async () => {
    const devEnv = await connectDevServer();
    const worker = await startWorker(devEnv, { catalogue, historyLimit: 40, policy: { limits: { maxConcurrent: 50, maxServices: 50 } } });
    try {
      const firstRun = async () => (await devEnv.client.workflow.getHandle(worker.guardrailsWorkflowId).describe()).runId;
      const outcomes: string[] = [];
      const initialRun = await firstRun();
      for (let i = 0; i < 12; i++) {
        const inc = incident({
          id: `can-${worker.taskQueue}-${i}`,
          root_cause: 'rate_test',
          confidence: 0.9,
          service: `svc-${i}`,
          context: { pod_name: `can-${i}` },
        });
        const { handle } = await submitIncident(devEnv.client, { incident: inc, taskQueue: worker.taskQueue });
        outcomes.push((await handle.result()).outcome);
      }
      expect(await firstRun()).not.toBe(initialRun);
      expect(outcomes).toEqual(Array(12).fill('remediated'));
    } finally {
      await worker.stop();
      await devEnv.teardown();
    }
  }, 180_000);

  it('the operator CLI shows the shared state, a snapshot for plan --state, and changes it', () => {
    const shown = cli('guardrails');
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain('rate-limited:payments');
    const snapshot = cli('guardrails', '--snapshot');
    expect(JSON.parse(snapshot.stdout)).toMatchObject({
      executions: { 'rate-limited:payments': expect.any(Array) },
      limits: { maxConcurrent: 3 },
    });

    expect(cli('guardrails', 'freeze', '--as', 'carol', '--reason', 'release day').status).toBe(0);
    expect(JSON.parse(cli('guardrails', '--json').stdout).state.freeze).toMatchObject({ by: 'carol', reason: 'release day' });
    expect(cli('guardrails', 'unfreeze', '--as', 'carol').status).toBe(0);
    expect(JSON.parse(cli('guardrails', '--json').stdout).state.freeze).toBeUndefined();
    const noActor = cli('guardrails', 'freeze', '--as', ' ', '--reason', 'x');
    expect(noActor.status).toBe(2);
    expect(noActor.stderr).toContain('--as');
  });

  it('terminated mid-freeze, the coordinator is unavailable (remediations do not act) until `guardrails init` brings it back with its freeze', async () => {
    expect(cli('guardrails', 'freeze', '--as', 'carol', '--reason', 'postmortem').status).toBe(0);
    await waitUntil(async () => JSON.parse(cli('guardrails', '--json').stdout).state.freeze !== undefined);
    await client.workflow.getHandle(guardrailsId).terminate('operator mistake');

    const during = incident({
      id: `gone-${taskQueue}`,
      root_cause: 'rate_test',
      confidence: 0.9,
      service: 'ledger',
      context: { pod_name: 'gone' },
    });
    const { handle } = await submitIncident(client, { incident: during, taskQueue });
    expect((await handle.result()).decision).toMatchObject({ event: 'GUARDRAILS_UNAVAILABLE' });
    expect(cli('guardrails').stderr).toContain('guardrails init');

    const init = cli('guardrails', 'init');
    expect(init.status, init.stderr).toBe(0);
    expect(init.stdout).toContain('started again from its last recorded state');
    const view = JSON.parse(cli('guardrails', '--json').stdout);
    expect(view.state.freeze).toMatchObject({ by: 'carol', reason: 'postmortem' });
    expect(view.state.executions['rate-limited:payments']).toEqual(expect.any(Array));
    const after = incident({
      id: `back-${taskQueue}`,
      root_cause: 'rate_test',
      confidence: 0.9,
      service: 'ledger',
      context: { pod_name: 'back' },
    });
    const second = await submitIncident(client, { incident: after, taskQueue });
    expect((await second.handle.result()).decision).toMatchObject({ event: 'FROZEN' });
    expect(cli('guardrails', 'init').stdout).toContain('already running');
  }, 120_000);
});

describe('fail closed and priorities, in real time', () => {
  let devEnv: TestWorkflowEnvironment;
  beforeAll(async () => {
    devEnv = await connectDevServer();
  });
  afterAll(async () => {
    await devEnv?.teardown();
  });

  it('without a coordinator a remediation does not act: blocked GUARDRAILS_UNAVAILABLE, and humans are told', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'remediate-guardrails-'));
    const notifications = join(scratch, 'notifications.jsonl');
    const worker = await startWorker(devEnv, { catalogue, config: { notifyLogPath: notifications } });
    try {
      await devEnv.client.workflow.getHandle(worker.guardrailsWorkflowId).terminate('operator removed it');
      const before = cluster.requests.length;
      const inc = incident({
        id: `none-${worker.taskQueue}`,
        root_cause: 'rate_test',
        confidence: 0.9,
        service: 'api',
        context: { pod_name: 'none' },
      });
      const { handle } = await submitIncident(devEnv.client, { incident: inc, taskQueue: worker.taskQueue });
      const result = await handle.result();
      await recordHistory(handle, 'guardrails-unavailable');
      expect(result).toMatchObject({
        outcome: 'blocked',
        decision: { event: 'GUARDRAILS_UNAVAILABLE', reason: expect.stringContaining('not acting without guardrails') },
      });
      expect(cluster.requests.length).toBe(before);
      const sent = readFileSync(notifications, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { kind: string; title: string });
      expect(sent).toEqual([expect.objectContaining({ kind: 'blocked', title: expect.stringContaining('GUARDRAILS_UNAVAILABLE') })]);
    } finally {
      await worker.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 120_000);

  it('a coordinator terminated mid-freeze starts again from its last recorded state: freeze, breakers, runs and leases survive', async () => {
    const worker = await startWorker(devEnv, { catalogue });
    const coordinator = devEnv.client.workflow.getHandle(worker.guardrailsWorkflowId);
    const view = () => coordinator.query(guardrailStateQuery);
    const run = async (id: string, rootCause: string, service: string, pod: string) => {
      const inc = incident({
        id: `${id}-${worker.taskQueue}`,
        root_cause: rootCause,
        confidence: 0.9,
        service,
        context: { pod_name: pod },
      });
      return await submitIncident(devEnv.client, { incident: inc, taskQueue: worker.taskQueue });
    };
    cluster.state.failing.add('DELETE /pods/pod-broken');
    try {
      await (await run('b1', 'breaker_test', 'checkout', 'pod-broken')).handle.result();
      await (await run('b2', 'breaker_test', 'checkout', 'pod-broken')).handle.result();
      expect((await (await run('ok', 'rate_test', 'payments', 'fine')).handle.result()).outcome).toBe('remediated');
      const slow = await run('slow', 'slow_test', 'payments', 'slow');
      await waitUntil(async () => Object.keys((await view()).state.leases).length === 1);
      await coordinator.signal(freezeSignal, { by: 'carol', reason: 'incident review' });
      await waitUntil(async () => (await view()).state.freeze !== undefined);
      const before = (await view()).state;

      await coordinator.terminate('operator mistake');
      expect((await (await run('gone', 'rate_test', 'other', 'gone')).handle.result()).decision).toMatchObject({
        event: 'GUARDRAILS_UNAVAILABLE',
      });

      const started = await ensureCoordinator(devEnv.client, worker.coordinator);
      expect(started).toMatchObject({ kind: 'recovered', from: { status: 'TERMINATED' } });
      const after = await view();
      expect(after.state.freeze).toEqual(before.freeze);
      expect(after.state.breakers.breaker).toMatchObject({ state: 'open', consecutiveFailures: 2 });
      expect(after.state.executions['rate-limited:payments']).toEqual(before.executions['rate-limited:payments']);
      expect(Object.values(after.state.leases)).toEqual([expect.objectContaining({ workflowId: slow.workflowId })]);
      expect(after.log.at(-1)).toMatchObject({ kind: 'recovered' });
      expect((await (await run('frozen', 'rate_test', 'other', 'frozen')).handle.result()).decision).toMatchObject({
        event: 'FROZEN',
        reason: expect.stringContaining('incident review'),
      });
      await slow.handle.terminate('test finished');
    } finally {
      cluster.state.failing.clear();
      await worker.stop();
    }
  }, 180_000);

  it('a coordinator that does not answer within the bound: the remediation gives up without acting, and a late grant is void', async () => {
    const worker = await startWorker(devEnv, { catalogue, replyTimeoutMs: 3_000 });
    const coordinator = devEnv.client.workflow.getHandle(worker.guardrailsWorkflowId);
    try {
      worker.workers.coordinator.shutdown();
      await waitUntil(async () => worker.workers.coordinator.getState() === 'STOPPED');
      const inc = incident({
        id: `slow-${worker.taskQueue}`,
        root_cause: 'rate_test',
        confidence: 0.9,
        service: 'api',
        context: { pod_name: 'late' },
      });
      const before = cluster.requests.length;
      const { handle } = await submitIncident(devEnv.client, { incident: inc, taskQueue: worker.taskQueue });
      expect(await handle.result()).toMatchObject({
        outcome: 'blocked',
        decision: { event: 'GUARDRAILS_UNAVAILABLE', reason: expect.stringContaining('did not answer within 3 s') },
      });
      expect(cluster.requests.length).toBe(before);
      // Back again, the coordinator takes the late request and its abandonment: nothing is left held.
      const back = await buildCoordinatorWorker(worker.plan);
      const view = await back.runUntil(async () => {
        await waitUntil(async () => (await coordinator.query(guardrailStateQuery)).pending?.requests === 0);
        return await coordinator.query(guardrailStateQuery);
      });
      expect(view.state.leases).toEqual({});
    } finally {
      await worker.stop();
    }
  }, 120_000);

  it('in one batch, human-approved work takes the last slot ahead of automatic work that asked first', async () => {
    const worker = await startWorker(devEnv, { catalogue, policy: { limits: { maxConcurrent: 1, maxServices: 1 } } });
    const coordinator = devEnv.client.workflow.getHandle(worker.guardrailsWorkflowId);
    try {
      // Hold the coordinator's worker back so the four requests land in one workflow task.
      worker.workers.coordinator.shutdown();
      await waitUntil(async () => worker.workers.coordinator.getState() === 'STOPPED');
      const rb = catalogue.runbooks.find((r) => r.id === 'rate-limited')!;
      const request = (i: number, humanApproved: boolean): CheckRequest => ({
        kind: 'check',
        requestId: `req-${i}`,
        from: { workflowId: `nobody-${i}`, runId: randomUUID() },
        incidentId: `batch-${i}`,
        incident: { id: `batch-${i}`, service: 'api', services: ['api'] },
        runbook: { id: rb.id, risk: rb.risk, guardrails: rb.guardrails },
        humanApproved,
        reserve: true,
        leaseMs: 600_000,
      });
      for (const [i, approved] of [false, false, false, true].entries())
        await coordinator.signal(guardrailRequestSignal, request(i, approved));
      const back = await buildCoordinatorWorker(worker.plan);
      const { log } = await back.runUntil(async () => {
        await waitUntil(async () => (await coordinator.query(guardrailStateQuery)).log.filter((e) => e.kind === 'denied').length === 3);
        return await coordinator.query(guardrailStateQuery);
      });
      expect(log.find((e) => e.kind === 'granted')).toMatchObject({ incidentId: 'batch-3' });
      expect(
        log
          .filter((e) => e.kind === 'denied')
          .map((e) => e.incidentId)
          .sort(),
      ).toEqual(['batch-0', 'batch-1', 'batch-2']);
    } finally {
      await worker.stop();
    }
  }, 120_000);

  it('a coordinator handing over with thousands of requests queued carries at most 200, answers every one exactly once, and never fails a task', async () => {
    const worker = await startWorker(devEnv, {
      catalogue,
      historyLimit: 40,
      policy: { limits: { maxConcurrent: 5000, maxServices: 5000 } },
    });
    const coordinator = devEnv.client.workflow.getHandle(worker.guardrailsWorkflowId);
    const storm = 1500;
    try {
      // Queue the whole storm while no coordinator worker runs: the first task it takes is past its history limit.
      worker.workers.coordinator.shutdown();
      await waitUntil(async () => worker.workers.coordinator.getState() === 'STOPPED');
      const rb = catalogue.runbooks.find((r) => r.id === 'rate-limited')!;
      for (let i = 0; i < storm; i += 100) {
        await Promise.all(
          Array.from({ length: Math.min(100, storm - i) }, (_, k) =>
            coordinator.signal(guardrailRequestSignal, {
              kind: 'check',
              requestId: `flood-${i + k}`,
              from: { workflowId: `nobody-${i + k}`, runId: randomUUID() },
              incidentId: `flood-${i + k}`,
              incident: { id: `flood-${i + k}`, service: `svc-${i + k}`, services: [`svc-${i + k}`] },
              runbook: { id: rb.id, risk: rb.risk, guardrails: rb.guardrails },
              humanApproved: false,
              reserve: false,
              leaseMs: 600_000,
            } satisfies CheckRequest),
          ),
        );
      }
      const back = await buildCoordinatorWorker(worker.plan);
      const runs = await back.runUntil(async () => {
        await waitUntil(
          async () =>
            (await coordinator.query(guardrailStateQuery)).pending?.requests === 0 &&
            (await coordinator.query(guardrailStateQuery)).pending?.replies === 0,
          180_000,
        );
        const histories: HistoryEvent[][] = [];
        let runId: string | undefined = (await coordinator.describe()).runId;
        while (runId) {
          const events: HistoryEvent[] =
            (await devEnv.client.workflow.getHandle(worker.guardrailsWorkflowId, runId).fetchHistory()).events ?? [];
          histories.unshift(events);
          runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
        }
        return histories;
      });
      expect(runs.length).toBeGreaterThan(1);
      const failures = runs
        .flat()
        .filter((e) => e.workflowTaskFailedEventAttributes)
        .map((e) => e.workflowTaskFailedEventAttributes!.failure?.message ?? String(e.workflowTaskFailedEventAttributes!.cause));
      expect(failures.filter((m) => /size limit|BadContinueAsNew/i.test(m))).toEqual([]);
      // Each continued run started with at most 200 requests carried over.
      for (const events of runs.slice(1)) {
        const input = events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
        const carried = JSON.parse(Buffer.from(input.data as Uint8Array).toString()).inbox?.length ?? 0;
        expect(carried).toBeLessThanOrEqual(200);
      }
      // Every request answered exactly once: one reply signal per request, across every run.
      const answered = runs
        .flat()
        .filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes)
        .map((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes!.workflowExecution!.workflowId);
      expect(answered).toHaveLength(storm);
      expect(new Set(answered).size).toBe(storm);
    } finally {
      await worker.stop();
    }
  }, 300_000);
});
