import { describe, expect, it } from 'vitest';
import { decide, emptySnapshot, matchRunbook } from '../../dsl/decide';
import { parseIncident } from '../../dsl/incident';
import type { GuardrailSnapshot, Incident } from '../../dsl/types';
import { compileOk, fileWith, SEED_RUNBOOKS, seedIncident, typedRunbook } from './helpers';

const seed = compileOk(SEED_RUNBOOKS);
const NOW = 1_700_000_000_000;
const MIN = 60_000;

function incident(fields: Record<string, unknown> = {}): Incident {
  const parsed = parseIncident({ id: 'INC9', root_cause: 'CrashLoopBackOff', confidence: 0.95, service: 'api', context: {}, ...fields });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.incident;
}
const snapshot = (patch: Partial<GuardrailSnapshot> = {}): GuardrailSnapshot => ({ ...emptySnapshot(NOW), ...patch });

describe('the reference exercise', () => {
  it.each([
    [1, 'auto', 'EXECUTING', 'restart-pod'],
    [2, 'auto', 'EXECUTING', 'scale-up'],
    [3, 'approval_required', 'APPROVAL_REQUIRED', 'rollback-deployment'],
    [4, 'manual', 'NO_RUNBOOK', null],
  ] as const)('INC00%i: %s', (n, decision, event, runbook) => {
    const parsed = parseIncident(seedIncident(n));
    if (!parsed.ok) throw new Error('bad fixture');
    expect(decide(parsed.incident, seed, emptySnapshot(NOW))).toMatchObject({ decision, event, runbook });
  });
});

describe('matching', () => {
  const catalogue = compileOk(
    fileWith({
      // First in the file, but only a symptom match: must lose to a root-cause match.
      a_symptom: typedRunbook({ root_causes: undefined, symptoms: ['OOMKilled', 'Unhealthy'] }),
      b_root: typedRunbook({ root_causes: ['OOMKilled'] }),
      c_high: typedRunbook({ root_causes: ['disk'], precedence: 5 }),
      d_low: typedRunbook({ root_causes: ['disk'] }),
      e_other: typedRunbook({ root_causes: undefined, symptoms: ['Slow', 'Hot'] }),
    }),
  );

  it('prefers a root-cause match over a symptom match anywhere in the catalogue', () => {
    expect(matchRunbook(incident({ root_cause: 'OOMKilled', symptoms: ['OOMKilled'] }), catalogue.runbooks)).toMatchObject({
      kind: 'matched',
      by: 'root_cause',
      runbook: { id: 'b_root' },
    });
  });

  it('prefers the higher precedence, never file order', () => {
    expect(decide(incident({ root_cause: 'disk' }), catalogue, snapshot()).runbook).toBe('c_high');
  });

  it('matches symptoms when no root cause matches, preferring the runbook matching more of them', () => {
    expect(decide(incident({ root_cause: 'unknown', symptoms: ['OOMKilled', 'Unhealthy'] }), catalogue, snapshot()).runbook).toBe(
      'a_symptom',
    );
  });

  it('hands a tie between symptom matches to a human', () => {
    expect(decide(incident({ root_cause: 'unknown', symptoms: ['Unhealthy', 'Slow'] }), catalogue, snapshot())).toEqual({
      decision: 'manual',
      event: 'NO_RUNBOOK',
      runbook: null,
      reason: 'The symptoms match runbooks a_symptom and e_other equally well (same precedence); a human must choose',
    });
  });

  it('says what did not match', () => {
    expect(decide(incident({ root_cause: 'mystery', symptoms: ['Odd'] }), catalogue, snapshot()).reason).toBe(
      'No runbook matches root cause "mystery" or symptoms Odd; manual intervention required',
    );
  });
});

describe('confidence', () => {
  it('is too low strictly below the minimum; equal passes', () => {
    expect(decide(incident({ confidence: 0.79 }), seed, snapshot())).toEqual({
      decision: 'manual',
      event: 'LOW_CONFIDENCE',
      runbook: 'restart-pod',
      reason: "Confidence 0.79 is below restart-pod's minimum 0.8; a human should confirm the cause",
    });
    expect(decide(incident({ confidence: 0.8 }), seed, snapshot()).decision).toBe('auto');
  });
});

describe('circuit breaker', () => {
  it('blocks while open and the recovery timeout has not passed', () => {
    const state = snapshot({ breakers: { 'restart-pod': { state: 'open', consecutiveFailures: 3, openedAtMs: NOW - 100_000 } } });
    expect(decide(incident(), seed, state)).toEqual({
      decision: 'blocked',
      event: 'CIRCUIT_OPEN',
      runbook: 'restart-pod',
      reason: 'Circuit open for restart-pod after 3 consecutive failures; a trial run is allowed in 200s',
    });
  });

  it('allows a trial once the recovery timeout has passed', () => {
    const state = snapshot({ breakers: { 'restart-pod': { state: 'open', consecutiveFailures: 3, openedAtMs: NOW - 300_000 } } });
    expect(decide(incident(), seed, state).decision).toBe('auto');
  });

  it('blocks a second trial while one is in flight (half-open)', () => {
    const inFlight = snapshot({ breakers: { 'restart-pod': { state: 'half_open', consecutiveFailures: 3, trialInFlight: true } } });
    expect(decide(incident(), seed, inFlight)).toMatchObject({ decision: 'blocked', event: 'CIRCUIT_OPEN' });
    const idle = snapshot({ breakers: { 'restart-pod': { state: 'half_open', consecutiveFailures: 3 } } });
    expect(decide(incident(), seed, idle).decision).toBe('auto');
  });

  it('only looks at the matched runbook', () => {
    const state = snapshot({ breakers: { 'scale-up': { state: 'open', consecutiveFailures: 3, openedAtMs: NOW } } });
    expect(decide(incident(), seed, state).decision).toBe('auto');
  });
});

describe('rate limit and cooldown', () => {
  it('blocks at max_per_hour runs of this runbook on this service in the rolling hour', () => {
    const runs = [NOW - 50 * MIN, NOW - 40 * MIN, NOW - 30 * MIN, NOW - 20 * MIN, NOW - 10 * MIN];
    expect(decide(incident(), seed, snapshot({ executions: { 'restart-pod:api': runs } }))).toEqual({
      decision: 'blocked',
      event: 'RATE_LIMITED',
      runbook: 'restart-pod',
      reason: 'Rate limit reached for restart-pod on api: 5 runs in the last hour (max 5/hour)',
    });
  });

  it('forgets runs older than an hour, and counts per service', () => {
    const old = [NOW - 61 * MIN, NOW - 62 * MIN, NOW - 63 * MIN, NOW - 64 * MIN, NOW - 65 * MIN];
    expect(decide(incident(), seed, snapshot({ executions: { 'restart-pod:api': old } })).decision).toBe('auto');
    expect(decide(incident(), seed, snapshot({ executions: { 'restart-pod:other': [NOW] } })).decision).toBe('auto');
  });

  it('blocks during the cooldown after the last run, saying how long remains', () => {
    expect(decide(incident(), seed, snapshot({ executions: { 'restart-pod:api': [NOW - 2 * MIN] } }))).toEqual({
      decision: 'blocked',
      event: 'RATE_LIMITED',
      runbook: 'restart-pod',
      reason: 'Cooldown active for restart-pod on api: 180s remaining (cooldown 5m)',
    });
    expect(decide(incident(), seed, snapshot({ executions: { 'restart-pod:api': [NOW - 5 * MIN] } })).decision).toBe('auto');
  });
});

describe('blast radius', () => {
  const active = (n: number, service = 'api') =>
    Array.from({ length: n }, (_, i) => ({ incidentId: `X${i}`, runbook: 'restart-pod', services: [service] }));

  it('blocks when the maximum number of remediations is already active', () => {
    expect(decide(incident(), seed, snapshot({ active: active(3) }))).toEqual({
      decision: 'blocked',
      event: 'BLAST_LIMITED',
      runbook: 'restart-pod',
      reason: '3 remediations already active (max 3 at once)',
    });
  });

  it('blocks a new service when the maximum number of services is affected, but not one already affected', () => {
    expect(decide(incident(), seed, snapshot({ active: active(1, 'db') }))).toMatchObject({
      decision: 'blocked',
      event: 'BLAST_LIMITED',
      reason: 'db already under remediation (max 1 service at once)',
    });
    expect(decide(incident(), seed, snapshot({ active: active(1, 'api') })).decision).toBe('auto');
    expect(
      decide(incident(), seed, { ...snapshot({ active: active(1, 'db') }), limits: { maxConcurrent: 3, maxServices: 2 } }).decision,
    ).toBe('auto');
  });

  it("blocks an incident spanning more services than the runbook's blast_radius_limit", () => {
    expect(decide(incident({ service: undefined, services: ['api', 'db'] }), seed, snapshot())).toMatchObject({
      decision: 'blocked',
      event: 'BLAST_LIMITED',
      reason: 'The incident spans 2 services (api, db); restart-pod may affect at most 1',
    });
  });
});

describe('max_services counts every service an incident would change', () => {
  const wide = compileOk(fileWith({ wide: typedRunbook({ root_causes: ['wide'], blast_radius_limit: 3 }) }));
  const three = incident({
    root_cause: 'wide',
    service: undefined,
    services: ['api', 'db', 'cache'],
    context: { pod_name: 'p', namespace: 'n' },
  });

  it('refuses a three-service incident under max_services 1 even with nothing else under change', () => {
    expect(decide(three, wide, snapshot())).toMatchObject({
      decision: 'blocked',
      event: 'BLAST_LIMITED',
      reason: 'the incident would put 3 services under change (api, db, cache; max 1 service at once)',
    });
  });

  it('allows it when the fleet limit covers all three, and counts services already under change', () => {
    expect(decide(three, wide, snapshot({ limits: { maxConcurrent: 3, maxServices: 3 } }))).toMatchObject({ decision: 'auto' });
    const busy = snapshot({
      limits: { maxConcurrent: 3, maxServices: 3 },
      active: [{ incidentId: 'x', runbook: 'wide', services: ['other'] }],
    });
    expect(decide(three, wide, busy)).toMatchObject({
      decision: 'blocked',
      reason: 'other already under remediation (max 3 services at once)',
    });
  });
});

describe('risk and mode', () => {
  const catalogue = compileOk(
    fileWith({
      auto_low: typedRunbook({ root_causes: ['low'] }),
      needs_ok: typedRunbook({ root_causes: ['approval'], mode: 'approval', approval: { approvers: ['alice', 'bob'], quorum: 2 } }),
      suggest_high: typedRunbook({ root_causes: ['suggest'], risk: 'HIGH', mode: 'suggest' }),
    }),
  );

  it('asks for approval in approval mode, saying from whom', () => {
    expect(decide(incident({ root_cause: 'approval' }), catalogue, snapshot())).toEqual({
      decision: 'approval_required',
      event: 'APPROVAL_REQUIRED',
      runbook: 'needs_ok',
      reason: 'needs_ok is in approval mode: needs_ok needs 2 approvals from alice, bob before it runs',
    });
  });

  it('only suggests in suggest mode, even for a HIGH risk runbook', () => {
    expect(decide(incident({ root_cause: 'suggest' }), catalogue, snapshot())).toEqual({
      decision: 'manual',
      event: 'SUGGESTED',
      runbook: 'suggest_high',
      reason: 'suggest_high is in suggest mode: the fix is proposed for a human to run',
    });
  });

  it('runs LOW risk in auto mode, saying why', () => {
    expect(decide(incident({ root_cause: 'low' }), catalogue, snapshot())).toEqual({
      decision: 'auto',
      event: 'EXECUTING',
      runbook: 'auto_low',
      reason: 'LOW risk, confidence 0.95 >= 0.8, guardrails clear: running auto_low automatically',
    });
  });

  it('checks guardrails before risk: a blocked HIGH runbook is blocked, not sent for approval', () => {
    const parsed = parseIncident(seedIncident(3));
    if (!parsed.ok) throw new Error('bad fixture');
    const state = snapshot({ executions: { 'rollback-deployment:checkout': [NOW - MIN] } });
    expect(decide(parsed.incident, seed, state)).toMatchObject({ decision: 'blocked', event: 'RATE_LIMITED' });
  });
});

describe('emptySnapshot', () => {
  it("uses the reference exercise's blast radius defaults unless told otherwise", () => {
    expect(emptySnapshot(5)).toEqual({ nowMs: 5, breakers: {}, executions: {}, active: [], limits: { maxConcurrent: 3, maxServices: 1 } });
    expect(emptySnapshot(5, { maxServices: 4 }).limits).toEqual({ maxConcurrent: 3, maxServices: 4 });
  });
});
