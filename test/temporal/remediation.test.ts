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
import { sendDecision } from '../../client/approvals';
import { readRecord } from '../../client/history';
import { decodeFirst } from '../../client/history-decode';
import { submitIncident } from '../../client/submit';
import { buildTimeline } from '../../client/timeline';
import { incidentSha256, submissionStatementText } from '../../dsl/trust/statement';
import type { CompiledCatalogue, Incident } from '../../dsl/types';
import { approveSignal, statusQuery } from '../../contracts/messages';
import { HISTORY_FORMAT, type RemediationResult } from '../../contracts/types';
import { approveWith, clockOf, decide, statementFor, trustOf } from '../harness/approvals';
import { compileFixture, incident, startWorker } from '../harness/engine';
import { testKey } from '../harness/ssh-keys';
import { startSimulatedCluster, type SimulatedCluster } from '../harness/simulated-cluster';
import { recordHistory } from '../harness/histories';
import { connectTimeSkipping } from '../harness/temporal';
import { buildRemediationWorker } from '../../worker/build-worker';

const fixtures = join(import.meta.dirname, '../fixtures/workflow');
const MINUTE = 60_000;
// The worker's operator trusts these keys; eve's key is nobody's, and mallory is no runbook's approver.
const keys = {
  alice: testKey('alice'),
  bob: testKey('bob'),
  carol: testKey('carol'),
  mallory: testKey('mallory'),
  gateway: testKey('approvals-web'),
};
const eve = testKey('alice'); // claims to be alice, with a key the operator never listed

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
  catalogue = compileFixture(
    join(fixtures, 'runbooks.yaml'),
    {
      TARGET: target.url,
      RECORDER: join(fixtures, 'record-args.mjs'),
      RECORD_FILE: join(scratch, 'args.jsonl'),
    },
    { allowedPrograms: ['node'] },
  ); // the recorder is a node script: a launcher only the operator may allow
  worker = await startWorker(env, {
    catalogue,
    config: { webhookUrls: [webhook.url], notifyLogPath: join(scratch, 'notifications.jsonl') },
    policy: { limits: { maxConcurrent: 10, maxServices: 10 } },
    operator: {
      approverGroups: { sre: ['bob'] },
      trust: trustOf(Object.values(keys), [{ principal: 'approvals-web', vouchesFor: ['alice'] }]),
    },
  });
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
    worker: { replicas: 3, revision: 4, errorRateByRevision: { 4: 0.01 } },
    // Revision 7 is the bad release; the test says revision 6 was healthy (one test says otherwise).
    checkout: { replicas: 4, revision: 7, errorRateByRevision: { 7: 0.3, 6: 0.01 } },
  };
});

/** The seed's incidents, with ids unique per test so each gets its own workflow. */
function seedIncident(n: 1 | 2 | 3 | 4, extra: Partial<Incident> = {}): Incident {
  seq += 1;
  const base = {
    1: incident({
      id: 'INC001',
      root_cause: 'CrashLoopBackOff',
      confidence: 0.95,
      service: 'api-server',
      context: { pod_name: 'api-server-abc123', namespace: 'production' },
    }),
    2: incident({
      id: 'INC002',
      root_cause: 'high_cpu',
      confidence: 0.75,
      service: 'worker',
      context: { deployment: 'worker', namespace: 'production', new_replicas: 5, old_replicas: 3 },
    }),
    3: incident({
      id: 'INC003',
      root_cause: 'error_rate_spike_after_deploy',
      confidence: 0.92,
      service: 'checkout',
      context: { deployment: 'checkout', namespace: 'production' },
    }),
    4: incident({ id: 'INC004', root_cause: 'unknown_issue', confidence: 0.6, service: 'auth', context: {} }),
  }[n];
  // A service of its own per test: guardrail state (rate limits, cooldowns) is real and shared by this file's worker.
  return {
    ...base,
    ...extra,
    id: `${extra.id ?? base.id}-${seq}`,
    service: `${base.service}-${seq}`,
    services: [`${base.service}-${seq}`],
  };
}

/** `by`: the submitter signs the submission with their key. */
async function submit(inc: Incident, by?: keyof typeof keys) {
  let submission;
  if (by) {
    const text = submissionStatementText({
      kind: 'remediate.submission',
      version: 1,
      incidentId: inc.id,
      incidentSha256: incidentSha256(inc),
      at: (await clockOf(env)).toISOString(),
    });
    submission = { statement: text, signature: keys[by].sign(text) };
  }
  return await submitIncident(env.client, { incident: inc, ...(submission ? { submission } : {}), taskQueue: worker.taskQueue });
}

type Handle = Awaited<ReturnType<typeof submit>>['handle'];

async function approve(handle: Handle, who: keyof typeof keys, override: Parameters<typeof approveWith>[3] = {}) {
  return await approveWith(handle, keys[who], await clockOf(env), override);
}

async function reject(handle: Handle, who: keyof typeof keys, reason: string) {
  return await approve(handle, who, { verdict: 'reject', reason });
}

function refusals(result: RemediationResult): string[] {
  return result.events.filter((e) => e.type === 'APPROVAL_REFUSED').map((e) => e.message);
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

async function waitForState(worker: { getState(): string }, state: string) {
  for (let i = 0; i < 200 && worker.getState() !== state; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(worker.getState()).toBe(state);
}

/** Waits (in real time; the workflow waits on a durable timer meanwhile) until the status matches. */
async function waitForPhase(handle: { query: Handle['query'] }, phase: string) {
  for (let i = 0; i < 200; i++) {
    const status = await handle.query(statusQuery);
    if (status.phase === phase) return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`workflow never reached phase ${phase}`);
}

describe("the reference exercise's incidents", () => {
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
    expect(await approve(handle, 'alice', { reason: 'error spike after deploy 7' })).toMatchObject({ counted: true, principal: 'alice' });
    const result = await handle.result();
    await recordHistory(handle, 'inc003-approved');
    expect(result.outcome).toBe('remediated');
    expect(result.approvals).toEqual([expect.objectContaining({ by: 'alice', planHash: status.planHash })]);
    expect(result.events.find((e) => e.type === 'APPROVED')).toMatchObject({ actor: 'alice' });
    expect(target.state.deployments.checkout!.revision).toBe(6);
  });

  it('INC003: when the older revision is bad too, verification reads its error rate, fails, and the rollback returns to revision 7', async () => {
    target.state.deployments.checkout!.errorRateByRevision = { 7: 0.3, 6: 0.25 };
    const { handle } = await submit(seedIncident(3));
    await waitForPhase(handle, 'awaiting_approval');
    await approve(handle, 'alice', { reason: 'error spike after deploy 7' });
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'rolled_back', rolledBack: true });
    const failed = result.events.filter((e) => e.type === 'STEP_FAILED' && e.data?.check === 'error_rate_normalized');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.at(-1)).toMatchObject({ data: { result: { json: { revision: 6, errorRate: 0.25 } } } });
    expect(eventTypes(result)).toEqual(expect.arrayContaining(['VERIFICATION_FAILED', 'ROLLED_BACK']));
    expect(target.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual([
      '/deployments/checkout/undo',
      '/deployments/checkout/undo',
    ]);
    expect(target.state.deployments.checkout!.revision).toBe(7);
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
    expect(await reject(handle, 'alice', '  ')).toMatchObject({ counted: false });
    expect(await reject(handle, 'bob', 'deploy 7 is a hotfix; roll forward instead')).toMatchObject({ counted: true });
    const result = await handle.result();
    await recordHistory(handle, 'rejected');
    expect(result.outcome).toBe('rejected');
    expect(eventTypes(result)).toEqual(expect.arrayContaining(['APPROVAL_REFUSED', 'REJECTED']));
    expect(target.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  it('an unauthorised approver, an unlisted key and the signed submitter are refused; nobody deciding expires it after 30 minutes', async () => {
    const started = await env.currentTimeMs();
    const { handle } = await submit(seedIncident(3), 'bob');
    expect((await approve(handle, 'mallory')).message).toContain('not an authorised approver');
    expect((await approveWith(handle, eve, await clockOf(env))).message).toContain('is not in allowed_signers');
    expect((await approve(handle, 'bob')).message).toContain('submitted this incident');
    const result = await handle.result();
    await recordHistory(handle, 'expired');
    expect(result.outcome).toBe('expired');
    expect(refusals(result)).toEqual([
      expect.stringContaining('not an authorised approver'),
      expect.stringContaining('is not in allowed_signers'),
      expect.stringContaining('submitted this incident'),
    ]);
    expect(result.events.find((e) => e.type === 'SUBMITTED')).toMatchObject({
      actor: 'bob',
      message: expect.stringContaining('submitted by bob (signed)'),
    });
    expect(eventTypes(result)).toEqual(expect.arrayContaining(['ESCALATED', 'APPROVAL_EXPIRED']));
    expect((await env.currentTimeMs()) - started).toBeGreaterThanOrEqual(30 * MINUTE);
    expect(webhook.received.some((m) => m.notification.incidentId === result.incidentId && m.notification.kind === 'escalation')).toBe(
      true,
    );
  });

  it('a quorum of two needs two different keys: the same key twice counts once', async () => {
    const { handle } = await submit(seedIncident(3, { root_cause: 'error_rate_spike_needs_two' }));
    expect(await approve(handle, 'alice')).toMatchObject({ counted: true, approvals: 1, needed: 2 });
    expect((await approve(handle, 'alice')).message).toContain('already approved');
    expect((await handle.query(statusQuery)).phase).toBe('awaiting_approval');
    expect(await approve(handle, 'carol')).toMatchObject({ counted: true, approvals: 2 });
    const result = await handle.result();
    expect(result.outcome).toBe('remediated');
    expect(result.approvals.map((a) => a.by)).toEqual(['alice', 'carol']);
  });

  it('forged, replayed, wrong-plan, wrong-incident, stale and malformed statements are each refused and audited', async () => {
    const other = await submit(seedIncident(3));
    const forOther = await statementFor(other.handle, keys.alice, await clockOf(env));
    const { handle } = await submit(seedIncident(3));
    const now = await clockOf(env);
    const good = await statementFor(handle, keys.alice, now);
    const cases: Array<[unknown, string]> = [
      [forOther, 'for incident'], // another run's approval replayed here
      [await statementFor(handle, keys.alice, now, { planHash: 'f'.repeat(64) }), 'plan'],
      [await statementFor(handle, keys.alice, now, { runId: '00000000-0000-4000-8000-000000000000' }), 'run'],
      [await statementFor(handle, keys.alice, new Date(now.getTime() - 60 * MINUTE)), 'min ago'],
      [{ ...good, signature: keys.mallory.sign(good.statement) }, 'mallory is not an authorised approver'], // a listed key that is no approver's
      [{ statement: good.statement.replace('"reason":""', '"reason":"x"'), signature: good.signature }, 'does not match'], // tampered after signing
      [{ ...good, signature: eve.sign(good.statement) }, 'is not in allowed_signers'], // forged: a key the operator never listed
      [{ statement: good.statement }, 'unsigned'],
      [{ by: 1 }, 'malformed'],
      [null, 'malformed'],
    ];
    for (const [signed, expected] of cases) {
      const answer = await decide(handle, signed);
      expect(answer.counted, JSON.stringify(signed)?.slice(0, 200)).toBe(false);
      expect(answer.message).toContain(expected);
    }
    expect((await handle.query(statusQuery)).phase).toBe('awaiting_approval');
    expect(await reject(handle, 'alice', 'test done')).toMatchObject({ counted: true });
    const result = await handle.result();
    expect(result.outcome).toBe('rejected');
    expect(refusals(result)).toHaveLength(cases.length);
    await reject(other.handle, 'alice', 'test done');
    await other.handle.result();
  });

  it('a gateway counts for the user it vouches for, and not for anyone else', async () => {
    const { handle } = await submit(seedIncident(3));
    expect((await approve(handle, 'gateway', { onBehalfOf: 'bob' })).message).toContain('may not vouch for bob');
    expect((await approve(handle, 'gateway')).message).toContain('must name the user');
    expect(await approve(handle, 'gateway', { onBehalfOf: 'alice' })).toMatchObject({ counted: true, principal: 'alice' });
    const result = await handle.result();
    expect(result.approvals).toEqual([expect.objectContaining({ by: 'alice', via: 'approvals-web' })]);
  });

  it("a submitter's own catalogue and approvers never reach the workflow, and unsigned signals are refused", async () => {
    // The attack: a copy of the catalogue in which rollback-deployment is LOW risk, and a policy that makes anyone an approver.
    const inc = seedIncident(3);
    const lowRisk = {
      ...catalogue,
      runbooks: catalogue.runbooks.map((r) => (r.id === 'rollback-deployment' ? { ...r, risk: 'LOW' as const, mode: 'auto' as const } : r)),
    };
    const handle = await env.client.workflow.start('remediateIncident', {
      workflowId: `incident-${inc.id}`,
      taskQueue: worker.taskQueue,
      args: [
        {
          incident: inc,
          catalogue: lowRisk,
          policy: {
            defaultApprovers: ['anyone'],
            approverGroups: { sre: ['anyone'] },
            namespace: 'default',
            limits: { maxConcurrent: 99, maxServices: 99 },
          },
        },
      ],
    });
    const status = await waitForPhase(handle, 'awaiting_approval');
    expect(status.decision).toMatchObject({ decision: 'approval_required' });
    await handle.signal(approveSignal, { by: 'anyone', planHash: status.planHash! });
    await handle.signal(approveSignal, { by: 1 } as never);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await handle.query(statusQuery)).phase).toBe('awaiting_approval');
    expect(target.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
    await reject(handle, 'alice', 'test done');
    const result = await handle.result();
    expect(refusals(result)).toEqual([
      expect.stringContaining('unsigned approve signal naming anyone refused'),
      expect.stringContaining('unsigned approve signal naming (nobody) refused'),
    ]);
  });

  it('a malformed update is refused, and the workflow still expires to manual on time', async () => {
    const started = await env.currentTimeMs();
    const { handle } = await submit(seedIncident(3));
    await waitForPhase(handle, 'awaiting_approval');
    for (const junk of [{ by: 1 }, 'x', 42, [], { statement: 7, signature: [] }]) expect((await decide(handle, junk)).counted).toBe(false);
    // Too large to be a statement: the validator refuses it before it reaches history, and says why.
    expect(await sendDecision(handle, { statement: 'x'.repeat(20_000), signature: '' })).toMatchObject({
      counted: false,
      message: expect.stringMatching(/at most 16384/),
    });
    const result = await handle.result();
    expect(result.outcome).toBe('expired');
    expect((await env.currentTimeMs()) - started).toBeGreaterThanOrEqual(30 * MINUTE);
  });

  it('a run keeps the catalogue it decided with when a worker with another catalogue takes over mid-run', async () => {
    const trust = trustOf(Object.values(keys), [{ principal: 'approvals-web', vouchesFor: ['alice'] }]);
    const first = await startWorker(env, {
      catalogue,
      operator: { approverGroups: { sre: ['bob'] }, trust },
      policy: { limits: { maxConcurrent: 10, maxServices: 10 } },
      // No sticky queue: the time-skipping server would hold the next task on the stopped worker's
      // sticky queue until 5 s of its time pass, and its clock stands still while a task is pending,
      // so the takeover never happened (a real server moves the task to the shared queue after 5 s).
      tuning: { remediation: { maxCachedWorkflows: 0 } },
    });
    try {
      const inc = seedIncident(3);
      const { handle } = await submitIncident(env.client, { incident: inc, taskQueue: first.taskQueue });
      const waiting = await waitForPhase(handle, 'awaiting_approval');
      // The upgrade: the old worker goes, one whose catalogue says something else about this runbook comes.
      first.workers.remediation.shutdown();
      await waitForState(first.workers.remediation, 'STOPPED');
      const upgraded: CompiledCatalogue = {
        version: 'f'.repeat(64),
        runbooks: catalogue.runbooks.map((r) =>
          r.id === 'rollback-deployment' ? { ...r, version: 'e'.repeat(64), risk: 'LOW' as const, mode: 'auto' as const } : r,
        ),
      };
      const next = await buildRemediationWorker({ ...first.plan, catalogue: upgraded });
      const result = await next.runUntil(async () => {
        expect((await approve(handle, 'alice')).counted).toBe(true);
        return await handle.result();
      });
      expect(result).toMatchObject({ outcome: 'remediated', runbookVersion: waiting.runbookVersion, planHash: waiting.planHash });
      expect(result.runbookVersion).not.toBe('e'.repeat(64));
      expect(result.events.find((e) => e.type === 'SUBMITTED')?.data).toMatchObject({ catalogueVersion: catalogue.version });
    } finally {
      await first.stop();
    }
  });

  it('pre-checks run again after approval: a deployment gone meanwhile aborts without acting', async () => {
    const { handle } = await submit(seedIncident(3));
    await waitForPhase(handle, 'awaiting_approval');
    delete target.state.deployments.checkout;
    await approve(handle, 'alice');
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

  it('a new run records its history format, and each action request its stage, which the timeline reads', async () => {
    target.state.ignoreScale = true;
    const { handle } = await submit(seedIncident(2));
    expect((await handle.result()).outcome).toBe('rolled_back');
    const history = await handle.fetchHistory();
    expect(readRecord(history).input.formatVersion).toBe(HISTORY_FORMAT.current);
    const requests = (history.events ?? []).flatMap((e) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name === 'runAction'
        ? [decodeFirst(e.activityTaskScheduledEventAttributes.input)]
        : [],
    );
    expect(requests.map((r) => [Reflect.get(Object(r), 'step'), Reflect.get(Object(r), 'stage')])).toEqual([
      ['capture', 'action'],
      ['scale', 'action'],
      ['restore', 'rollback'],
    ]);
    const actions = buildTimeline(history)
      .entries.filter((e) => e.kind === 'action')
      .map((e) => e.summary.split(':')[0]);
    expect(actions).toEqual(['action capture', 'action scale', 'rollback action restore']);
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
    const critical = webhook.received.filter(
      (m) => m.notification.incidentId === result.incidentId && m.notification.kind === 'rollback_failed',
    );
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
      incident({
        id: `INJ-${++seq}`,
        root_cause: 'record_args',
        confidence: 0.9,
        service: 'api',
        context: { pod_name: `x; touch ${marker}`, namespace: 'production' },
      }),
    );
    expect(result.outcome).toBe('remediated');
    const calls = readFileSync(join(scratch, 'args.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(calls.at(-1)).toEqual([`x; touch ${marker}`, '-n', 'production']);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('step errors are step results', () => {
  it('a value that would be an option in argv, or a dot-segment in a URL, is refused before anything runs', async () => {
    const optionLike = await run(
      incident({
        id: `OPT-${++seq}`,
        root_cause: 'record_args',
        confidence: 0.9,
        service: `api-${seq}`,
        context: { pod_name: '--all', namespace: 'production' },
      }),
    );
    expect(optionLike.outcome).toBe('aborted');
    expect(optionLike.events.find((e) => e.type === 'CONTEXT_INVALID')?.message).toMatch(/--all.*starts with "-"/);
    const dots = await run(seedIncident(1, { context: { pod_name: '..', namespace: 'production' } }));
    expect(dots.outcome).toBe('aborted');
    expect(dots.events.find((e) => e.type === 'CONTEXT_INVALID')?.message).toContain('..');
    expect(target.requests).toHaveLength(0);
  });

  it('a run started around intake with an input past the limits ends blocked, naming the limit, and acts on nothing', async () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 40; i++) deep = { inner: deep };
    const inc = { ...seedIncident(1), context: { pod_name: 'api-server-abc123', namespace: 'production', deep } };
    const handle = await env.client.workflow.start('remediateIncident', {
      workflowId: `incident-${inc.id}`,
      taskQueue: worker.taskQueue,
      args: [{ incident: inc }],
    });
    const result: RemediationResult = await handle.result();
    expect(result).toMatchObject({ outcome: 'blocked', decision: { decision: 'blocked', event: 'INPUT_REFUSED' } });
    expect(result.decision.reason).toContain('nested deeper than 8 levels');
    expect(target.requests).toHaveLength(0);
  });

  it.each(['rollback_cannot_render', 'rollback_cannot_render_exec', 'rollback_cannot_render_kubernetes'])(
    '%s: a rollback that cannot be rendered fails as a rollback: ROLLBACK_FAILED, one critical alert, the workflow completes',
    async (rootCause) => {
      target.state.failing.add('PUT /deployments/worker/scale');
      const result = await run(
        incident({
          id: `RB-${++seq}`,
          root_cause: rootCause,
          confidence: 0.9,
          service: `worker-${seq}`,
          context: { deployment: 'worker', namespace: 'production', new_replicas: 5 },
        }),
      );
      expect(result.outcome).toBe('failed');
      expect(result.events.find((e) => e.type === 'ROLLBACK_FAILED')?.message).toMatch(
        /restore failed: cannot be rendered: .*steps\.scale\.previous/,
      );
      // The action was tried (once, plus its retries as the runbook allows), the rollback never reached the target.
      expect(target.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
      expect(
        webhook.received.filter((m) => m.notification.incidentId === result.incidentId && m.notification.kind === 'rollback_failed'),
      ).toHaveLength(1);
    },
  );

  it('when: skips a false check and a false action, and runs the true ones, at run time as the plan says', async () => {
    const result = await run(
      incident({
        id: `WHEN-${++seq}`,
        root_cause: 'guarded_steps',
        confidence: 0.9,
        service: `worker-${seq}`,
        context: { deployment: 'worker', new_replicas: 4 },
      }),
    );
    expect(result.outcome).toBe('remediated');
    expect(result.events.map((e) => e.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/pre-check deployment_exists: skipped: context\.new_replicas > 100 is false/),
        'never skipped: context.new_replicas > 100 is false',
      ]),
    );
    expect(target.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
    expect(target.requests.filter((r) => r.method === 'PUT').map((r) => r.body)).toEqual([{ replicas: 4 }]);
    expect(target.requests.filter((r) => r.method === 'GET')).toHaveLength(1); // only the check whose when held
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
    await reject(second.handle, 'alice', 'dedup test');
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
    await reject(handle, 'alice', 'done');
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
