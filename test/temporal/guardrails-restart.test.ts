/**
 * On the dev server (real persistence, real time): a worker process killed during a storm and a new
 * one started leave the guardrail limits intact; the operator CLI shows and changes the shared state.
 */
import { Client, Connection } from '@temporalio/client';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultPolicy, submitIncident } from '../../client/submit';
import { startSimulatedCluster, type SimulatedCluster } from '../harness/simulated-cluster';
import { guardrailStateQuery } from '../../workflows/guardrail-messages';
import { compileFixture, incident, startWorker } from '../harness/engine';
import { connectDevServer, uniqueTaskQueue } from '../harness/temporal';

const bin = join(import.meta.dirname, '../../bin/remediate.js');
const taskQueue = uniqueTaskQueue('storm');
const guardrailsId = `guardrails-${taskQueue}`;
const env = { ...process.env, TEMPORAL_ADDRESS: inject('devServerAddress'), REMEDIATE_TASK_QUEUE: taskQueue, REMEDIATE_GUARDRAILS_ID: guardrailsId, REMEDIATE_NOTIFY_LOG: '/dev/null' };

let connection: Connection;
let client: Client;
let cluster: SimulatedCluster;
const workers: ChildProcess[] = [];

function startWorkerProcess(): ChildProcess {
  const child = spawn(process.execPath, [bin, 'worker'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  workers.push(child);
  return child;
}

function cli(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 60_000 });
}

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('devServerAddress') });
  client = new Client({ connection });
  cluster = await startSimulatedCluster();
});
afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await client?.workflow.getHandle(guardrailsId).terminate('test finished').catch(() => undefined);
  await connection?.close();
  await cluster?.close();
});

describe('guardrails on the dev server', () => {
  it('a worker killed and restarted during a storm leaves the limits intact, and nothing is lost', async () => {
    const catalogue = compileFixture(join(import.meta.dirname, '../fixtures/guardrails/runbooks.yaml'), { TARGET: cluster.url });
    const first = startWorkerProcess();
    const storm = Array.from({ length: 15 }, (_, i) =>
      incident({ id: `storm-${taskQueue}-${i}`, root_cause: 'rate_test', confidence: 0.9, service: 'payments', context: { pod_name: `pod-${i}` } }),
    );
    const submissions = await Promise.all(storm.map((i) => submitIncident(client, { incident: i, catalogue, policy: defaultPolicy(), taskQueue })));
    // Let the first worker take some of the storm, then kill it without any cleanup.
    const deadline = Date.now() + 60_000;
    while (cluster.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    first.kill('SIGKILL');
    startWorkerProcess();
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
    expect(new Set(cluster.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).size).toBeLessThanOrEqual(acted.length);
  }, 180_000);

  it('remediations keep reaching the coordinator after it continues as new', async () => {
    const devEnv = await connectDevServer();
    const worker = await startWorker(devEnv, { historyLimit: 40, policy: { limits: { maxConcurrent: 50, maxServices: 50 } } });
    try {
      const catalogue = compileFixture(join(import.meta.dirname, '../fixtures/guardrails/runbooks.yaml'), { TARGET: cluster.url });
      const firstRun = async () => (await devEnv.client.workflow.getHandle(worker.guardrailsWorkflowId).describe()).runId;
      const outcomes: string[] = [];
      let initialRun: string | undefined;
      for (let i = 0; i < 12; i++) {
        const inc = incident({ id: `can-${worker.taskQueue}-${i}`, root_cause: 'rate_test', confidence: 0.9, service: `svc-${i}`, context: { pod_name: `can-${i}` } });
        const { handle } = await submitIncident(devEnv.client, { incident: inc, catalogue, policy: defaultPolicy(), taskQueue: worker.taskQueue });
        outcomes.push((await handle.result()).outcome);
        initialRun ??= await firstRun();
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
    expect(JSON.parse(snapshot.stdout)).toMatchObject({ executions: { 'rate-limited:payments': expect.any(Array) }, limits: { maxConcurrent: 3 } });

    expect(cli('guardrails', 'freeze', '--as', 'carol', '--reason', 'release day').status).toBe(0);
    expect(JSON.parse(cli('guardrails', '--json').stdout).state.freeze).toMatchObject({ by: 'carol', reason: 'release day' });
    expect(cli('guardrails', 'unfreeze', '--as', 'carol').status).toBe(0);
    expect(JSON.parse(cli('guardrails', '--json').stdout).state.freeze).toBeUndefined();
    const noActor = cli('guardrails', 'freeze', '--as', ' ', '--reason', 'x');
    expect(noActor.status).toBe(2);
    expect(noActor.stderr).toContain('--as');
  });
});
