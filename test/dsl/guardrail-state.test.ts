import { describe, expect, it } from 'vitest';
import { isWindowOpen, nextOpening, validateChangeWindow, type ChangeWindow } from '../../dsl/change-window';
import { acquire, advance, emptyState, leaseDuration, nextDeadline, release, type AcquireRequest, type GuardrailPolicy } from '../../dsl/guardrail-state';

const MIN = 60_000;
const policy: GuardrailPolicy = { limits: { maxConcurrent: 3, maxServices: 1 }, failureBudget: { maxFailures: 2, windowMs: 60 * MIN }, changeWindows: [] };
const breaker = { failureThreshold: 2, recoveryTimeoutMs: 5 * MIN };
const runbook = { id: 'rb', risk: 'LOW' as const, guardrails: { maxPerHour: 3, cooldownMs: 0, blastRadiusLimit: 1, circuitBreaker: breaker } };

let n = 0;
function request(service = 'api', extra: Partial<AcquireRequest> = {}): AcquireRequest {
  n += 1;
  return { incidentId: `i${n}`, workflowId: `w${n}`, incident: { id: `i${n}`, service, services: [service] }, runbook, humanApproved: false, leaseMs: 10 * MIN, ...extra };
}

describe('guardrail state', () => {
  it('is idempotent per incident: a retried acquire gets the same lease and records one execution', () => {
    const state = emptyState();
    const req = request();
    const first = acquire(state, policy, req, 1000);
    const again = acquire(state, policy, req, 2000);
    expect(first).toEqual(again);
    expect(state.executions['rb:api']).toEqual([1000]);
  });

  it('takes and frees blast-radius slots; a second service waits while one is under remediation', () => {
    const state = emptyState();
    const a = request('api');
    expect(acquire(state, policy, a, 0).granted).toBe(true);
    expect(acquire(state, policy, request('db'), 0)).toMatchObject({ granted: false, event: 'BLAST_LIMITED' });
    release(state, { incidentId: a.incidentId, result: 'success', breaker }, 1);
    expect(acquire(state, policy, request('db'), 2).granted).toBe(true);
  });

  it('opens the breaker at the threshold, half-opens on time, and a failed trial re-opens it', () => {
    const state = emptyState();
    for (let t = 0; t < 2; t++) {
      const r = request();
      acquire(state, policy, r, t);
      release(state, { incidentId: r.incidentId, result: 'failure', breaker }, t);
    }
    expect(state.breakers.rb).toMatchObject({ state: 'open', consecutiveFailures: 2, openedAtMs: 1 });
    expect(nextDeadline(state, policy, 2)).toBe(1 + 5 * MIN);
    advance(state, policy, 1 + 5 * MIN);
    expect(state.breakers.rb).toMatchObject({ state: 'half_open', trialInFlight: false });
    const trial = request();
    expect(acquire(state, policy, trial, 5 * MIN + 2)).toMatchObject({ granted: true, lease: { trial: true } });
    expect(acquire(state, policy, request(), 5 * MIN + 3)).toMatchObject({ granted: false, event: 'CIRCUIT_OPEN' });
    release(state, { incidentId: trial.incidentId, result: 'failure', breaker }, 5 * MIN + 4);
    expect(state.breakers.rb).toMatchObject({ state: 'open', openedAtMs: 5 * MIN + 4 });
  });

  it('a pre-check abort (no action) neither counts as a failure nor consumes the trial', () => {
    const state = emptyState();
    state.breakers.rb = { ...breaker, state: 'half_open', consecutiveFailures: 2, trialInFlight: false };
    const trial = request();
    acquire(state, policy, trial, 0);
    release(state, { incidentId: trial.incidentId, result: 'no_action', breaker }, 1);
    expect(state.breakers.rb).toMatchObject({ state: 'half_open', trialInFlight: false, consecutiveFailures: 2 });
  });

  it('stops automation for a service whose failures exceed the budget, across runbooks', () => {
    const state = emptyState();
    const big = { ...breaker, failureThreshold: 100 };
    for (let t = 0; t < 3; t++) {
      const r = request('api', { runbook: { ...runbook, id: `rb${t}`, guardrails: { ...runbook.guardrails, circuitBreaker: big } } });
      acquire(state, policy, r, t);
      release(state, { incidentId: r.incidentId, result: 'failure', breaker: big }, t);
    }
    expect(acquire(state, policy, request('api', { runbook: { ...runbook, id: 'other' } }), 10)).toMatchObject({ granted: false, event: 'FAILURE_BUDGET_EXHAUSTED' });
    advance(state, policy, 61 * MIN);
    expect(acquire(state, policy, request('api', { runbook: { ...runbook, id: 'other' } }), 61 * MIN).granted).toBe(true);
  });

  it('a freeze holds automation but not human-approved runs, and lifts at its end', () => {
    const state = emptyState();
    state.freeze = { by: 'carol', reason: 'release day', sinceMs: 0, untilMs: 30 * MIN };
    expect(acquire(state, policy, request(), 1)).toMatchObject({ granted: false, event: 'FROZEN' });
    expect(acquire(state, policy, request('api', { humanApproved: true }), 1).granted).toBe(true);
    advance(state, policy, 30 * MIN);
    expect(state.freeze).toBeUndefined();
  });

  it('expires the leases of remediations that never reported back', () => {
    const state = emptyState();
    const r = request();
    acquire(state, policy, r, 0);
    expect(advance(state, policy, 10 * MIN - 1)).toEqual([]);
    expect(advance(state, policy, 10 * MIN).map((l) => l.incidentId)).toEqual([r.incidentId]);
    expect(state.leases).toEqual({});
  });

  it('sizes a lease from the worst case of the runbook, at least five minutes', () => {
    const action = { kind: 'action' as const, id: 'a', description: '', run: { executor: 'exec' as const, argv: [], env: {}, okExitCodes: [0] }, timeoutMs: 10 * MIN, retries: 2, outputs: {} };
    expect(leaseDuration({ preChecks: [], actions: [action], postChecks: [], rollback: { kind: 'self_healing' } })).toBe(60 * MIN);
    expect(leaseDuration({ preChecks: [], actions: [], postChecks: [], rollback: { kind: 'self_healing' } })).toBe(5 * MIN);
  });
});

describe('change windows', () => {
  const offPeak: ChangeWindow = { name: 'off-peak', timeZone: 'Europe/Berlin', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '22:00', end: '06:00', appliesTo: { risks: ['MEDIUM'] }, outside: 'wait' };

  it('spans midnight in its own time zone', () => {
    // Tuesday 2026-11-24: 21:30 UTC is 22:30 in Berlin (open); 05:30 UTC is 06:30 (closed).
    expect(isWindowOpen(offPeak, Date.parse('2026-11-24T21:30:00Z'))).toBe(true);
    expect(isWindowOpen(offPeak, Date.parse('2026-11-24T04:30:00Z'))).toBe(true);
    expect(isWindowOpen(offPeak, Date.parse('2026-11-24T05:30:00Z'))).toBe(false);
    // Saturday night belongs to no listed day; Saturday early morning belongs to Friday's window.
    expect(isWindowOpen(offPeak, Date.parse('2026-11-28T22:30:00Z'))).toBe(false);
    expect(isWindowOpen(offPeak, Date.parse('2026-11-28T03:00:00Z'))).toBe(true);
  });

  it('finds the next opening to the minute', () => {
    expect(new Date(nextOpening(offPeak, Date.parse('2026-11-24T12:00:00Z'))!).toISOString()).toBe('2026-11-24T21:00:00.000Z');
    expect(new Date(nextOpening(offPeak, Date.parse('2026-11-28T12:00:00Z'))!).toISOString()).toBe('2026-11-30T21:00:00.000Z');
  });

  it('rejects bad times, zones and days with the field named', () => {
    expect(() => validateChangeWindow({ ...offPeak, start: '25:00' })).toThrow(/HH:MM/);
    expect(() => validateChangeWindow({ ...offPeak, timeZone: 'Mars/Olympus' })).toThrow(/time zone/);
    expect(() => validateChangeWindow({ ...offPeak, days: ['funday' as never] })).toThrow(/day/);
  });

  it('holds only the runbooks it applies to', () => {
    const state = emptyState();
    const windowed: GuardrailPolicy = { ...policy, changeWindows: [offPeak] };
    const noon = Date.parse('2026-11-24T12:00:00Z');
    expect(acquire(state, windowed, request(), noon).granted).toBe(true);
    const medium = request('api2', { runbook: { ...runbook, id: 'm', risk: 'MEDIUM' } });
    expect(acquire(emptyState(), windowed, medium, noon)).toMatchObject({ granted: false, event: 'OUTSIDE_CHANGE_WINDOW', outside: 'wait', opensAtMs: Date.parse('2026-11-24T21:00:00Z') });
  });
});
