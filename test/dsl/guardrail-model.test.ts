/**
 * Model-based test of the guardrail coordinator's pure core: random sequences of checks and
 * reservations, releases, renewals, time passing (lease expiry, breaker recovery), freezes, breaker
 * resets and hand-overs (JSON round trip, as continue-as-new carries the state), with incident ids,
 * services and runbook ids drawn from names a plain object treats specially. Each step is applied
 * the way the coordinator applies it (expire, then the request) and to a small reference model of
 * the rules; every verdict must be the model's, and the limits must hold after every step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expire, handleRequest, serveWaiting, type CheckRequest, type Outgoing } from '../../dsl/guardrail-protocol';
import { acquire, emptyState, resetBreaker, restoreState, type GuardrailPolicy, type GuardrailState } from '../../dsl/guardrail-state';

const MIN = 60_000;
const HOUR = 60 * MIN;
const HOSTILE = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', 'valueOf'];
const INCIDENTS = [...HOSTILE, 'inc-a', 'inc-b'];
const SERVICES = [...HOSTILE, 'api', 'db'];
/** Every runbook may touch one service: an incident spanning two is always refused (see the report on max_services). */
const RUNBOOKS = [
  { id: '__proto__', maxPerHour: 2, cooldownMs: 0, failureThreshold: 1, recoveryTimeoutMs: 5 * MIN },
  { id: 'constructor', maxPerHour: 3, cooldownMs: 10 * MIN, failureThreshold: 2, recoveryTimeoutMs: 5 * MIN },
  { id: 'toString', maxPerHour: 10, cooldownMs: 0, failureThreshold: 3, recoveryTimeoutMs: 10 * MIN },
  { id: 'rb-plain', maxPerHour: 5, cooldownMs: 5 * MIN, failureThreshold: 2, recoveryTimeoutMs: 5 * MIN },
].map((r) => ({
  id: r.id,
  risk: 'LOW' as const,
  guardrails: {
    maxPerHour: r.maxPerHour,
    cooldownMs: r.cooldownMs,
    blastRadiusLimit: 1,
    circuitBreaker: { failureThreshold: r.failureThreshold, recoveryTimeoutMs: r.recoveryTimeoutMs },
  },
}));
type Runbook = (typeof RUNBOOKS)[number];
const FROM = { workflowId: 'w', runId: '00000000-0000-4000-8000-000000000000' };
const DEFAULT_BREAKER = { failureThreshold: 3, recoveryTimeoutMs: 300_000 };

type Cmd = { dt: number } & (
  | { kind: 'check'; incident: number; service: number; extra: number | null; runbook: number; reserve: boolean }
  | { kind: 'approved'; incident: number; service: number; runbook: number }
  /** `incident` picks among the slots held when there are any, so most releases and renewals name a live one. */
  | { kind: 'release'; incident: number; result: 'success' | 'failure' | 'no_action'; stale: boolean }
  | { kind: 'renew'; incident: number; leaseMs: number; stale: boolean }
  | { kind: 'freeze' }
  | { kind: 'unfreeze' }
  | { kind: 'reset'; runbook: number }
  | { kind: 'handover' }
);

// ---- The reference model: the rules as read from dsl/decide.ts and dsl/guardrail-state.ts. ----

interface MLease {
  services: string[];
  runbook: string;
  expiresAtMs: number;
  trial: boolean;
  leaseId?: string;
  breaker?: { failureThreshold: number; recoveryTimeoutMs: number };
}
interface MBreaker {
  state: 'closed' | 'open' | 'half_open';
  failures: number;
  openedAtMs?: number;
  trialInFlight: boolean;
  settings: { failureThreshold: number; recoveryTimeoutMs: number };
}

class Model {
  leases = new Map<string, MLease>();
  breakers = new Map<string, MBreaker>();
  executions = new Map<string, number[]>();
  failures = new Map<string, number[]>();
  frozen = false;
  seq = 0;
  constructor(readonly policy: GuardrailPolicy) {}

  advance(now: number): void {
    for (const [id, lease] of [...this.leases]) if (lease.expiresAtMs <= now) this.release(id, 'failure', now);
    for (const b of this.breakers.values()) {
      if (b.state === 'open' && b.openedAtMs !== undefined && now - b.openedAtMs >= b.settings.recoveryTimeoutMs)
        Object.assign(b, { state: 'half_open', trialInFlight: false });
    }
  }

  /** Which rule refuses, in the code's order; undefined when clear. */
  refusal(rb: Runbook, service: string, services: string[], now: number, human: boolean, capacity: boolean): string | undefined {
    if (this.frozen && !human) return 'FROZEN';
    const b = this.breakers.get(rb.id);
    if (b?.state === 'open' && (b.openedAtMs === undefined || now - b.openedAtMs < rb.guardrails.circuitBreaker.recoveryTimeoutMs))
      return 'CIRCUIT_OPEN';
    if (b?.state === 'half_open' && b.trialInFlight) return 'CIRCUIT_OPEN';
    const runs = this.executions.get(`${rb.id}:${service}`) ?? [];
    if (runs.filter((t) => t > now - HOUR).length >= rb.guardrails.maxPerHour) return 'RATE_LIMITED';
    if (runs.length > 0 && Math.max(...runs) + rb.guardrails.cooldownMs > now) return 'RATE_LIMITED';
    const active = [...this.leases.values()];
    const affected = new Set(active.flatMap((l) => l.services));
    if (capacity && active.length >= this.policy.limits.maxConcurrent) return 'BLAST_LIMITED';
    if (capacity && !affected.has(service) && affected.size >= this.policy.limits.maxServices) return 'BLAST_LIMITED';
    if (services.length > rb.guardrails.blastRadiusLimit) return 'BLAST_LIMITED';
    const recent = (this.failures.get(service) ?? []).filter((t) => t > now - this.policy.failureBudget.windowMs);
    if (recent.length > this.policy.failureBudget.maxFailures) return 'FAILURE_BUDGET_EXHAUSTED';
    return undefined;
  }

  reserve(id: string, rb: Runbook, service: string, services: string[], now: number, leaseMs: number, fenced: boolean): MLease {
    const b = this.breakers.get(rb.id);
    const trial = b !== undefined && b.state !== 'closed';
    if (b && trial) Object.assign(b, { state: 'half_open', trialInFlight: true });
    const key = `${rb.id}:${service}`;
    this.executions.set(key, [...(this.executions.get(key) ?? []), now]);
    const lease: MLease = { services, runbook: rb.id, expiresAtMs: now + leaseMs, trial };
    if (fenced) Object.assign(lease, { leaseId: `${id}#${++this.seq}`, breaker: rb.guardrails.circuitBreaker });
    this.leases.set(id, lease);
    return lease;
  }

  release(id: string, result: 'success' | 'failure' | 'no_action', now: number): void {
    const lease = this.leases.get(id)!;
    this.leases.delete(id);
    const b = this.breakers.get(lease.runbook);
    const settings = lease.breaker ?? b?.settings ?? DEFAULT_BREAKER;
    if (result === 'no_action') {
      if (b && lease.trial) b.trialInFlight = false;
      return;
    }
    if (result === 'success') {
      this.breakers.set(lease.runbook, { state: 'closed', failures: 0, trialInFlight: false, settings });
      return;
    }
    for (const s of lease.services) this.failures.set(s, [...(this.failures.get(s) ?? []), now]);
    const failures = (b?.failures ?? 0) + 1;
    const opens = lease.trial || failures >= settings.failureThreshold;
    this.breakers.set(
      lease.runbook,
      opens
        ? { state: 'open', failures, openedAtMs: now, trialInFlight: false, settings }
        : { state: 'closed', failures, trialInFlight: false, settings },
    );
  }
}

// ---- The commands. ----

const dt = fc.constantFrom(0, 0, 0, 1_000, MIN, 5 * MIN, 11 * MIN, 61 * MIN);
const index = (n: number) => fc.nat({ max: n - 1 });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      dt,
      kind: fc.constant('check' as const),
      incident: index(INCIDENTS.length),
      service: index(SERVICES.length),
      extra: fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: index(SERVICES.length) }),
      runbook: index(RUNBOOKS.length),
      reserve: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      dt,
      kind: fc.constant('approved' as const),
      incident: index(INCIDENTS.length),
      service: index(SERVICES.length),
      runbook: index(RUNBOOKS.length),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      dt,
      kind: fc.constant('release' as const),
      incident: fc.nat(),
      result: fc.constantFrom('success' as const, 'failure' as const, 'no_action' as const),
      stale: fc.constantFrom(false, false, false, true),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      dt,
      kind: fc.constant('renew' as const),
      incident: fc.nat(),
      leaseMs: fc.constantFrom(5 * MIN, 30 * MIN),
      stale: fc.constantFrom(false, false, false, true),
    }),
  },
  { weight: 1, arbitrary: fc.record({ dt, kind: fc.constant('freeze' as const) }) },
  { weight: 1, arbitrary: fc.record({ dt, kind: fc.constant('unfreeze' as const) }) },
  { weight: 1, arbitrary: fc.record({ dt, kind: fc.constant('reset' as const), runbook: index(RUNBOOKS.length) }) },
  { weight: 1, arbitrary: fc.record({ dt, kind: fc.constant('handover' as const) }) },
);
const policyArb: fc.Arbitrary<GuardrailPolicy> = fc.record({
  limits: fc.record({ maxConcurrent: fc.integer({ min: 1, max: 3 }), maxServices: fc.integer({ min: 1, max: 2 }) }),
  failureBudget: fc.record({ maxFailures: fc.integer({ min: 0, max: 3 }), windowMs: fc.constant(HOUR) }),
  changeWindows: fc.constant([]),
});

function verdictOf(out: Outgoing[]): { kind: string; event?: string; lease?: { leaseId?: string } } {
  const reply = out[0]?.reply;
  if (out.length !== 1 || reply?.kind !== 'verdict') throw new Error(`expected one verdict, got ${JSON.stringify(out)}`);
  return reply.verdict;
}

function pick(model: Model, n: number): string {
  const held = [...model.leases.keys()];
  return held.length > 0 ? held[n % held.length]! : INCIDENTS[n % INCIDENTS.length]!;
}

/** Runs one sequence against the code and the model; throws on the first difference or broken limit. */
function run(policy: GuardrailPolicy, cmds: Cmd[]): void {
  const protoKeys = Object.getOwnPropertyNames(Object.prototype).join();
  const model = new Model(policy);
  let state: GuardrailState = emptyState();
  let now = 1_000_000;
  let requests = 0;
  for (const [step, c] of cmds.entries()) {
    const at = `step ${step} ${JSON.stringify(c)}`;
    now += c.dt;
    // As the coordinator's loop: time's effects first, then the request, then the line (empty here: no approved check waits).
    expire(state, policy, now);
    serveWaiting(state, policy, now);
    model.advance(now);
    let granted = false;
    switch (c.kind) {
      case 'check': {
        const id = INCIDENTS[c.incident]!;
        const rb = RUNBOOKS[c.runbook]!;
        const service = SERVICES[c.service]!;
        const services = c.extra === null || c.extra === c.service ? [service] : [service, SERVICES[c.extra]!];
        const request: CheckRequest = {
          kind: 'check',
          requestId: `r${++requests}`,
          from: FROM,
          incidentId: id,
          incident: { id, service, services },
          runbook: rb,
          humanApproved: false,
          reserve: c.reserve,
          leaseMs: 10 * MIN,
        };
        const verdict = verdictOf(handleRequest(state, policy, request, now).out);
        const refused = model.leases.has(id) ? 'BLAST_LIMITED' : model.refusal(rb, service, services, now, false, c.reserve);
        const expected = refused ? `blocked:${refused}` : c.reserve ? 'granted' : 'clear';
        expect(`${verdict.kind}${verdict.event ? `:${verdict.event}` : ''}`, at).toBe(expected);
        if (expected === 'granted')
          expect(verdict.lease?.leaseId, at).toBe(model.reserve(id, rb, service, services, now, 10 * MIN, true).leaseId);
        granted = verdict.kind === 'granted';
        break;
      }
      case 'approved': {
        const id = INCIDENTS[c.incident]!;
        const rb = RUNBOOKS[c.runbook]!;
        const service = SERVICES[c.service]!;
        const verdict = acquire(
          state,
          policy,
          {
            incidentId: id,
            workflowId: 'w',
            incident: { id, service, services: [service] },
            runbook: rb,
            humanApproved: true,
            leaseMs: 10 * MIN,
          },
          now,
        );
        const held = model.leases.has(id);
        const refused = held ? undefined : model.refusal(rb, service, [service], now, true, true);
        expect(verdict.granted ? 'granted' : verdict.event, at).toBe(refused ?? 'granted');
        if (!held && !refused) model.reserve(id, rb, service, [service], now, 10 * MIN, false);
        break;
      }
      case 'release': {
        const id = pick(model, c.incident);
        const lease = model.leases.get(id);
        const leaseId = c.stale || !lease ? `${id}#0` : lease.leaseId;
        handleRequest(
          state,
          policy,
          { kind: 'release', requestId: `r${++requests}`, from: FROM, incidentId: id, leaseId, result: c.result },
          now,
        );
        if (lease && (leaseId === undefined || leaseId === lease.leaseId)) model.release(id, c.result, now);
        serveWaiting(state, policy, now);
        break;
      }
      case 'renew': {
        const id = pick(model, c.incident);
        const lease = model.leases.get(id);
        const leaseId = c.stale || !lease?.leaseId ? `${id}#0` : lease.leaseId;
        const { out } = handleRequest(
          state,
          policy,
          { kind: 'renew', requestId: `r${++requests}`, from: FROM, incidentId: id, leaseId, leaseMs: c.leaseMs },
          now,
        );
        const renewed = lease !== undefined && lease.leaseId === leaseId;
        expect(
          out.map((o) => o.reply.kind),
          at,
        ).toEqual(renewed ? [] : ['lease_lost']);
        if (renewed) lease.expiresAtMs = Math.max(lease.expiresAtMs, now + c.leaseMs);
        break;
      }
      case 'freeze':
        state.freeze = { by: 'carol', reason: 'model', sinceMs: now };
        model.frozen = true;
        break;
      case 'unfreeze':
        delete state.freeze;
        model.frozen = false;
        break;
      case 'reset': {
        const id = RUNBOOKS[c.runbook]!.id;
        expect(resetBreaker(state, id), at).toBe(model.breakers.delete(id));
        break;
      }
      case 'handover':
        state = restoreState(JSON.parse(JSON.stringify(state)) as GuardrailState);
        break;
    }

    // The limits, on the code's own state.
    const leases = Object.values(state.leases);
    expect(leases.length, at).toBeLessThanOrEqual(policy.limits.maxConcurrent);
    expect(new Set(leases.flatMap((l) => l.services)).size, at).toBeLessThanOrEqual(policy.limits.maxServices);
    if (granted) expect(state.freeze, `${at}: granted while frozen`).toBeUndefined();
    // The same slots and breakers as the model, and nothing leaked into a prototype.
    expect(Object.keys(state.leases), at).toEqual([...model.leases.keys()]);
    expect(Object.fromEntries(Object.entries(state.breakers).map(([id, b]) => [id, `${b.state}/${b.consecutiveFailures}`])), at).toEqual(
      Object.fromEntries([...model.breakers].map(([id, b]) => [id, `${b.state}/${b.failures}`])),
    );
    for (const record of [state.leases, state.breakers, state.executions, state.cooldowns, state.serviceFailures])
      expect(Object.getPrototypeOf(record), at).toBeNull();
    expect(Object.getOwnPropertyNames(Object.prototype).join(), at).toBe(protoKeys);
  }
}

describe('guardrail rules against a reference model, with hostile names', () => {
  it("every verdict is the model's, and max_concurrent, max_services and freezes hold after every step", () => {
    fc.assert(
      fc.property(policyArb, fc.array(cmd, { minLength: 1, maxLength: 80, size: 'max' }), (policy, cmds) => run(policy, cmds)),
      { numRuns: 1_500 },
    );
  });
});
