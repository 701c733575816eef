import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  expire,
  handleRequest,
  parseGuardrailRequest,
  prioritise,
  serveWaiting,
  type CheckRequest,
  type GuardrailRequest,
  type Outgoing,
} from '../../dsl/guardrail-protocol';
import { emptyState, type GuardrailPolicy, type GuardrailState } from '../../dsl/guardrail-state';

const MIN = 60_000;
const policy: GuardrailPolicy = {
  limits: { maxConcurrent: 1, maxServices: 1 },
  failureBudget: { maxFailures: 5, windowMs: 60 * MIN },
  changeWindows: [],
};
const runbook = {
  id: 'rb',
  risk: 'LOW' as const,
  guardrails: { maxPerHour: 10, cooldownMs: 0, blastRadiusLimit: 1, circuitBreaker: { failureThreshold: 2, recoveryTimeoutMs: 5 * MIN } },
};

let n = 0;
function check(extra: Partial<CheckRequest> = {}): CheckRequest {
  n += 1;
  return {
    kind: 'check',
    requestId: `r${n}`,
    from: { workflowId: `w${n}`, runId: randomUUID() },
    incidentId: `i${n}`,
    incident: { id: `i${n}`, service: 'api', services: ['api'] },
    runbook,
    humanApproved: false,
    reserve: true,
    leaseMs: 10 * MIN,
    ...extra,
  };
}

function verdictOf(out: Outgoing[]) {
  expect(out).toHaveLength(1);
  const reply = out[0]!.reply;
  if (reply.kind !== 'verdict') throw new Error(`expected a verdict, got ${reply.kind}`);
  return reply.verdict;
}

function grant(state: GuardrailState, request: CheckRequest, now = 0) {
  const verdict = verdictOf(handleRequest(state, policy, request, now).out);
  if (verdict.kind !== 'granted') throw new Error(`expected a grant, got ${JSON.stringify(verdict)}`);
  return verdict.lease;
}

describe('guardrail protocol', () => {
  it('answers the requesting run, grants with a fencing token, and answers a retried request with the same lease', () => {
    const state = emptyState();
    const request = check();
    const { out } = handleRequest(state, policy, request, 0);
    expect(out[0]!.to).toEqual(request.from);
    const lease = grant(state, { ...request });
    expect(lease.leaseId).toMatch(/^i\d+#1$/);
    expect(state.executions['rb:api']).toEqual([0]);
  });

  it('an evaluation reserves nothing', () => {
    const state = emptyState();
    expect(verdictOf(handleRequest(state, policy, check({ reserve: false }), 0).out)).toEqual({ kind: 'clear' });
    expect(state.leases).toEqual({});
    expect(state.executions).toEqual({});
  });

  it('an evaluation before humans decide ignores what is under change now; the slot taken after approval does not', () => {
    const state = emptyState();
    grant(state, check());
    expect(
      verdictOf(handleRequest(state, policy, check({ reserve: false, incident: { id: 'x', service: 'db', services: ['db'] } }), 1).out),
    ).toEqual({ kind: 'clear' });
    expect(verdictOf(handleRequest(state, policy, check({ incident: { id: 'y', service: 'db', services: ['db'] } }), 2).out)).toMatchObject(
      { kind: 'blocked', event: 'BLAST_LIMITED' },
    );
  });

  it('puts returned slots first, then human-approved work, then evaluations, then new automatic work', () => {
    const auto = check();
    const approved = check({ humanApproved: true });
    const evaluation = check({ reserve: false });
    const release: GuardrailRequest = {
      kind: 'release',
      requestId: 'x',
      from: auto.from,
      incidentId: 'old',
      leaseId: 'old#1',
      result: 'success',
    };
    expect(prioritise([auto, evaluation, approved, release])).toEqual([release, approved, evaluation, auto]);
  });

  it('in one batch a human-approved request takes the last slot ahead of automatic ones that arrived first', () => {
    const state = emptyState();
    const batch = prioritise([check(), check(), check({ humanApproved: true })]);
    const verdicts = batch.map((request) => ({ request, verdict: verdictOf(handleRequest(state, policy, request, 0).out) }));
    expect(verdicts.find((v) => v.request.kind === 'check' && v.request.humanApproved)!.verdict.kind).toBe('granted');
    expect(verdicts.filter((v) => v.verdict.kind === 'blocked')).toHaveLength(2);
  });

  it('approved work short of capacity waits in line, goes ahead of automatic work, and gets the next slot', () => {
    const state = emptyState();
    const holder = check();
    const lease = grant(state, holder);
    const approved = check({ humanApproved: true });
    expect(verdictOf(handleRequest(state, policy, approved, 1).out)).toMatchObject({ kind: 'queued', position: 1 });
    expect(verdictOf(handleRequest(state, policy, check(), 2).out)).toMatchObject({
      kind: 'blocked',
      event: 'BLAST_LIMITED',
      reason: expect.stringContaining('human-approved'),
    });
    expect(serveWaiting(state, policy, 3).out).toEqual([]);

    handleRequest(
      state,
      policy,
      { kind: 'release', requestId: 'rel', from: holder.from, incidentId: holder.incidentId, leaseId: lease.leaseId, result: 'success' },
      4,
    );
    const served = serveWaiting(state, policy, 5);
    expect(served.out).toEqual([
      {
        to: approved.from,
        reply: { kind: 'verdict', requestId: approved.requestId, verdict: expect.objectContaining({ kind: 'granted' }) },
      },
    ]);
    expect(state.waiting).toBeUndefined();
    expect(Object.keys(state.leases)).toEqual([approved.incidentId]);
  });

  it('an approved incident that spans too many services is refused, not queued forever', () => {
    const state = emptyState();
    const wide = check({ humanApproved: true, incident: { id: 'wide', service: 'api', services: ['api', 'db'] } });
    expect(verdictOf(handleRequest(state, policy, wide, 0).out)).toMatchObject({ kind: 'blocked', event: 'BLAST_LIMITED' });
    expect(state.waiting).toBeUndefined();
  });

  it('a stale release (another lease id) never frees the lease that is held now', () => {
    const state = emptyState();
    const request = check();
    grant(state, request);
    handleRequest(
      state,
      policy,
      { kind: 'release', requestId: 'z', from: request.from, incidentId: request.incidentId, leaseId: 'someone-else#9', result: 'success' },
      1,
    );
    expect(Object.keys(state.leases)).toEqual([request.incidentId]);
  });

  it('an abandoned request: its grant is void, and a late arrival is refused', () => {
    const state = emptyState();
    const first = check();
    grant(state, first);
    handleRequest(
      state,
      policy,
      { kind: 'release', requestId: 'a1', from: first.from, incidentId: first.incidentId, abandons: first.requestId, result: 'no_action' },
      1,
    );
    expect(state.leases).toEqual({});

    const late = check();
    handleRequest(
      state,
      policy,
      { kind: 'release', requestId: 'a2', from: late.from, incidentId: late.incidentId, abandons: late.requestId, result: 'no_action' },
      2,
    );
    const arrived = handleRequest(state, policy, late, 3);
    expect(arrived.out).toEqual([]);
    expect(arrived.noted[0]).toMatchObject({ kind: 'refused' });
    expect(state.leases).toEqual({});
  });

  it('renewal extends a held lease; renewing a lost one tells the holder', () => {
    const state = emptyState();
    const request = check();
    const lease = grant(state, request);
    handleRequest(
      state,
      policy,
      { kind: 'renew', requestId: 'n1', from: request.from, incidentId: request.incidentId, leaseId: lease.leaseId!, leaseMs: 10 * MIN },
      5 * MIN,
    );
    expect(state.leases[request.incidentId]!.expiresAtMs).toBe(15 * MIN);
    const lost = handleRequest(
      state,
      policy,
      { kind: 'renew', requestId: 'n2', from: request.from, incidentId: request.incidentId, leaseId: 'gone#1', leaseMs: MIN },
      6 * MIN,
    );
    expect(lost.out[0]!.reply).toMatchObject({ kind: 'lease_lost', leaseId: 'gone#1' });
  });

  it('an expired lease is a failure for the breaker and the budget, and its holder is told', () => {
    const state = emptyState();
    const request = check();
    const lease = grant(state, request);
    const { out, noted } = expire(state, policy, lease.expiresAtMs);
    expect(out).toEqual([{ to: request.from, reply: expect.objectContaining({ kind: 'lease_lost', leaseId: lease.leaseId }) }]);
    expect(noted[0]).toMatchObject({ kind: 'lease_expired' });
    expect(state.breakers.rb).toMatchObject({ consecutiveFailures: 1, failureThreshold: 2 });
    expect(state.serviceFailures.api).toEqual([lease.expiresAtMs]);
  });

  it('refuses malformed requests with a reason instead of throwing', () => {
    for (const raw of [
      null,
      1,
      'x',
      [],
      {},
      { kind: 'check' },
      { ...check(), runbook: { id: 'rb' } },
      { ...check(), from: { workflowId: 'w' } },
      { ...check(), from: { workflowId: 'w', runId: 'run-1' } },
      { ...check(), kind: 'steal' },
    ]) {
      expect(parseGuardrailRequest(raw)).toMatchObject({ invalid: expect.any(String) });
    }
    const valid = check();
    expect(parseGuardrailRequest(JSON.parse(JSON.stringify(valid)))).toEqual(valid);
  });
});
