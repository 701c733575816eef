/**
 * Verification that reads the live system: a remediation on the dev server (real time, so a
 * post-check polls as in production) whose pre- and post-checks query a real Prometheus scraping an
 * exporter the test controls. The outcome follows what the exporter reports at that moment.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { singlePrometheus } from '../../activities/prometheus-servers';
import { submitIncident } from '../../client/submit';
import { buildTimeline } from '../../client/timeline';
import type { RemediationResult } from '../../contracts/types';
import { compileCatalogue } from '../../dsl/compile';
import type { CompiledCatalogue } from '../../dsl/types';
import { startPrometheus, type PrometheusServer } from '../../toolchain/prometheus-server';
import { incident, startWorker } from '../harness/engine';
import { recordHistory } from '../harness/histories';
import { startMetricsExporter, type MetricsExporter } from '../../toolchain/metrics-exporter';
import { connectDevServer } from '../harness/temporal';

const RUNBOOKS = `
runbooks:
  rollback-checkout:
    risk: LOW
    root_causes: [error_rate_spike_after_deploy]
    min_confidence: 0.5
    context: { deployment: string }
    pre_checks:
      - id: error_rate_is_high
        probe: { prometheus: { query: 'remediate_verify_error_rate{deployment="{deployment}"}' } }
        condition: result.value > 0.1
    actions: [{ id: undo, exec: { argv: ['true'] } }]
    post_checks:
      - id: error_rate_recovered
        probe: { prometheus: { query: 'max(remediate_verify_error_rate{deployment="{deployment}"})', timeout: 2s } }
        condition: result.value < 0.05
        deadline: 12s
        interval: 1s
    rollback: null

  # Time semantics on the live metric: a hold, a settle, and "no samples" with a rollback to (not) run.
  held-recovery:
    risk: LOW
    root_causes: [held_recovery]
    min_confidence: 0.5
    max_per_hour: 100
    context: { deployment: string }
    actions: [{ id: undo, exec: { argv: ['true'] } }]
    post_checks:
      - id: error_rate_stays_low
        probe: { prometheus: { query: 'max(remediate_verify_error_rate{deployment="{deployment}"})', timeout: 2s } }
        condition: result.value < 0.05
        hold_for: 6s
        interval: 1s
        deadline: 12s
    rollback: [{ id: redo, exec: { argv: ['true'] } }]

  settled-recovery:
    risk: LOW
    root_causes: [settled_recovery]
    min_confidence: 0.5
    max_per_hour: 100
    context: { deployment: string }
    actions: [{ id: undo, exec: { argv: ['true'] } }]
    post_checks:
      - id: error_rate_settled
        probe: { prometheus: { query: 'max(remediate_verify_error_rate{deployment="{deployment}"})', timeout: 2s } }
        condition: result.value < 0.05
        settle: 4s
        interval: 1s
        deadline: 5s
    rollback: [{ id: redo, exec: { argv: ['true'] } }]

  unmeasured-recovery:
    risk: LOW
    root_causes: [unmeasured_recovery]
    min_confidence: 0.5
    max_per_hour: 100
    context: { deployment: string }
    actions: [{ id: undo, exec: { argv: ['true'] } }]
    post_checks:
      - id: latency_recovered
        probe: { prometheus: { query: 'max(remediate_verify_latency_seconds{deployment="{deployment}"})', timeout: 2s } }
        condition: result.value < 0.5
        deadline: 2s
        interval: 1s
    rollback: [{ id: redo, exec: { argv: ['true'] } }]

  # A pre-check that needs the spike to last before acting.
  held-spike:
    risk: LOW
    root_causes: [held_spike]
    min_confidence: 0.5
    max_per_hour: 100
    context: { deployment: string }
    pre_checks:
      - id: error_rate_stays_high
        probe: { prometheus: { query: 'max(remediate_verify_error_rate{deployment="{deployment}"})', timeout: 2s } }
        condition: result.value > 0.1
        hold_for: 2s
        interval: 1s
    actions: [{ id: undo, exec: { argv: ['true'] } }]
    post_checks:
      - id: error_rate_read
        probe: { prometheus: { query: 'max(remediate_verify_error_rate{deployment="{deployment}"})', timeout: 2s } }
        condition: result.value >= 0.0
        deadline: 2s
        interval: 1s
    rollback: null

  # Reads the live metric, then the incident's own number, frozen when the alert fired.
  context-verified:
    risk: LOW
    root_causes: [context_verified]
    min_confidence: 0.5
    max_per_hour: 100
    context: { deployment: string, error_rate: number }
    actions: [{ id: undo, exec: { argv: ['true'] } }]
    post_checks:
      - id: error_rate_low
        probe: { prometheus: { query: 'max(remediate_verify_error_rate{deployment="{deployment}"})', timeout: 2s } }
        condition: result.value < 0.05
        deadline: 2s
        interval: 1s
      - id: incident_says_recovered
        condition: context.error_rate < 0.05
        deadline: 1s
        interval: 1s
    rollback: [{ id: redo, exec: { argv: ['true'] } }]
`;

let env: TestWorkflowEnvironment;
let exporter: MetricsExporter;
let prometheus: PrometheusServer;
let worker: Awaited<ReturnType<typeof startWorker>>;
let seq = 0;
let notifications: string;

beforeAll(async () => {
  exporter = await startMetricsExporter();
  prometheus = await startPrometheus({ binary: inject('prometheusPath'), targets: [exporter.target], scrapeIntervalSeconds: 1 });
  env = await connectDevServer();
  const compiled = compileCatalogue([{ file: 'verify.yaml', text: RUNBOOKS }]);
  if (!compiled.ok) throw new Error(compiled.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join('\n'));
  const catalogue: CompiledCatalogue = compiled.catalogue;
  notifications = join(mkdtempSync(join(tmpdir(), 'remediate-prom-')), 'notifications.jsonl');
  worker = await startWorker(env, { catalogue, config: { prometheus: singlePrometheus(prometheus.url), notifyLogPath: notifications } });
});
afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
  await prometheus?.stop();
  await exporter?.close();
});

/** A deployment of its own per test, so each has its own series. */
function deploymentWithErrorRate(rate: number): string {
  seq += 1;
  const deployment = `checkout-${seq}-${Date.now()}`;
  exporter.set('remediate_verify_error_rate', rate, { deployment });
  return deployment;
}

async function untilPrometheusReads(deployment: string, value: string): Promise<void> {
  const query = new URLSearchParams({ query: `remediate_verify_error_rate{deployment="${deployment}"}` });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = (await (await fetch(`${prometheus.url}/api/v1/query?${query}`)).json()) as {
      data: { result: { value: [number, string] }[] };
    };
    if (answer.data.result[0]?.value[1] === value) return;
    if (Date.now() > deadline) throw new Error(`Prometheus never read ${value} for ${deployment}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function remediate(deployment: string, rootCause = 'error_rate_spike_after_deploy', context: Record<string, unknown> = {}) {
  const { handle } = await submitIncident(env.client, {
    incident: incident({
      id: `INC-PROM-${seq}-${Date.now()}`,
      root_cause: rootCause,
      confidence: 0.9,
      service: deployment,
      context: { deployment, ...context },
    }),
    taskQueue: worker.taskQueue,
  });
  return handle;
}

const postPolls = (result: RemediationResult, step = 'error_rate_recovered') =>
  result.events.filter((event) => event.step === step && /post-check .* \(poll \d+\)/.test(event.message));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const eventTypes = (result: RemediationResult) => result.events.map((event) => event.type);

describe('a post-check with a prometheus probe', () => {
  it('passes only once the metric has recovered', async () => {
    const deployment = deploymentWithErrorRate(0.3);
    await untilPrometheusReads(deployment, '0.3');
    const handle = await remediate(deployment);
    // Let the post-check poll the bad value a few times before the fix "lands".
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    exporter.set('remediate_verify_error_rate', 0.01, { deployment });
    const result = await handle.result();

    expect(result.outcome).toBe('remediated');
    const polls = postPolls(result);
    expect(polls.at(-1)).toMatchObject({ type: 'STEP_SUCCEEDED', data: { result: { value: '0.01' } } });
    const failed = polls.filter((event) => event.type === 'STEP_FAILED');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]).toMatchObject({ data: { result: { value: '0.3' } } });
    expect(failed[0]!.data?.probe).toBe(`PromQL max(remediate_verify_error_rate{deployment="${deployment}"})`);
    const pre = result.events.find((event) => event.step === 'error_rate_is_high' && event.type === 'STEP_SUCCEEDED');
    expect(pre?.data).toMatchObject({ result: { value: '0.3' } });

    // The audit timeline decodes the recorded checks and shows the query each read.
    const checks = buildTimeline(await handle.fetchHistory())
      .entries.filter((entry) => entry.kind === 'check')
      .map((entry) => entry.summary);
    const query = `PromQL max(remediate_verify_error_rate{deployment="${deployment}"})`;
    expect(checks[0]).toBe(`pre-check error_rate_is_high: PromQL remediate_verify_error_rate{deployment="${deployment}"}: holds`);
    expect(checks[1]).toBe(`post-check error_rate_recovered: ${query}: does not hold (result.value < 0.05)`);
    expect(checks.at(-1)).toBe(`post-check error_rate_recovered: ${query}: holds (poll ${checks.length - 1})`);
  });

  it('fails when the metric stays bad', async () => {
    const deployment = deploymentWithErrorRate(0.3);
    await untilPrometheusReads(deployment, '0.3');
    const result = await (await remediate(deployment)).result();

    expect(result.outcome).not.toBe('remediated');
    const polls = postPolls(result);
    expect(polls.length).toBeGreaterThan(1);
    expect(polls.every((event) => event.type === 'STEP_FAILED')).toBe(true);
    expect(polls.at(-1)).toMatchObject({ data: { result: { value: '0.3' } } });
  });

  it('fails on "no samples" when the series is gone', async () => {
    const deployment = deploymentWithErrorRate(0.3);
    await untilPrometheusReads(deployment, '0.3');
    const handle = await remediate(deployment);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    exporter.remove('remediate_verify_error_rate', { deployment });
    const result = await handle.result();

    expect(result.outcome).not.toBe('remediated');
    expect(postPolls(result).at(-1)?.message).toContain('no samples');
  });
});

describe('settle and hold_for on the live metric', () => {
  it('hold_for: fails, and rolls back on that live evidence, when the metric goes bad again during the hold', async () => {
    const deployment = deploymentWithErrorRate(0.01);
    await untilPrometheusReads(deployment, '0.01');
    const handle = await remediate(deployment, 'held_recovery');
    // The check holds for a few polls, then the error rate comes back before the 6 s are up.
    await sleep(1_500);
    exporter.set('remediate_verify_error_rate', 0.3, { deployment });
    const result = await handle.result();

    const polls = postPolls(result, 'error_rate_stays_low');
    const firstFalse = polls.findIndex((event) => event.type === 'STEP_FAILED');
    expect(firstFalse).toBeGreaterThan(0);
    expect(polls.slice(0, firstFalse).every((event) => event.type === 'STEP_SUCCEEDED')).toBe(true);
    expect(polls[firstFalse]).toMatchObject({ data: { result: { value: '0.3' } } });
    const failure = result.events.find((event) => event.type === 'VERIFICATION_FAILED')?.message;
    expect(failure).toMatch(
      new RegExp(
        `^error_rate_stays_low held [0-5](\\.\\d+)? s of the required 6 s: poll ${firstFalse + 1} found 1 sample 0\\.3 .*\\(condition false: result\\.value < 0\\.05\\)$`,
      ),
    );
    expect(result).toMatchObject({ outcome: 'rolled_back', rolledBack: true });
  });

  it('hold_for: passes once the metric has stayed good over polls spanning the whole hold', async () => {
    const deployment = deploymentWithErrorRate(0.01);
    await untilPrometheusReads(deployment, '0.01');
    const result = await (await remediate(deployment, 'held_recovery')).result();

    expect(result.outcome).toBe('remediated');
    const polls = postPolls(result, 'error_rate_stays_low');
    // Polls every second from the first true one: the seventh is 6 s after it.
    expect(polls.map((event) => event.type)).toEqual(Array(7).fill('STEP_SUCCEEDED'));
    expect(Date.parse(polls.at(-1)!.at) - Date.parse(polls[0]!.at)).toBeGreaterThanOrEqual(6_000);
  });

  it('settle: the first evaluation comes after the settle, and reads the value then', async () => {
    const deployment = deploymentWithErrorRate(0.3);
    await untilPrometheusReads(deployment, '0.3');
    const handle = await remediate(deployment, 'settled_recovery');
    // Bad when the action ran, good within the settle window.
    await sleep(1_000);
    exporter.set('remediate_verify_error_rate', 0.01, { deployment });
    const result = await handle.result();

    expect(result.outcome).toBe('remediated');
    const polls = postPolls(result, 'error_rate_settled');
    expect(polls).toHaveLength(1);
    expect(polls[0]).toMatchObject({ type: 'STEP_SUCCEEDED', data: { poll: 1, result: { value: '0.01' } } });
    const acted = result.events.find((event) => event.type === 'STEP_SUCCEEDED' && event.step === 'undo')!;
    expect(Date.parse(polls[0]!.at) - Date.parse(acted.at)).toBeGreaterThanOrEqual(4_000);
  });
});

describe('a pre-check with hold_for', () => {
  const prePolls = (result: RemediationResult) =>
    result.events.filter((event) => event.step === 'error_rate_stays_high' && /pre-check .* \(poll \d+\)/.test(event.message));

  it('acts once the condition has held over polls spanning the hold', async () => {
    const deployment = deploymentWithErrorRate(0.3);
    await untilPrometheusReads(deployment, '0.3');
    const result = await (await remediate(deployment, 'held_spike')).result();

    expect(result.outcome).toBe('remediated');
    expect(prePolls(result).map((event) => event.type)).toEqual(['STEP_SUCCEEDED', 'STEP_SUCCEEDED', 'STEP_SUCCEEDED']);
  });

  it('aborts, changing nothing, when the condition stops holding before the hold is up', async () => {
    const deployment = deploymentWithErrorRate(0.3);
    await untilPrometheusReads(deployment, '0.3');
    const handle = await remediate(deployment, 'held_spike');
    await sleep(300);
    exporter.set('remediate_verify_error_rate', 0.01, { deployment });
    const result = await handle.result();

    expect(result.outcome).toBe('aborted');
    expect(prePolls(result).at(-1)).toMatchObject({ type: 'STEP_FAILED', data: { result: { value: '0.01' } } });
    expect(result.events.find((event) => event.type === 'PRE_CHECK_FAILED')?.message).toMatch(
      /^error_rate_stays_high (held [01] s of the required 2 s|not true before its deadline of 2 s): poll \d found 1 sample 0\.01 /,
    );
    expect(result.events.filter((event) => event.step === 'undo')).toEqual([]);
  });
});

describe('verification that cannot read the live system', () => {
  it('"no samples" on a post-check fails the run without rolling back, and tells humans', async () => {
    const deployment = deploymentWithErrorRate(0.3);
    await untilPrometheusReads(deployment, '0.3');
    const handle = await remediate(deployment, 'unmeasured_recovery');
    const result = await handle.result();
    await recordHistory(handle, 'verification-inconclusive');

    expect(result).toMatchObject({ outcome: 'failed', rolledBack: false });
    expect(postPolls(result, 'latency_recovered').at(-1)?.message).toContain('no samples');
    const inconclusive = result.events.find((event) => event.type === 'VERIFICATION_INCONCLUSIVE');
    expect(inconclusive).toMatchObject({ step: 'latency_recovered', data: { evidence: 'unreadable' } });
    expect(inconclusive?.message).toContain('no samples');
    expect(eventTypes(result)).not.toContain('VERIFICATION_FAILED');
    expect(eventTypes(result)).not.toContain('ROLLED_BACK');
    expect(result.events.filter((event) => event.step === 'redo')).toEqual([]);
    expect(result.events.find((event) => event.type === 'FAILED')?.message).toMatch(
      /not rolled back: verification could not read the live system$/,
    );

    const sent = readFileSync(notifications, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { incidentId: string; kind: string; severity: string; title: string; text: string })
      .filter((notification) => notification.incidentId === result.incidentId && notification.kind === 'failure');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      severity: 'critical',
      title: expect.stringContaining('could not be verified, nothing was rolled back'),
    });
    expect(sent[0]!.text).toContain('no samples');
  });

  it("a failed check of the incident's own data is no evidence either: no rollback", async () => {
    const deployment = deploymentWithErrorRate(0.01);
    await untilPrometheusReads(deployment, '0.01');
    const result = await (await remediate(deployment, 'context_verified', { error_rate: 0.3 })).result();

    expect(postPolls(result, 'error_rate_low').at(-1)).toMatchObject({ type: 'STEP_SUCCEEDED', data: { result: { value: '0.01' } } });
    expect(result).toMatchObject({ outcome: 'failed', rolledBack: false });
    expect(result.events.find((event) => event.type === 'VERIFICATION_INCONCLUSIVE')).toMatchObject({
      step: 'incident_says_recovered',
      data: { evidence: 'context' },
    });
    expect(result.events.filter((event) => event.step === 'redo')).toEqual([]);
  });
});
