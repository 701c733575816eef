/**
 * The remediation workflow end to end on the time-skipping server: the seed's four exercise
 * incidents, approvals, verification and rollback, pre-checks, injection, deduplication and
 * notifications. Actions hit a real HTTP server standing in for the cluster (test/harness/simulated-cluster.ts)
 * or run a real local command.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultPolicy, submitIncident } from '../../client/submit';
import type { CompiledCatalogue, Incident } from '../../dsl/types';
import { approveSignal, rejectSignal, statusQuery } from '../../workflows/messages';
import type { RemediationResult } from '../../workflows/types';
import { compileFixture, incident, startWorker } from '../harness/engine';
import { startSimulatedCluster, type SimulatedCluster } from '../harness/simulated-cluster';
import { recordHistory } from '../harness/histories';
import { connectTimeSkipping } from '../harness/temporal';

const fixtures = join(import.meta.dirname, '../fixtures/workflow');
const MINUTE = 60_000;

let env: TestWorkflowEnvironment;
let target: SimulatedCluster;
let catalogue: CompiledCatalogue;
let worker: Awaited<ReturnType<typeof startWorker>>;
let webhook: { server: Server; url: string; received: Array<{ text: string; notification: { kind: string; incidentId: string } }> };
let scratch: string;
let seq = 0;

beforeAll(async () => {
  env = await connectTimeSkipping();
  target = await startSimulatedCluster();
  scratch = mkdtempSync(join(tmpdir(), 'remediate-wf-'));
  webhook = await startWebhook();
  catalogue = compileFixture(join(fixtures, 'runbooks.yaml'), {
    TARGET: target.url,
    RECORDER: join(fixtures, 'record-args.mjs'),
    RECORD_FILE: join(scratch, 'args.jsonl'),
  });
  worker = await startWorker(env, { config: { webhookUrls: [webhook.url], notifyLogPath: join(scratch, 'notifications.jsonl') }, policy: { limits: { maxConcurrent: 10, maxServices: 10 } } });
});

afterAll(async () => {
  await worker?.stop();
  await target?.close();
  await new Promise((resolve) => webhook?.server.close(resolve));
  await env?.teardown();
});

beforeEach(() => {
  target.requests.length = 0;
  target.state.failing.clear();
  target.state.podsRecover = true;
  target.state.ignoreScale = false;
  target.state.pods = { 'api-server-abc123': { ready: false, restarts: 1, replicas: 3 } };
  target.state.deployments = {
    worker: { replicas: 3, revision: 4, errorRate: 0.01 },
    checkout: { replicas: 4, revision: 7, errorRate: 0.3 },
  };
});

/** The seed's incidents, with ids unique per test so each gets its own workflow. */
function seedIncident(n: 1 | 2 | 3 | 4, extra: Partial<Incident> = {}): Incident {
  seq += 1;
  const base = {
    1: incident({ id: 'INC001', root_cause: 'CrashLoopBackOff', confidence: 0.95, service: 'api-server', context: { pod_name: 'api-server-abc123', namespace: 'production' } }),
    2: incident({ id: 'INC002', root_cause: 'high_cpu', confidence: 0.75, service: 'worker', context: { deployment: 'worker', namespace: 'production', new_replicas: 5, old_replicas: 3 } }),
    3: incident({ id: 'INC003', root_cause: 'error_rate_spike_after_deploy', confidence: 0.92, service: 'checkout', context: { deployment: 'checkout', namespace: 'production' } }),
    4: incident({ id: 'INC004', root_cause: 'unknown_issue', confidence: 0.6, service: 'auth', context: {} }),
  }[n];
  // A service of its own per test: guardrail state (rate limits, cooldowns) is real and shared by this file's worker.
  return { ...base, ...extra, id: `${extra.id ?? base.id}-${seq}`, service: `${base.service}-${seq}`, services: [`${base.service}-${seq}`] };
}

async function submit(inc: Incident) {
  return await submitIncident(env.client, {
    incident: inc,
    catalogue,
    policy: defaultPolicy({ approverGroups: { sre: ['bob'] } }),
    taskQueue: worker.taskQueue,
  });
}

/** Runs an incident to its result; with a name, records its history for the replay test. */
async function run(inc: Incident, history?: string): Promise<RemediationResult> {
  const { handle } = await submit(inc);
  const result = await handle.result();
  if (history) await recordHistory(handle, history);
  return result;
}

function eventTypes(result: RemediationResult): string[] {
  return result.events.map((e) => e.type);
}

/** Waits (in real time; the workflow waits on a durable timer meanwhile) until the status matches. */
async function waitForPhase(handle: Awaited<ReturnType<typeof submit>>['handle'], phase: string) {
  for (let i = 0; i < 200; i++) {
    const status = await handle.query(statusQuery);
    if (status.phase === phase) return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`workflow never reached phase ${phase}`);
}

describe("the seed's exercise incidents", () => {
  it('INC001: restart-pod runs automatically, replaces the pod and verifies it is ready', async () => {
    const result = await run(seedIncident(1), 'inc001-remediated');
    expect(result).toMatchObject({ outcome: 'remediated', runbook: 'restart-pod', rolledBack: false });
    expect(result.decision).toMatchObject({ decision: 'auto', event: 'EXECUTING' });
    expect(result.runbookVersion).toMatch(/^[0-9a-f]{64}$/);
    expect(eventTypes(result)).toEqual(expect.arrayContaining(['EXECUTING', 'SUCCESS']));
    const deletes = target.requests.filter((r) => r.method === 'DELETE');
    expect(deletes).toHaveLength(1);
    expect(deletes[0]!.path).toBe('/pods/api-server-abc123');
    expect(deletes[0]!.idempotencyKey).toMatch(/^incident-INC001-\d+\/delete_pod$/);
    expect(target.state.pods['api-server-abc123']!.ready).toBe(true);
  });

  it('INC002: scale-up captures the replica count, scales to 5 and verifies', async () => {
    const result = await run(seedIncident(2), 'inc002-remediated');
    expect(result).toMatchObject({ outcome: 'remediated', runbook: 'scale-up' });
    expect(target.state.deployments.worker!.replicas).toBe(5);
  });

  it('INC003: rollback-deployment waits for approval, then runs and records who approved', async () => {
    const { handle } = await submit(seedIncident(3));
    const status = await waitForPhase(handle, 'awaiting_approval');
    expect(status.decision).toMatchObject({ decision: 'approval_required', event: 'APPROVAL_REQUIRED' });
    expect(target.requests.filter((r) => r.method !== 'GET')).toHaveLength(0);
    await handle.signal(approveSignal, { by: 'alice', reason: 'error spike after deploy 7', planHash: status.planHash! });
    const result = await handle.result();
    await recordHistory(handle, 'inc003-approved');
    expect(result.outcome).toBe('remediated');
    expect(result.approvals).toEqual([expect.objectContaining({ by: 'alice', planHash: status.planHash })]);
    expect(result.events.find((e) => e.type === 'APPROVED')).toMatchObject({ actor: 'alice' });
    expect(target.state.deployments.checkout!.revision).toBe(6);
  });

  it('INC004: no runbook matches, so a human takes it', async () => {
    const result = await run(seedIncident(4), 'inc004-manual');
    expect(result).toMatchObject({ outcome: 'manual', runbook: null, decision: { decision: 'manual', event: 'NO_RUNBOOK' } });
    expect(target.requests).toHaveLength(0);
  });
});

describe('approvals', () => {
  it('a rejection with a reason ends it; one without a reason is refused', async () => {
    const { handle } = await submit(seedIncident(3));
    await waitForPhase(handle, 'awaiting_approval');
    await handle.signal(rejectSignal, { by: 'alice', reason: '  ' });
    await handle.signal(rejectSignal, { by: 'bob', reason: 'deploy 7 is a hotfix; roll forward instead' });
    const result = await handle.result();
    await recordHistory(handle, 'rejected');
    expect(result.outcome).toBe('rejected');
    expect(eventTypes(result)).toEqual(expect.arrayContaining(['APPROVAL_REFUSED', 'REJECTED']));
    expect(target.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  it('an unauthorised approver and the submitter are refused; nobody deciding expires it after 30 minutes', async () => {
    const started = await env.currentTimeMs();
    const { handle } = await submit(seedIncident(3, { submitted_by: 'bob' }));
    await waitForPhase(handle, 'awaiting_approval');
    await handle.signal(approveSignal, { by: 'mallory' });
    await handle.signal(approveSignal, { by: 'bob' });
    const result = await handle.result();
    await recordHistory(handle, 'expired');
    expect(result.outcome).toBe('expired');
    const refused = result.events.filter((e) => e.type === 'APPROVAL_REFUSED').map((e) => e.message);
    expect(refused).toEqual([expect.stringContaining('not an authorised approver'), expect.stringContaining('submitted this incident')]);
    expect(eventTypes(result)).toEqual(expect.arrayContaining(['ESCALATED', 'APPROVAL_EXPIRED']));
    expect((await env.currentTimeMs()) - started).toBeGreaterThanOrEqual(30 * MINUTE);
    expect(webhook.received.some((m) => m.notification.incidentId === result.incidentId && m.notification.kind === 'escalation')).toBe(true);
  });

  it('a quorum of two needs two distinct approvers', async () => {
    const inc = seedIncident(3, { root_cause: 'error_rate_spike_needs_two' });
    const { handle } = await submit(inc);
    const status = await waitForPhase(handle, 'awaiting_approval');
    await handle.signal(approveSignal, { by: 'alice' });
    await handle.signal(approveSignal, { by: 'Alice' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await handle.query(statusQuery)).phase).toBe('awaiting_approval');
    await handle.signal(approveSignal, { by: 'carol', planHash: status.planHash! });
    const result = await handle.result();
    expect(result.outcome).toBe('remediated');
    expect(result.approvals.map((a) => a.by)).toEqual(['alice', 'carol']);
  });

  it('an approval for a different plan does not count', async () => {
    const { handle } = await submit(seedIncident(3));
    await waitForPhase(handle, 'awaiting_approval');
    await handle.signal(approveSignal, { by: 'alice', planHash: 'f'.repeat(64) });
    await handle.signal(rejectSignal, { by: 'alice', reason: 'test done' });
    const result = await handle.result();
    expect(result.events.find((e) => e.type === 'APPROVAL_REFUSED')?.message).toContain('plan');
    expect(result.outcome).toBe('rejected');
  });

  it('pre-checks run again after approval: a deployment gone meanwhile aborts without acting', async () => {
    const { handle } = await submit(seedIncident(3));
    await waitForPhase(handle, 'awaiting_approval');
    delete target.state.deployments.checkout;
    await handle.signal(approveSignal, { by: 'alice' });
    const result = await handle.result();
    expect(result.outcome).toBe('aborted');
    expect(eventTypes(result)).toContain('PRE_CHECK_FAILED');
    expect(target.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });
});

describe('safety', () => {
  it('a failed verification rolls back to the captured replica count', async () => {
    target.state.ignoreScale = true;
    const result = await run(seedIncident(2), 'rolled-back');
    expect(result).toMatchObject({ outcome: 'rolled_back', rolledBack: true });
    expect(eventTypes(result)).toEqual(expect.arrayContaining(['VERIFICATION_FAILED', 'ROLLED_BACK']));
    const scales = target.requests.filter((r) => r.method === 'PUT').map((r) => r.body);
    expect(scales).toEqual([{ replicas: 5 }, { replicas: 3 }]);
  });

  it('a failed pre-check runs no action', async () => {
    target.state.pods['api-server-abc123']!.restarts = 5;
    const result = await run(seedIncident(1), 'pre-check-failed');
    expect(result.outcome).toBe('aborted');
    expect(eventTypes(result)).toContain('PRE_CHECK_FAILED');
    expect(target.requests.filter((r) => r.method !== 'GET')).toHaveLength(0);
  });

  it('a failing rollback is escalated once, loudly, and not retried in a loop', async () => {
    target.state.failing.add('PUT /deployments/worker/scale');
    const result = await run(seedIncident(2), 'rollback-failed');
    expect(result.outcome).toBe('failed');
    expect(eventTypes(result)).toEqual(expect.arrayContaining(['STEP_FAILED', 'ROLLBACK_FAILED', 'FAILED']));
    expect(target.requests.filter((r) => r.method === 'PUT')).toHaveLength(2);
    const critical = webhook.received.filter((m) => m.notification.incidentId === result.incidentId && m.notification.kind === 'rollback_failed');
    expect(critical).toHaveLength(1);
  });

  it('an action without a rollback that fails ends as failed', async () => {
    target.state.failing.add('DELETE /pods/api-server-abc123');
    const result = await run(seedIncident(1));
    expect(result).toMatchObject({ outcome: 'failed', rolledBack: false });
  });

  it('missing context aborts before any action and names the field', async () => {
    const result = await run(seedIncident(1, { context: { namespace: 'production' } }));
    expect(result.outcome).toBe('aborted');
    expect(result.events.find((e) => e.type === 'CONTEXT_INVALID')?.message).toContain('pod_name');
    expect(target.requests).toHaveLength(0);
  });

  it('a placeholder injection attempt is one argument of one command', async () => {
    const marker = join(scratch, 'pwned');
    const result = await run(
      incident({ id: `INJ-${++seq}`, root_cause: 'record_args', confidence: 0.9, service: 'api', context: { pod_name: `x; touch ${marker}`, namespace: 'production' } }),
    );
    expect(result.outcome).toBe('remediated');
    const calls = readFileSync(join(scratch, 'args.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(calls.at(-1)).toEqual([`x; touch ${marker}`, '-n', 'production']);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('identity, notifications and audit', () => {
  it('a duplicate submission attaches to the running remediation', async () => {
    const inc = seedIncident(3);
    const first = await submit(inc);
    const second = await submit(inc);
    expect(first.attached).toBe(false);
    expect(second.attached).toBe(true);
    expect(second.handle.workflowId).toBe(first.handle.workflowId);
    await waitForPhase(first.handle, 'awaiting_approval');
    await second.handle.signal(rejectSignal, { by: 'alice', reason: 'dedup test' });
    expect((await first.handle.result()).outcome).toBe('rejected');
  });

  it('the webhook and the log sink receive the notifications of a remediation', async () => {
    const result = await run(seedIncident(1));
    const mine = webhook.received.filter((m) => m.notification.incidentId === result.incidentId);
    expect(mine.map((m) => m.notification.kind)).toEqual(['success']);
    expect(mine[0]!.text).toContain(result.incidentId);
    const logged = readFileSync(join(scratch, 'notifications.jsonl'), 'utf8');
    expect(logged).toContain(result.incidentId);
    expect(eventTypes(result)).toContain('NOTIFIED');
  });

  it('the status query shows the decision, phase and events while waiting', async () => {
    const { handle } = await submit(seedIncident(3));
    const status = await waitForPhase(handle, 'awaiting_approval');
    expect(status).toMatchObject({ runbook: 'rollback-deployment', approvalsNeeded: 1, outcome: null });
    expect(status.events.map((e) => e.type)).toContain('APPROVAL_REQUIRED');
    expect(status.events.every((e) => !Number.isNaN(Date.parse(e.at)))).toBe(true);
    await handle.signal(rejectSignal, { by: 'alice', reason: 'done' });
    await handle.result();
  });
});

async function startWebhook() {
  const received: Array<{ text: string; notification: { kind: string; incidentId: string } }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}
