import { describe, expect, it } from 'vitest';
import { isWindowOpen, nextOpening, validateChangeWindow, type ChangeWindow } from '../../dsl/change-window';
import { emptySnapshot } from '../../dsl/decide';
import { checkGuardrails } from '../../dsl/guardrails';
import { handleRequest, type CheckRequest, type Outgoing } from '../../dsl/guardrail-protocol';
import {
  acquire,
  advance,
  emptyState,
  leaseDuration,
  nextDeadline,
  release,
  resetBreaker,
  restoreState,
  snapshotOf,
  type AcquireRequest,
  type GuardrailPolicy,
  type GuardrailState,
} from '../../dsl/guardrail-state';
import { parseSnapshot } from '../../dsl/snapshot';

const MIN = 60_000;
const policy: GuardrailPolicy = {
  limits: { maxConcurrent: 3, maxServices: 1 },
  failureBudget: { maxFailures: 2, windowMs: 60 * MIN },
  changeWindows: [],
};
const breaker = { failureThreshold: 2, recoveryTimeoutMs: 5 * MIN };
const runbook = {
  id: 'rb',
  risk: 'LOW' as const,
  guardrails: { maxPerHour: 3, cooldownMs: 0, blastRadiusLimit: 1, circuitBreaker: breaker },
};

let n = 0;
function request(service = 'api', extra: Partial<AcquireRequest> = {}): AcquireRequest {
  n += 1;
  return {
    incidentId: `i${n}`,
    workflowId: `w${n}`,
    incident: { id: `i${n}`, service, services: [service] },
    runbook,
    humanApproved: false,
    leaseMs: 10 * MIN,
    ...extra,
  };
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
    expect(acquire(state, policy, request('api', { runbook: { ...runbook, id: 'other' } }), 10)).toMatchObject({
      granted: false,
      event: 'FAILURE_BUDGET_EXHAUSTED',
    });
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
    const action = {
      kind: 'action' as const,
      id: 'a',
      description: '',
      run: { executor: 'exec' as const, argv: [], env: {}, okExitCodes: [0] },
      timeoutMs: 10 * MIN,
      retries: 2,
      outputs: {},
    };
    expect(leaseDuration({ preChecks: [], actions: [action], postChecks: [], rollback: { kind: 'self_healing' } })).toBe(60 * MIN);
    expect(leaseDuration({ preChecks: [], actions: [], postChecks: [], rollback: { kind: 'self_healing' } })).toBe(5 * MIN);
  });
});

describe('change windows', () => {
  const offPeak: ChangeWindow = {
    name: 'off-peak',
    timeZone: 'Europe/Berlin',
    days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    start: '22:00',
    end: '06:00',
    appliesTo: { risks: ['MEDIUM'] },
    outside: 'wait',
  };

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
    expect(acquire(emptyState(), windowed, medium, noon)).toMatchObject({
      granted: false,
      event: 'OUTSIDE_CHANGE_WINDOW',
      outside: 'wait',
      opensAtMs: Date.parse('2026-11-24T21:00:00Z'),
    });
  });
});

/** Keys a plain object treats specially or inherits: incident ids, services and runbook ids may be any of them. */
const HOSTILE = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', 'valueOf'];

describe('hostile keys (incident ids, services, runbook ids from incident data)', () => {
  const tight: GuardrailPolicy = {
    limits: { maxConcurrent: 3, maxServices: 2 },
    failureBudget: { maxFailures: 1, windowMs: 60 * MIN },
    changeWindows: [],
  };
  const from = { workflowId: 'w', runId: '00000000-0000-4000-8000-000000000000' };

  /**
   * One story through reserve, renew, release, expiry, freeze, breaker and budget, with `name` as
   * incident id, service and runbook id at once. Returns every answer and the state along the way.
   */
  function story(name: string): unknown[] {
    const trace: unknown[] = [];
    let state: GuardrailState = emptyState();
    let seq = 0;
    const rb = (id: string) => ({
      id,
      risk: 'LOW' as const,
      guardrails: {
        maxPerHour: 3,
        cooldownMs: 0,
        blastRadiusLimit: 1,
        circuitBreaker: { failureThreshold: 2, recoveryTimeoutMs: 5 * MIN },
      },
    });
    const check = (incidentId: string, service: string, runbookId: string, extra: Partial<CheckRequest> = {}): CheckRequest => ({
      kind: 'check',
      requestId: `req-${++seq}`,
      from,
      incidentId,
      incident: { id: incidentId, service, services: [service] },
      runbook: rb(runbookId),
      humanApproved: false,
      reserve: true,
      leaseMs: 10 * MIN,
      ...extra,
    });
    const say = (out: Outgoing[]) => {
      const reply = out[0]?.reply;
      const said = reply?.kind === 'verdict' ? reply.verdict : reply;
      trace.push(said ?? 'silence');
      return said;
    };
    const leaseIdOf = (said: unknown) => (said as { lease?: { leaseId?: string } }).lease?.leaseId;

    state.freeze = { by: 'carol', reason: 'freeze', sinceMs: 0 };
    say(handleRequest(state, tight, check(name, name, name), 0).out);
    trace.push(acquire(state, tight, { ...check(name, name, name), workflowId: 'w' }, 0));
    delete state.freeze;

    const first = say(handleRequest(state, tight, check(name, name, name), 1).out);
    say(handleRequest(state, tight, check(name, 'elsewhere', 'rb'), 1).out); // a second lease for the same id
    trace.push(acquire(state, tight, { ...check(name, name, name), workflowId: 'w' }, 1)); // idempotent: the same lease back
    say(handleRequest(state, tight, check('other', 'zz-b', 'rb'), 2).out); // sorts after every name, so reasons list the same order
    say(handleRequest(state, tight, check('third', 'svc-c', 'rb'), 2).out); // max_services
    say(handleRequest(state, tight, check('fourth', 'zz-b', 'rb2'), 2).out);
    say(handleRequest(state, tight, check('fifth', 'zz-b', 'rb3'), 2).out); // max_concurrent
    say(
      handleRequest(
        state,
        tight,
        { kind: 'renew', requestId: 'renew-1', from, incidentId: name, leaseId: leaseIdOf(first)!, leaseMs: 20 * MIN },
        3,
      ).out,
    );
    trace.push(release(state, { incidentId: name, result: 'failure', leaseId: leaseIdOf(first) }, 4));
    trace.push(release(state, { incidentId: name, result: 'failure', leaseId: leaseIdOf(first) }, 4) ?? 'stale'); // a stale release frees nothing
    trace.push(
      release(state, { incidentId: 'other', result: 'success' }, 5),
      release(state, { incidentId: 'fourth', result: 'success' }, 5),
    );

    // JSON (continue-as-new) and back.
    state = restoreState(JSON.parse(JSON.stringify(state)) as GuardrailState);
    const second = say(handleRequest(state, tight, check(name, name, name), 6).out);
    trace.push(release(state, { incidentId: name, result: 'failure', leaseId: leaseIdOf(second) }, 7));
    say(handleRequest(state, tight, check('x1', name, name), 8).out); // breaker open
    say(handleRequest(state, tight, check('x2', name, 'rb'), 8).out); // failure budget of the service
    trace.push(resetBreaker(state, name), resetBreaker(state, name));

    // Abandoned tombstone keyed by a hostile request id; then a lease that expires.
    say(
      handleRequest(state, tight, { kind: 'release', requestId: 'rel', from, incidentId: 'gone', result: 'no_action', abandons: name }, 9)
        .out,
    );
    say(handleRequest(state, tight, check('late', 'svc-e', 'rb', { requestId: name }), 9).out);
    say(handleRequest(state, tight, check(name, 'svc-f', name), 10).out);
    trace.push(nextDeadline(state, tight, 10));
    trace.push(advance(state, tight, 61 * MIN).map((l) => l.incidentId));
    say(handleRequest(state, tight, check('after', name, name), 62 * MIN).out);
    trace.push(snapshotOf(state, tight, 62 * MIN), state, Object.keys(state.leases));
    return JSON.parse(JSON.stringify(trace)) as unknown[];
  }

  const kinds = (trace: unknown[]) =>
    trace.map((t) => (t && typeof t === 'object' && 'kind' in t ? `${String(t.kind)}${'event' in t ? `:${String(t.event)}` : ''}` : t));

  it('an ordinary name goes through the story as the rules say', () => {
    const lease = (incidentId: string) => expect.objectContaining({ incidentId });
    expect(kinds(story('plain'))).toEqual([
      'blocked:FROZEN',
      { granted: false, event: 'FROZEN', reason: expect.any(String) },
      'granted',
      'blocked:BLAST_LIMITED', // a second lease for the same incident
      { granted: true, lease: lease('plain') }, // a retried acquire: the same lease
      'granted',
      'blocked:BLAST_LIMITED', // max_services
      'granted',
      'blocked:BLAST_LIMITED', // max_concurrent
      'silence', // renewed
      lease('plain'),
      'stale',
      lease('other'),
      lease('fourth'),
      'granted', // after a JSON round trip
      lease('plain'),
      'blocked:CIRCUIT_OPEN',
      'blocked:FAILURE_BUDGET_EXHAUSTED',
      true,
      false,
      'silence', // tombstone for an abandoned request
      'silence', // which is then refused
      'granted',
      600_010,
      ['plain'],
      'granted',
      expect.objectContaining({ active: [expect.objectContaining({ incidentId: 'after', services: ['plain'] })] }),
      expect.objectContaining({ leases: { after: lease('after') } }),
      ['after'],
    ]);
  });

  it.each(HOSTILE)('%s as incident id, service and runbook id gets exactly the answers and state an ordinary name gets', (name) => {
    const protoKeys = Object.getOwnPropertyNames(Object.prototype);
    const ordinary = JSON.stringify(story('plain'));
    const hostile = JSON.stringify(story(name)).replaceAll(name, 'plain');
    expect(hostile).toBe(ordinary);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(protoKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(HOSTILE)('a freeze refuses incident %s, and the slot it then takes counts against the limits', (name) => {
    const state = emptyState();
    state.freeze = { by: 'carol', reason: 'release day', sinceMs: 0 };
    const req = { ...request(name), incidentId: name };
    expect(acquire(state, policy, req, 0)).toMatchObject({ granted: false, event: 'FROZEN' });
    expect(Object.keys(state.leases)).toEqual([]);
    delete state.freeze;
    const granted = acquire(state, policy, req, 1);
    expect(granted).toMatchObject({ granted: true, lease: { incidentId: name } });
    expect(Object.keys(state.leases)).toEqual([name]);
    expect(Object.getPrototypeOf(state.leases)).toBeNull();
    expect(snapshotOf(state, policy, 1).active).toHaveLength(1);
    expect(acquire(state, policy, request('db'), 1)).toMatchObject({ granted: false, event: 'BLAST_LIMITED' });
    expect(release(state, { incidentId: name, result: 'success' }, 2)).toMatchObject({ incidentId: name });
    expect(Object.keys(state.leases)).toEqual([]);
  });

  it.each(HOSTILE)('service %s is counted by the rate limit, the blast radius and the failure budget', (name) => {
    const state = emptyState();
    for (let t = 0; t < 3; t++) {
      const r = request(name);
      expect(acquire(state, policy, r, t).granted).toBe(true);
      release(state, { incidentId: r.incidentId, result: 'failure', breaker: { ...breaker, failureThreshold: 100 } }, t);
    }
    expect(Object.keys(state.serviceFailures)).toEqual([name]);
    expect(acquire(state, policy, request(name, { runbook: { ...runbook, id: 'other' } }), 10)).toMatchObject({
      granted: false,
      event: 'FAILURE_BUDGET_EXHAUSTED',
    });
    expect(acquire(state, policy, request(name), 10)).toMatchObject({ granted: false, event: 'RATE_LIMITED' });
    advance(state, policy, 61 * MIN);
    expect(Object.keys(state.serviceFailures)).toEqual([]);
    expect(acquire(state, policy, request(name), 61 * MIN).granted).toBe(true);
    expect(acquire(state, policy, request('db'), 61 * MIN)).toMatchObject({ granted: false, event: 'BLAST_LIMITED' });
  });

  it.each(HOSTILE)('runbook %s has its own breaker: it opens, half-opens and resets', (name) => {
    const state = emptyState();
    const rb = { ...runbook, id: name };
    for (let t = 0; t < 2; t++) {
      const r = request(`svc${t}`, { runbook: rb });
      acquire(state, policy, r, t);
      release(state, { incidentId: r.incidentId, result: 'failure', breaker }, t);
    }
    expect(Object.keys(state.breakers)).toEqual([name]);
    expect(acquire(state, policy, request('api', { runbook: rb }), 2)).toMatchObject({ granted: false, event: 'CIRCUIT_OPEN' });
    advance(state, policy, 1 + 5 * MIN);
    expect(acquire(state, policy, request('api', { runbook: rb }), 5 * MIN + 2)).toMatchObject({ granted: true, lease: { trial: true } });
    expect(resetBreaker(state, name)).toBe(true);
    expect(resetBreaker(state, name)).toBe(false);
  });

  it('restores decoded state with null-prototype records and the same JSON', () => {
    const state = emptyState();
    acquire(state, policy, { ...request('__proto__'), incidentId: '__proto__', runbook: { ...runbook, id: 'constructor' } }, 0);
    state.abandoned = { toString: 5 };
    const json = JSON.stringify(state);
    const restored = restoreState(JSON.parse(json) as GuardrailState);
    expect(JSON.stringify(restored)).toBe(json);
    for (const record of [
      restored.breakers,
      restored.executions,
      restored.cooldowns,
      restored.leases,
      restored.serviceFailures,
      restored.abandoned,
    ]) {
      expect(Object.getPrototypeOf(record)).toBeNull();
    }
    expect(Object.keys(restored.leases)).toEqual(['__proto__']);
    expect(JSON.stringify(restoreState(undefined))).toBe(JSON.stringify(emptyState()));
  });

  it('decides on a decoded snapshot without reading anything inherited', () => {
    const rb = (id: string) => ({ id, guardrails: { ...runbook.guardrails, maxPerHour: 1 } });
    const inc = (service: string) => ({ service, services: [service] });
    const decoded = JSON.parse(
      '{"nowMs":10,"breakers":{"__proto__":{"state":"open","consecutiveFailures":3,"openedAtMs":9}},"executions":{"constructor:toString":[5]},"active":[],"limits":{"maxConcurrent":3,"maxServices":1}}',
    );
    expect(checkGuardrails(rb('__proto__'), inc('api'), decoded)).toMatchObject({ event: 'CIRCUIT_OPEN' });
    expect(checkGuardrails(rb('constructor'), inc('toString'), decoded)).toMatchObject({ event: 'RATE_LIMITED' });
    for (const name of HOSTILE) expect(checkGuardrails(rb(name), inc(name), emptySnapshot(10))).toBeUndefined();
    const parsed = parseSnapshot(decoded, 0);
    if (!parsed.ok) throw new Error('expected a snapshot');
    expect(Object.getPrototypeOf(parsed.snapshot.breakers)).toBeNull();
    expect(checkGuardrails(rb('__proto__'), inc('api'), parsed.snapshot)).toMatchObject({ event: 'CIRCUIT_OPEN' });
  });
});
