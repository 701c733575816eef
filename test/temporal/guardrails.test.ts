/**
 * Guardrails as durable shared state, on the time-skipping server: rate limit, cooldown, circuit
 * breaker, storms, leases, continue-as-new, change windows and freezes. Each test gets its own
 * time-skipping server, worker and guardrail coordinator, so nothing leaks between tests: with one
 * server for the file, tests late in it hung in `env.sleep` now and then on CI (six of them in one
 * clean-clone run; here once in four runs with the clock set to 00:30), after earlier tests had left
 * the server's clock hours ahead and its history full; a server of its own costs a test about a second.
 *
 * Results are awaited with a plain client, not the time-skipping one: the coordinator keeps timers
 * (cooldown ends, rolling-hour expiry), and automatic skipping would jump to them whenever the
 * server is idle. Time moves only where a test says so, with `env.sleep`.
 */
import { Client, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { join } from 'node:path';
import type { CheckRequest } from '../../dsl/guardrail-protocol';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { submitIncident } from '../../client/submit';
import type { GuardrailPolicy } from '../../dsl/guardrail-state';
import type { CompiledCatalogue, Incident } from '../../dsl/types';
import {
  acquireUpdate,
  freezeSignal,
  guardrailRequestSignal,
  guardrailStateQuery,
  resetBreakerSignal,
  revokeLeaseSignal,
  unfreezeSignal,
} from '../../contracts/guardrail-messages';
import { statusQuery } from '../../contracts/messages';
import type { RemediationResult } from '../../contracts/types';
import { compileFixture, incident, startWorker, type TestWorkerOptions } from '../harness/engine';
import { recordHistory } from '../harness/histories';
import { startSimulatedCluster, type SimulatedCluster } from '../harness/simulated-cluster';
import { connectTimeSkipping } from '../harness/temporal';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let env: TestWorkflowEnvironment;
let client: Client;
let target: SimulatedCluster;
let catalogue: CompiledCatalogue;
let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
let seq = 0;

beforeAll(async () => {
  target = await startSimulatedCluster();
  catalogue = compileFixture(join(import.meta.dirname, '../fixtures/guardrails/runbooks.yaml'), { TARGET: target.url });
});
afterAll(async () => {
  await target?.close();
});
beforeEach(async () => {
  env = await connectTimeSkipping();
  client = new Client({ connection: env.connection });
  target.requests.length = 0;
  target.state.failing.clear();
});
afterEach(async () => {
  // Remediations a failed test left running would block time skipping for the next tests.
  await Promise.all(started.splice(0).map((handle) => handle.terminate('test finished').catch(() => undefined)));
  await worker?.stop();
  worker = undefined;
  await env?.teardown();
});

async function useWorker(options: Omit<TestWorkerOptions, 'catalogue'> = {}) {
  worker = await startWorker(env, { catalogue, ...options });
  return worker;
}

function inc(rootCause: string, service = 'checkout', extra: Partial<Incident> = {}): Incident {
  seq += 1;
  return incident({ id: `G${seq}`, root_cause: rootCause, confidence: 0.9, service, context: { pod_name: `pod-${seq}` }, ...extra });
}

const started: WorkflowHandle[] = [];

async function submit(i: Incident) {
  const submission = await submitIncident(client, { incident: i, taskQueue: worker!.taskQueue });
  started.push(submission.handle);
  return submission;
}

async function run(i: Incident): Promise<RemediationResult> {
  return await (await submit(i)).handle.result();
}

function coordinator() {
  return client.workflow.getHandle(worker!.guardrailsWorkflowId);
}

async function guardrailView() {
  return await coordinator().query(guardrailStateQuery);
}

/** Lease count, or -1 before the first remediation has started the coordinator. */
async function leaseCount(): Promise<number> {
  try {
    return Object.keys((await guardrailView()).state.leases).length;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return -1;
    throw error;
  }
}

describe('rate limit and cooldown', () => {
  it('blocks the fourth run within the hour and allows it again after the window', async () => {
    await useWorker();
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push(await run(inc('rate_test')));
    expect(outcomes.map((r) => r.outcome)).toEqual(['remediated', 'remediated', 'remediated', 'blocked']);
    expect(outcomes[3]!.decision).toMatchObject({ event: 'RATE_LIMITED', reason: expect.stringContaining('3/hour') });
    await env.sleep(HOUR);
    expect((await run(inc('rate_test'))).outcome).toBe('remediated');
    expect((await run(inc('rate_test', 'another-service'))).outcome).toBe('remediated');
  });

  it('cooldown blocks a second run and lifts exactly when it ends (a durable timer clears it)', async () => {
    await useWorker();
    expect((await run(inc('cooldown_test'))).outcome).toBe('remediated');
    const second = await run(inc('cooldown_test'));
    expect(second.decision).toMatchObject({ event: 'RATE_LIMITED', reason: expect.stringContaining('Cooldown active') });
    const { state } = await guardrailView();
    const end = state.cooldowns['cooled:checkout']!;
    expect(end).toBeDefined();
    await env.sleep(end - (await env.currentTimeMs()) - 5_000);
    expect((await guardrailView()).state.cooldowns['cooled:checkout']).toBe(end);
    await env.sleep(10_000);
    expect((await guardrailView()).state.cooldowns['cooled:checkout']).toBeUndefined();
    expect((await run(inc('cooldown_test'))).outcome).toBe('remediated');
    await recordHistory(coordinator(), 'coordinator-cooldown');
  });
});

describe('circuit breaker', () => {
  it('opens after the threshold, half-opens after recovery, lets one trial through and closes on success', async () => {
    await useWorker();
    target.state.failing.add('DELETE /pods/pod-broken');
    const broken = () => inc('breaker_test', 'checkout', { context: { pod_name: 'pod-broken' } });
    expect((await run(broken())).outcome).toBe('failed');
    expect((await run(broken())).outcome).toBe('failed');
    const blocked = await run(broken());
    expect(blocked).toMatchObject({ outcome: 'blocked', decision: { event: 'CIRCUIT_OPEN' } });
    expect((await guardrailView()).state.breakers['breaker']).toMatchObject({ state: 'open', consecutiveFailures: 2 });

    await env.sleep(5 * MINUTE + 1_000);
    expect((await guardrailView()).state.breakers['breaker']).toMatchObject({ state: 'half_open', trialInFlight: false });
    target.state.failing.clear();
    expect((await run(broken())).outcome).toBe('remediated');
    expect((await guardrailView()).state.breakers['breaker']).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('a failed trial opens it again, and an operator reset closes it', async () => {
    await useWorker();
    target.state.failing.add('DELETE /pods/pod-broken');
    const broken = () => inc('breaker_test', 'checkout', { context: { pod_name: 'pod-broken' } });
    await run(broken());
    await run(broken());
    await env.sleep(5 * MINUTE + 1_000);
    expect((await run(broken())).outcome).toBe('failed');
    expect((await guardrailView()).state.breakers['breaker']).toMatchObject({ state: 'open' });
    expect((await run(broken())).decision).toMatchObject({ event: 'CIRCUIT_OPEN' });

    await coordinator().signal(resetBreakerSignal, { runbook: 'breaker', by: 'alice' });
    target.state.failing.clear();
    expect((await run(broken())).outcome).toBe('remediated');
    expect((await guardrailView()).log.some((e) => e.kind === 'breaker_reset' && e.detail.includes('alice'))).toBe(true);
  });
});

describe('concurrency', () => {
  it('a storm of 50 incidents for one service never exceeds the limits, and every incident ends with a reason', async () => {
    await useWorker();
    const storm = Array.from({ length: 50 }, () => inc('rate_test', 'payments'));
    const handles = await Promise.all(storm.map((i) => submit(i)));
    const results = await Promise.all(handles.map((s) => s.handle.result()));
    const executed = results.filter((r) => r.outcome === 'remediated');
    expect(executed.length).toBeLessThanOrEqual(3);
    expect(executed.length).toBeGreaterThanOrEqual(1);
    expect(target.requests.filter((r) => r.method === 'DELETE')).toHaveLength(executed.length);
    const others = results.filter((r) => r.outcome !== 'remediated');
    expect(others.every((r) => r.outcome === 'blocked' && r.decision.reason.length > 0)).toBe(true);
    expect(results).toHaveLength(50);
    const { state } = await guardrailView();
    expect(state.leases).toEqual({});
    expect(state.executions['rate-limited:payments']).toHaveLength(executed.length);
    await recordHistory(coordinator(), 'coordinator-storm');
  });

  it('the coordinator only decides: slow remediations hold their slots while others are blocked at once', async () => {
    await useWorker();
    const slow = await Promise.all([1, 2, 3].map(() => submit(inc('slow_test', 'search'))));
    await waitUntil(async () => (await leaseCount()) === 3);
    const started = Date.now();
    const blocked = await run(inc('rate_test', 'other'));
    expect(blocked).toMatchObject({ outcome: 'blocked', decision: { event: 'BLAST_LIMITED' } });
    expect(Date.now() - started).toBeLessThan(10_000);
    await env.sleep(HOUR + MINUTE);
    for (const s of slow) expect(['remediated', 'blocked']).toContain((await s.handle.result()).outcome);
  });

  it('a terminated remediation does not hold its slot beyond its lease', async () => {
    await useWorker();
    const { handle } = await submit(inc('slow_test', 'search'));
    await waitUntil(async () => (await handle.query(statusQuery)).currentStep === 'settle');
    const lease = Object.values((await guardrailView()).state.leases)[0]!;
    expect(lease).toBeDefined();
    await handle.terminate('operator pulled the plug');
    expect(Object.keys((await guardrailView()).state.leases)).toHaveLength(1);
    await env.sleep(lease.expiresAtMs - (await env.currentTimeMs()) + 1_000);
    const view = await guardrailView();
    expect(view.state.leases).toEqual({});
    expect(view.log.some((e) => e.kind === 'lease_expired' && e.incidentId === lease.incidentId)).toBe(true);
    // It may have acted and nobody verified: a failure for the breaker and the service's budget.
    expect(view.state.breakers.slow).toMatchObject({ consecutiveFailures: 1 });
    expect(view.state.serviceFailures.search).toHaveLength(1);
  });

  it('continues as new under load and loses no state', async () => {
    await useWorker({ historyLimit: 60, policy: { limits: { maxConcurrent: 50, maxServices: 50 } } });
    const startedMs = await env.currentTimeMs();
    const first = await run(inc('cooldown_test', 'svc-0'));
    const firstRun = (await coordinator().describe()).runId;
    for (let i = 1; i <= 25; i++) await run(inc('rate_test', `svc-${i}`));
    const { state, historyLength } = await guardrailView();
    expect((await coordinator().describe()).runId).not.toBe(firstRun);
    expect(historyLength).toBeLessThan(200);
    expect(first.outcome).toBe('remediated');
    // Every run of the last hour survived the hand-overs. The time-skipping server may skip ahead
    // while workflows wait, so the 10-minute cooldown is checked only while it can still hold.
    const elapsedMs = (await env.currentTimeMs()) - startedMs;
    expect(elapsedMs).toBeLessThan(HOUR);
    expect(Object.keys(state.executions)).toEqual(
      expect.arrayContaining(Array.from({ length: 25 }, (_, i) => `rate-limited:svc-${i + 1}`)),
    );
    if (elapsedMs < 9 * MINUTE) {
      expect(Object.keys(state.executions)).toHaveLength(26);
      expect(state.cooldowns['cooled:svc-0']).toBeDefined();
      expect((await run(inc('cooldown_test', 'svc-0'))).decision).toMatchObject({ event: 'RATE_LIMITED' });
    }
  });
});

describe('change windows and freeze', () => {
  it('a MEDIUM-risk remediation waits for its change window to open', async () => {
    const now = new Date(await env.currentTimeMs());
    const hhmm = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    const opens = new Date(now.getTime() + 2 * HOUR);
    const closes = new Date(now.getTime() + 4 * HOUR);
    const policy: Partial<GuardrailPolicy> = {
      changeWindows: [
        {
          name: 'off-peak',
          timeZone: 'UTC',
          days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
          start: hhmm(opens),
          end: hhmm(closes),
          appliesTo: { risks: ['MEDIUM'] },
          outside: 'wait',
        },
      ],
    };
    await useWorker({ policy });
    const { handle } = await submit(inc('window_test'));
    await waitUntil(async () => (await handle.query(statusQuery)).events.some((e) => e.type === 'OUTSIDE_CHANGE_WINDOW'));
    expect(target.requests).toHaveLength(0);
    await env.sleep(2 * HOUR + MINUTE);
    const result = await handle.result();
    expect(result.outcome).toBe('remediated');
    const waited = result.events.find((e) => e.type === 'OUTSIDE_CHANGE_WINDOW')!;
    expect(waited.message).toContain('off-peak');
    const firstAction = result.events.find((e) => e.type === 'STEP_STARTED')!;
    expect(Date.parse(firstAction.at)).toBeGreaterThanOrEqual(Math.floor(opens.getTime() / MINUTE) * MINUTE);
    // LOW risk is not restricted by that window.
    expect((await run(inc('rate_test'))).events.some((e) => e.type === 'OUTSIDE_CHANGE_WINDOW')).toBe(false);
  });

  it('a freeze blocks automated execution until it is lifted', async () => {
    await useWorker();
    await run(inc('rate_test', 'warmup'));
    await coordinator().signal(freezeSignal, { by: 'carol', reason: 'Black Friday' });
    const frozen = await run(inc('rate_test', 'frozen-svc'));
    expect(frozen).toMatchObject({ outcome: 'blocked', decision: { event: 'FROZEN', reason: expect.stringContaining('Black Friday') } });
    await coordinator().signal(unfreezeSignal, { by: 'carol' });
    expect((await run(inc('rate_test', 'frozen-svc'))).outcome).toBe('remediated');
  });
});

describe('leases and priorities', () => {
  it('a remediation renews its lease while it acts', async () => {
    await useWorker();
    const { handle } = await submit(inc('slow_test', 'search'));
    await waitUntil(async () => (await handle.query(statusQuery)).currentStep === 'settle');
    const lease = Object.values((await guardrailView()).state.leases)[0]!;
    const leaseMs = lease.expiresAtMs - lease.acquiredAtMs;
    await env.sleep(Math.ceil(leaseMs / 3) + MINUTE);
    await waitUntil(async () => (Object.values((await guardrailView()).state.leases)[0]?.expiresAtMs ?? 0) > lease.expiresAtMs);
    await env.sleep(HOUR);
    expect((await handle.result()).outcome).toBe('remediated');
  });

  it('a run whose slot an operator revokes stops before its next action, and it counts as a failure', async () => {
    await useWorker();
    const { handle } = await submit(inc('two_step_test', 'search', { context: { pod_name: 'pod-two' } }));
    await waitUntil(async () => (await handle.query(statusQuery)).currentStep === 'settle');
    await coordinator().signal(revokeLeaseSignal, {
      incidentId: (await handle.query(statusQuery)).incidentId,
      by: 'dave',
      reason: 'stuck since the outage',
    });
    await waitUntil(async () => (await guardrailView()).log.some((e) => e.kind === 'revoked'));
    const view = await guardrailView();
    expect(view.state.leases).toEqual({});
    expect(view.state.breakers['two-step']).toMatchObject({ consecutiveFailures: 1 });
    expect(view.state.serviceFailures.search).toHaveLength(1);

    await env.sleep(HOUR + MINUTE);
    const result = await handle.result();
    expect(result.outcome).toBe('failed');
    expect(result.events.find((e) => e.type === 'LEASE_LOST')).toMatchObject({
      message: expect.stringContaining('before second: revoked by dave'),
    });
    await recordHistory(handle, 'lease-revoked');
    expect(target.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['DELETE /pods/pod-two']);
  });
});

describe('hostile and old requests', () => {
  it('refuses a malformed request and keeps serving', async () => {
    await useWorker();
    await coordinator().signal(guardrailRequestSignal, { kind: 'check', incidentId: '__proto__' } as unknown as CheckRequest);
    await waitUntil(async () => (await guardrailView()).log.some((e) => e.kind === 'refused'));
    expect((await run(inc('rate_test'))).outcome).toBe('remediated');
  });

  it('still serves the first protocol (acquire update) for remediations that started before the batched one', async () => {
    await useWorker();
    const verdict = await coordinator().executeUpdate(acquireUpdate, {
      args: [
        {
          incidentId: 'old-1',
          workflowId: 'incident-old-1',
          incident: { id: 'old-1', service: 'legacy', services: ['legacy'] },
          runbook: requestRunbook(),
          humanApproved: false,
          leaseMs: 600_000,
        },
      ],
    });
    expect(verdict).toMatchObject({ granted: true, lease: { incidentId: 'old-1' } });
  });
});

function requestRunbook() {
  const rb = catalogue.runbooks.find((r) => r.id === 'rate-limited')!;
  return { id: rb.id, risk: rb.risk, guardrails: rb.guardrails };
}

async function waitUntil(predicate: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
