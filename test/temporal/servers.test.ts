/**
 * Proof that the project's own provisioned servers are real Temporal: time skipping on the
 * Java test server; timers, signals, queries and worker failover on the dev server.
 */
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as activities from '../harness/proof-activities';
import { signalTimerQuery, sleepThenStamp, survivesWorkerRestart, phaseQuery, pokeSignal } from '../harness/proof-workflows';
import { connectDevServer, connectTimeSkipping, uniqueTaskQueue, workflowBundle } from '../harness/temporal';

const HOUR = 60 * 60 * 1000;

describe('time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await connectTimeSkipping();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs an activity after one hour of workflow time, in seconds of real time', async () => {
    const taskQueue = uniqueTaskQueue('sleep');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: workflowBundle(), activities });
    const serverTimeBefore = await env.currentTimeMs();
    const wallBefore = Date.now();
    const result = await worker.runUntil(env.client.workflow.execute(sleepThenStamp, { args: [HOUR], taskQueue, workflowId: taskQueue }));
    expect(result.after - result.before).toBeGreaterThanOrEqual(HOUR);
    expect((await env.currentTimeMs()) - serverTimeBefore).toBeGreaterThanOrEqual(HOUR);
    expect(result.activity).toBe('after-sleep@attempt1');
    expect(Date.now() - wallBefore).toBeLessThan(HOUR / 60);
  });
});

describe('dev server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await connectDevServer();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('round-trips a signal, answers a query and fires a durable timer', async () => {
    const taskQueue = uniqueTaskQueue('signal');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: workflowBundle(), activities });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(signalTimerQuery, { args: [1000], taskQueue, workflowId: taskQueue });
      expect(await handle.query(phaseQuery)).toBe('waiting-for-signal');
      const signalled = Date.now();
      await handle.signal(pokeSignal, 'hello');
      expect(await handle.result()).toBe('got hello');
      expect(Date.now() - signalled).toBeGreaterThanOrEqual(1000);
      expect(await handle.query(phaseQuery)).toBe('done');
    });
  });

  it('finishes a workflow whose worker process was killed in the middle of an activity', async () => {
    const taskQueue = uniqueTaskQueue('restart');
    const markers = mkdtempSync(join(tmpdir(), 'remediate-restart-'));
    const first = startWorkerProcess(taskQueue);
    try {
      await waitFor(() => first.ready);
      const handle = await env.client.workflow.start(survivesWorkerRestart, { args: [markers], taskQueue, workflowId: taskQueue });
      await waitFor(() => readdirSync(markers).length > 0);
      first.child.kill('SIGKILL');
      await new Promise((resolve) => first.child.once('exit', resolve));
      const second = startWorkerProcess(taskQueue);
      try {
        const result = await handle.result();
        expect(result.attempts).toBeGreaterThanOrEqual(2);
        const pids = new Set(readdirSync(markers).map((name) => name.split('-pid-')[1]));
        expect(pids.size).toBe(2);
      } finally {
        second.child.kill('SIGKILL');
      }
    } finally {
      first.child.kill('SIGKILL');
    }
  });
});

function startWorkerProcess(taskQueue: string): { child: ChildProcess; ready: boolean } {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, '../harness/worker-process.ts'),
      inject('devServerAddress'),
      taskQueue,
      workflowBundle().codePath,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const handle = { child, ready: false };
  child.stdout.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('worker-ready')) handle.ready = true;
  });
  return handle;
}

async function waitFor(predicate: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
