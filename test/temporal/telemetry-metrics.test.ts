/**
 * The engine's /metrics (telemetry/metrics.ts) as a worker with telemetry records it: real remediations
 * on the time-skipping server, the text parsed by a strict Prometheus text-format parser before and
 * after, and every counter, the gauge and the histograms compared. The Temporal runtime's own metrics
 * are read from a process whose runtime exports them (a runtime is installed once per process).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { submitIncident } from '../../client/submit';
import { freezeSignal, unfreezeSignal } from '../../contracts/guardrail-messages';
import type { Incident } from '../../dsl/types';
import { createEngineMetrics, intakeEvents, renderMetrics } from '../../telemetry/metrics';
import { createWorkerMetrics, type WorkerMetrics } from '../../telemetry/worker-metrics';
import { WORKFLOWS_PATH } from '../../worker/build-worker';
import { freePort } from '../../toolchain/ports';
import { compileFixture, incident, startWorker } from '../harness/engine';
import { parsePrometheusText, sampleValue } from '../harness/prometheus-text';
import { startSimulatedCluster, type SimulatedCluster } from '../harness/simulated-cluster';
import { connectTimeSkipping } from '../harness/temporal';

const fixtures = join(import.meta.dirname, '../fixtures/workflow');

let env: TestWorkflowEnvironment;
let target: SimulatedCluster;
let telemetry: WorkerMetrics;
let worker: Awaited<ReturnType<typeof startWorker>>;
let seq = 0;

beforeAll(async () => {
  env = await connectTimeSkipping();
  target = await startSimulatedCluster();
  const catalogue = compileFixture(
    join(fixtures, 'runbooks.yaml'),
    { TARGET: target.url, RECORDER: join(fixtures, 'record-args.mjs'), RECORD_FILE: '/dev/null' },
    { allowedPrograms: ['node'] },
  );
  telemetry = createWorkerMetrics({ runbookIds: catalogue.runbooks.map((runbook) => runbook.id) });
  // The worker bundles the workflows itself, with the metrics module: as `remediate worker` does.
  worker = await startWorker(env, { catalogue, telemetry: [telemetry], workflows: { workflowsPath: WORKFLOWS_PATH } });
  target.state.pods = { 'api-server-abc123': { ready: false, restarts: 1, replicas: 3 } };
  target.state.podsRecover = true;
});

afterAll(async () => {
  await worker?.stop();
  await target?.close();
  await env?.teardown();
});

async function scrape() {
  const { contentType, text } = await renderMetrics(telemetry.metrics);
  expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(text);
}

function unique(base: Incident): Incident {
  seq += 1;
  const service = `${base.service}-${seq}`;
  return { ...base, id: `${base.id}-${seq}`, service, services: [service] };
}

async function run(inc: Incident) {
  const { handle } = await submitIncident(env.client, { incident: unique(inc), taskQueue: worker.taskQueue });
  return { handle, result: await handle.result() };
}

const restartPod = incident({
  id: 'INC001',
  root_cause: 'CrashLoopBackOff',
  confidence: 0.95,
  service: 'api-server',
  context: { pod_name: 'api-server-abc123', namespace: 'production' },
});
const unknown = incident({ id: 'INC004', root_cause: 'unknown_issue', confidence: 0.6, service: 'auth', context: {} });
const rollback = incident({
  id: 'INC003',
  root_cause: 'error_rate_spike_after_deploy',
  confidence: 0.92,
  service: 'checkout',
  context: { deployment: 'checkout', namespace: 'production' },
});

async function until(condition: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never: ${what}`);
}

describe('GET /metrics from a worker with telemetry', () => {
  it('parses as Prometheus text and declares every engine metric, before anything ran', async () => {
    const families = await scrape();
    for (const name of [
      'remediate_incidents_received_total',
      'remediate_decisions_total',
      'remediate_remediations_total',
      'remediate_time_to_first_action_seconds',
      'remediate_time_to_verified_outcome_seconds',
      'remediate_pending_approvals',
      'remediate_guardrail_denials_total',
    ])
      expect(families.has(name), name).toBe(true);
    expect(families.get('remediate_time_to_first_action_seconds')!.type).toBe('histogram');
    expect(sampleValue(families, 'remediate_pending_approvals')).toBe(0);
  });

  it('counts a remediated run: its decision, its outcome by runbook, the time to first action and to the verified outcome', async () => {
    const before = await scrape();
    const { result } = await run(restartPod);
    expect(result.outcome).toBe('remediated');
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta('remediate_decisions_total', { decision: 'auto' })).toBe(1);
    expect(delta('remediate_remediations_total', { outcome: 'remediated', runbook: 'restart-pod' })).toBe(1);
    expect(delta('remediate_time_to_first_action_seconds_count')).toBe(1);
    expect(delta('remediate_time_to_verified_outcome_seconds_count')).toBe(1);
    // Workflow time: the run polls its post-check on durable timers, so verification comes after the action.
    expect(sampleValue(after, 'remediate_time_to_verified_outcome_seconds_sum')).toBeGreaterThanOrEqual(
      sampleValue(after, 'remediate_time_to_first_action_seconds_sum'),
    );
  });

  it('counts a run no runbook matches as manual, with runbook "none" and no action timing', async () => {
    const before = await scrape();
    const { result } = await run(unknown);
    expect(result.outcome).toBe('manual');
    const after = await scrape();
    expect(
      sampleValue(after, 'remediate_decisions_total', { decision: 'manual' }) -
        sampleValue(before, 'remediate_decisions_total', { decision: 'manual' }),
    ).toBe(1);
    expect(sampleValue(after, 'remediate_remediations_total', { outcome: 'manual', runbook: 'none' })).toBe(
      sampleValue(before, 'remediate_remediations_total', { outcome: 'manual', runbook: 'none' }) + 1,
    );
    expect(sampleValue(after, 'remediate_time_to_first_action_seconds_count')).toBe(
      sampleValue(before, 'remediate_time_to_first_action_seconds_count'),
    );
  });

  it('shows a pending approval while it waits, and none once it expired', async () => {
    const before = await scrape();
    const { handle } = await submitIncident(env.client, { incident: unique(rollback), taskQueue: worker.taskQueue });
    await until(async () => sampleValue(await scrape(), 'remediate_pending_approvals') === 1, 'one approval pending');
    const result = await handle.result(); // the time-skipping server runs the approval timeout out
    expect(result.outcome).toBe('expired');
    const after = await scrape();
    expect(sampleValue(after, 'remediate_pending_approvals')).toBe(0);
    expect(result.decision.decision).toBe('approval_required');
    expect(sampleValue(after, 'remediate_decisions_total', { decision: 'approval' })).toBe(
      sampleValue(before, 'remediate_decisions_total', { decision: 'approval' }) + 1,
    );
    expect(sampleValue(after, 'remediate_remediations_total', { outcome: 'expired', runbook: 'rollback-deployment' })).toBe(1);
  });

  it('counts a guardrail denial by its reason', async () => {
    const coordinator = env.client.workflow.getHandle(worker.guardrailsWorkflowId);
    await coordinator.signal(freezeSignal, { by: 'carol', reason: 'game day' });
    try {
      const before = await scrape();
      const { result } = await run(restartPod);
      expect(result).toMatchObject({ outcome: 'blocked', decision: { event: 'FROZEN' } });
      const after = await scrape();
      expect(sampleValue(after, 'remediate_guardrail_denials_total', { reason: 'frozen' })).toBe(
        sampleValue(before, 'remediate_guardrail_denials_total', { reason: 'frozen' }) + 1,
      );
      expect(sampleValue(after, 'remediate_decisions_total', { decision: 'blocked' })).toBe(
        sampleValue(before, 'remediate_decisions_total', { decision: 'blocked' }) + 1,
      );
    } finally {
      await coordinator.signal(unfreezeSignal, { by: 'carol' });
    }
  });

  it('counts intake events by source and result, and keeps unbounded values out of the labels', async () => {
    const events = intakeEvents(telemetry.metrics);
    events.received('alertmanager', '/v1/alertmanager', 'accepted');
    events.received('alertmanager', '/v1/alertmanager', 'accepted');
    events.received('pager "duty"\n{x}', '/v1/incidents', 'unauthenticated');
    const families = await scrape();
    expect(sampleValue(families, 'remediate_incidents_received_total', { source: 'alertmanager', result: 'accepted' })).toBe(2);
    expect(sampleValue(families, 'remediate_incidents_received_total', { source: 'other', result: 'unauthenticated' })).toBe(1);
  });
});

describe("the Temporal SDK runtime's metrics in the same text", () => {
  it('appends what the runtime exports, from a process whose runtime was installed with the exporter', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '../harness/runtime-metrics-process.ts'), address, inject('devServerAddress')],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`runtime process exited with ${code}`)));
      });
      const metrics = createEngineMetrics({ runtimeMetricsUrl: `http://${address}/metrics` });
      let families = parsePrometheusText((await renderMetrics(metrics)).text);
      await until(async () => {
        families = parsePrometheusText((await renderMetrics(metrics)).text);
        return [...families.keys()].some((name) => name.startsWith('temporal_'));
      }, 'a temporal_ metric');
      expect(sampleValue(families, 'remediate_temporal_runtime_up')).toBe(1);
      expect(families.has('remediate_decisions_total')).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    // A runtime that does not answer leaves /metrics readable and says so.
    const gone = createEngineMetrics({ runtimeMetricsUrl: `http://${address}/metrics` });
    await until(
      async () => sampleValue(parsePrometheusText((await renderMetrics(gone)).text), 'remediate_temporal_runtime_up') === 0,
      'runtime down',
    );
  });
});
