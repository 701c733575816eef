import { describe, expect, it } from 'vitest';
import type { ChangeWindow } from '../../dsl/change-window';
import { decide, emptySnapshot } from '../../dsl/decide';
import { refusal, emptyState, snapshotOf, type GuardrailPolicy, type GuardrailState } from '../../dsl/guardrail-state';
import { checkGuardrails, GUARDRAIL_RULES, type GuardrailView, type RuleName } from '../../dsl/guardrails';
import { parseIncident } from '../../dsl/incident';
import { parseSnapshot } from '../../dsl/snapshot';
import type { Incident } from '../../dsl/types';
import { compileOk, SEED_RUNBOOKS } from './helpers';

const seed = compileOk(SEED_RUNBOOKS);
const restartPod = seed.runbooks.find((r) => r.id === 'restart-pod')!;
const MIN = 60_000;
// Tuesday 2026-11-24 12:00 UTC: outside an off-peak window.
const NOON = Date.parse('2026-11-24T12:00:00Z');

function incident(fields: Record<string, unknown> = {}): Incident {
  const parsed = parseIncident({ id: 'INC9', root_cause: 'CrashLoopBackOff', confidence: 0.95, service: 'api', context: {}, ...fields });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.incident;
}

const offPeak = (outside: ChangeWindow['outside']): ChangeWindow => ({
  name: 'off-peak',
  timeZone: 'Europe/Berlin',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '22:00',
  end: '06:00',
  appliesTo: { risks: ['LOW'] },
  outside,
});

const policy: GuardrailPolicy = {
  limits: { maxConcurrent: 3, maxServices: 1 },
  failureBudget: { maxFailures: 2, windowMs: 60 * MIN },
  changeWindows: [],
};

/** For each rule, a state that only it refuses, for restart-pod on `api`. */
const ONLY: Record<
  RuleName,
  { state: (s: GuardrailState) => void; policy?: Partial<GuardrailPolicy>; event: string; services?: string[] }
> = {
  freeze: { state: (s) => (s.freeze = { by: 'ops', reason: 'release day', sinceMs: NOON - MIN }), event: 'FROZEN' },
  circuit_breaker: {
    state: (s) =>
      (s.breakers['restart-pod'] = {
        state: 'open',
        consecutiveFailures: 3,
        openedAtMs: NOON - MIN,
        failureThreshold: 3,
        recoveryTimeoutMs: 5 * MIN,
      }),
    event: 'CIRCUIT_OPEN',
  },
  // Old enough for the cooldown (5m), all within the hour.
  rate_limit: {
    state: (s) => (s.executions['restart-pod:api'] = [NOON - 50 * MIN, NOON - 40 * MIN, NOON - 30 * MIN, NOON - 20 * MIN, NOON - 10 * MIN]),
    event: 'RATE_LIMITED',
  },
  cooldown: { state: (s) => (s.executions['restart-pod:api'] = [NOON - MIN]), event: 'RATE_LIMITED' },
  blast_radius: { state: () => undefined, services: ['api', 'db'], event: 'BLAST_LIMITED' },
  failure_budget: {
    state: (s) => (s.serviceFailures.api = [NOON - 3 * MIN, NOON - 2 * MIN, NOON - MIN]),
    event: 'FAILURE_BUDGET_EXHAUSTED',
  },
  change_window: { state: () => undefined, policy: { changeWindows: [offPeak('wait')] }, event: 'OUTSIDE_CHANGE_WINDOW' },
};

function scenario(name: RuleName) {
  const only = ONLY[name];
  const state = emptyState();
  only.state(state);
  const rules = { ...policy, ...only.policy };
  const inc = incident(only.services ? { services: only.services } : {});
  return { state, policy: rules, incident: inc, view: snapshotOf(state, rules, NOON), event: only.event };
}

describe('the guardrail rules: one ordered list', () => {
  it("is in the engine's decision order: freeze, the reference's breaker, rate limit and cooldown, blast radius, then budget and windows", () => {
    expect(GUARDRAIL_RULES.map((r) => r.name)).toEqual([
      'freeze',
      'circuit_breaker',
      'rate_limit',
      'cooldown',
      'blast_radius',
      'failure_budget',
      'change_window',
    ]);
  });

  it.each(GUARDRAIL_RULES.map((r) => r.name))(
    '%s refuses its case alone, and nothing refuses it once the rule is left out of the list',
    (name) => {
      const { incident: inc, view, event } = scenario(name);
      expect(checkGuardrails(restartPod, inc, view)).toMatchObject({ event });
      expect(checkGuardrails(restartPod, inc, view, { rules: GUARDRAIL_RULES.filter((r) => r.name !== name) })).toBeUndefined();
    },
  );

  it.each(GUARDRAIL_RULES.map((r) => r.name))(
    '%s: the coordinator (refusal on its state) and decide (on its snapshot) give the same answer',
    (name) => {
      const { state, policy: rules, incident: inc, view } = scenario(name);
      const granted = refusal(state, rules, { incident: inc, runbook: restartPod, humanApproved: false }, NOON);
      // Through JSON and parseSnapshot, as `remediate guardrails --snapshot` reaches `plan --state`.
      const parsed = parseSnapshot(JSON.parse(JSON.stringify(view)), 0);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
      const decided = decide(inc, seed, parsed.snapshot);
      expect(granted).toBeDefined();
      if (granted!.event === 'OUTSIDE_CHANGE_WINDOW') expect(decided.reason).toContain(granted!.reason);
      else expect(decided).toEqual({ decision: 'blocked', event: granted!.event, runbook: 'restart-pod', reason: granted!.reason });
    },
  );

  it('the first rule in order wins when several refuse', () => {
    const state = emptyState();
    ONLY.freeze.state(state);
    ONLY.cooldown.state(state);
    ONLY.failure_budget.state(state);
    expect(checkGuardrails(restartPod, incident(), snapshotOf(state, policy, NOON))).toMatchObject({ event: 'FROZEN' });
    delete state.freeze;
    expect(checkGuardrails(restartPod, incident(), snapshotOf(state, policy, NOON))).toMatchObject({ event: 'RATE_LIMITED' });
  });
});

describe('decide sees the freeze, failure budgets and change windows', () => {
  const view = (patch: Partial<GuardrailView>): GuardrailView => ({ ...emptySnapshot(NOON), ...patch });

  it('a freeze blocks automation, not a human-approved run, and lifts at its end', () => {
    const frozen = view({ freeze: { by: 'ops', reason: 'release day', sinceMs: NOON - MIN, untilMs: NOON + 60 * MIN } });
    expect(decide(incident(), seed, frozen)).toEqual({
      decision: 'blocked',
      event: 'FROZEN',
      runbook: 'restart-pod',
      reason: 'Automation frozen by ops until 2026-11-24T13:00:00.000Z: release day',
    });
    expect(decide(incident(), seed, frozen, { humanApproved: true }).decision).toBe('auto');
    expect(decide(incident(), seed, { ...frozen, nowMs: NOON + 60 * MIN }).decision).toBe('auto');
    // An approval-required runbook is held too: the coordinator's first check is not human-approved.
    expect(decide(incident({ root_cause: 'error_rate_spike_after_deploy' }), seed, frozen)).toMatchObject({
      decision: 'blocked',
      event: 'FROZEN',
    });
  });

  it('an exhausted failure budget blocks the service (default budget 5 per hour, or the one given)', () => {
    const failures = (n: number) => ({ api: Array.from({ length: n }, (_, i) => NOON - (i + 1) * MIN) });
    expect(decide(incident(), seed, view({ serviceFailures: failures(5) })).decision).toBe('auto');
    expect(decide(incident(), seed, view({ serviceFailures: failures(6) }))).toEqual({
      decision: 'blocked',
      event: 'FAILURE_BUDGET_EXHAUSTED',
      runbook: 'restart-pod',
      reason: '6 remediations failed for api in the last 60 min (budget 5); automation for api is stopped until a human looks',
    });
    expect(
      decide(incident(), seed, view({ serviceFailures: failures(2), failureBudget: { maxFailures: 1, windowMs: 60 * MIN } })).event,
    ).toBe('FAILURE_BUDGET_EXHAUSTED');
    expect(decide(incident({ service: 'db' }), seed, view({ serviceFailures: failures(6) })).decision).toBe('auto');
  });

  it('outside a change window an automatic run waits for it, or asks a human when the window says so', () => {
    const window =
      'restart-pod (LOW) may only run in change window off-peak (mon,tue,wed,thu,fri 22:00-06:00 Europe/Berlin); it opens at 2026-11-24T21:00:00.000Z';
    expect(decide(incident(), seed, view({ changeWindows: [offPeak('wait')] }))).toEqual({
      decision: 'auto',
      event: 'EXECUTING',
      runbook: 'restart-pod',
      reason: `${window}; waiting for it, then running restart-pod automatically`,
    });
    expect(decide(incident(), seed, view({ changeWindows: [offPeak('approval')] }))).toEqual({
      decision: 'approval_required',
      event: 'APPROVAL_REQUIRED',
      runbook: 'restart-pod',
      reason: `${window}; asking a human instead`,
    });
    // Inside the window (23:30 in Berlin), and for runbooks it does not apply to, nothing changes.
    expect(
      decide(incident(), seed, view({ nowMs: Date.parse('2026-11-24T22:30:00Z'), changeWindows: [offPeak('approval')] })).reason,
    ).toMatch(/guardrails clear/);
    expect(decide(incident(), seed, view({ changeWindows: [{ ...offPeak('approval'), appliesTo: { risks: ['HIGH'] } }] })).reason).toMatch(
      /guardrails clear/,
    );
  });
});
