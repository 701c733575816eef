/**
 * Guardrail state shared by every remediation, as pure functions of (state, request, now).
 * The guardrail coordinator workflow is the single writer that applies them; keeping them pure
 * makes the rules unit-testable and keeps the workflow a thin, deterministic shell.
 */
import { isWindowOpen, nextOpening, windowApplies, type ChangeWindow } from './change-window';
import { checkGuardrails } from './decide';
import { deleteOwn, ownValue, safeRecord, setOwn } from './safe-record';
import type { BlockedEvent, BreakerSnapshot, CompiledRunbook, GuardrailSnapshot, Incident } from './types';

const HOUR_MS = 3_600_000;

export interface GuardrailPolicy {
  limits: GuardrailSnapshot['limits'];
  /** Fleet-level breaker: more than `maxFailures` failed remediations of one service within `windowMs` stop automation for it. */
  failureBudget: { maxFailures: number; windowMs: number };
  changeWindows: ChangeWindow[];
}

export interface Lease {
  incidentId: string;
  workflowId: string;
  /** Fencing token: renewals and releases name it, so a stale message never touches a newer lease. Absent on leases of the update-based protocol. */
  leaseId?: string;
  /** The request that took it, so a requester that gave up waiting can abandon exactly this grant. */
  requestId?: string;
  /** The run that holds it, told when the lease is lost. */
  runId?: string;
  /** The runbook's breaker settings, so an expired lease feeds the right breaker. */
  breaker?: BreakerSettings;
  runbook: string;
  services: string[];
  acquiredAtMs: number;
  /** Safety net for a workflow terminated without running its cleanup. */
  expiresAtMs: number;
  /** The one run a half-open breaker lets through. */
  trial: boolean;
}

export interface Freeze {
  by: string;
  reason: string;
  sinceMs: number;
  untilMs?: number;
}

export interface BreakerSettings {
  failureThreshold: number;
  recoveryTimeoutMs: number;
}

export interface GuardrailState {
  breakers: Record<string, BreakerSnapshot & { failureThreshold: number; recoveryTimeoutMs: number }>;
  /** Grant times per `runbook:service`, pruned to what the rolling hour and cooldowns still need. */
  executions: Record<string, number[]>;
  /** When the cooldown of a `runbook:service` ends; removed by the coordinator's timer exactly then. */
  cooldowns: Record<string, number>;
  leases: Record<string, Lease>;
  /** Failure times per service, for the failure budget. */
  serviceFailures: Record<string, number[]>;
  freeze?: Freeze;
  /** Requests whose senders gave up waiting, until when to refuse them if they still arrive. */
  abandoned?: Record<string, number>;
  /**
   * Human-approved runs waiting for blast-radius capacity, first come first served. While any
   * waits, no new automatic run takes a slot: approved work goes ahead.
   */
  waiting?: QueuedRequest[];
  /** Counter behind lease ids. */
  leaseSeq?: number;
}

export interface QueuedRequest {
  requestId: string;
  from: { workflowId: string; runId: string };
  request: AcquireRequest;
  queuedAtMs: number;
}

export { ownValue };

/** Its keyed records are null-prototype (see ./safe-record): incident data names their keys. */
export function emptyState(): GuardrailState {
  return { breakers: safeRecord(), executions: safeRecord(), cooldowns: safeRecord(), leases: safeRecord(), serviceFailures: safeRecord() };
}

/**
 * State as it arrives decoded from JSON (a continue-as-new input): the same state with every keyed
 * record null-prototype again. Overriding spread keys keeps their order, so the JSON shape (and the
 * carried inputs of recorded histories) stays the same.
 */
export function restoreState(raw: GuardrailState | undefined): GuardrailState {
  if (!raw) return emptyState();
  return {
    ...raw,
    breakers: safeRecord(raw.breakers),
    executions: safeRecord(raw.executions),
    cooldowns: safeRecord(raw.cooldowns),
    leases: safeRecord(raw.leases),
    serviceFailures: safeRecord(raw.serviceFailures),
    ...(raw.abandoned !== undefined ? { abandoned: safeRecord(raw.abandoned) } : {}),
  };
}

/** What a remediation tells the coordinator about itself: only what the rules need. */
export interface AcquireRequest {
  incidentId: string;
  workflowId: string;
  incident: Pick<Incident, 'id' | 'service' | 'services'>;
  runbook: Pick<CompiledRunbook, 'id' | 'risk' | 'guardrails'>;
  /** A human approved this run: change windows and freezes hold automation, not people. */
  humanApproved: boolean;
  leaseMs: number;
}

export type AcquireVerdict =
  | { granted: true; lease: Lease }
  | { granted: false; event: BlockedEvent; reason: string }
  | { granted: false; event: 'OUTSIDE_CHANGE_WINDOW'; reason: string; outside: 'wait' | 'approval'; opensAtMs?: number };

export type ReleaseResult = 'success' | 'failure' | 'no_action';

export function snapshotOf(state: GuardrailState, policy: GuardrailPolicy, nowMs: number): GuardrailSnapshot {
  return {
    nowMs,
    breakers: safeRecord(
      Object.fromEntries(
        Object.entries(state.breakers).map(([id, b]) => [id, { state: b.state, consecutiveFailures: b.consecutiveFailures, openedAtMs: b.openedAtMs, trialInFlight: b.trialInFlight }]),
      ),
    ),
    executions: safeRecord(Object.fromEntries(Object.entries(state.executions).map(([key, times]) => [key, [...times]]))),
    active: Object.values(state.leases).map((l) => ({ incidentId: l.incidentId, runbook: l.runbook, services: l.services })),
    limits: policy.limits,
  };
}

/**
 * Decides and, when granted, records the execution and takes the slot, in one step: the caller
 * is the single writer, so no other request can slip between the check and the reservation.
 * Idempotent per incident: a retried request gets its existing lease back.
 */
export function acquire(state: GuardrailState, policy: GuardrailPolicy, request: AcquireRequest, nowMs: number): AcquireVerdict {
  const existing = ownValue(state.leases, request.incidentId);
  if (existing) return { granted: true, lease: existing };
  const refused = refusal(state, policy, request, nowMs);
  if (refused) return refused;
  return { granted: true, lease: reserve(state, request, nowMs) };
}

/**
 * Every reason the rules give not to act now, in order: freeze, the seed's guardrails (breaker,
 * rate limit and cooldown, blast radius), the failure budget, change windows. Undefined: clear.
 */
export function refusal(
  state: GuardrailState,
  policy: GuardrailPolicy,
  request: Pick<AcquireRequest, 'incident' | 'runbook' | 'humanApproved'>,
  nowMs: number,
  options: { capacity?: boolean } = {},
): Extract<AcquireVerdict, { granted: false }> | undefined {
  const { runbook, incident } = request;
  const service = incident.service;

  if (state.freeze && !request.humanApproved) {
    const until = state.freeze.untilMs ? ` until ${new Date(state.freeze.untilMs).toISOString()}` : ' until lifted';
    return { granted: false, event: 'FROZEN', reason: `Automation frozen by ${state.freeze.by}${until}: ${state.freeze.reason}` };
  }
  const blocked = checkGuardrails(runbook, incident, snapshotOf(state, policy, nowMs), options);
  if (blocked) return { granted: false, event: blocked.event, reason: blocked.reason };

  const recentFailures = (ownValue(state.serviceFailures, service) ?? []).filter((t) => t > nowMs - policy.failureBudget.windowMs);
  if (recentFailures.length > policy.failureBudget.maxFailures) {
    return {
      granted: false,
      event: 'FAILURE_BUDGET_EXHAUSTED',
      reason: `${recentFailures.length} remediations failed for ${service} in the last ${Math.round(policy.failureBudget.windowMs / 60000)} min (budget ${policy.failureBudget.maxFailures}); automation for ${service} is stopped until a human looks`,
    };
  }
  if (!request.humanApproved) {
    for (const window of policy.changeWindows) {
      if (!windowApplies(window, runbook) || isWindowOpen(window, nowMs)) continue;
      const opensAtMs = nextOpening(window, nowMs);
      const when = opensAtMs === undefined ? 'never within a week' : `at ${new Date(opensAtMs).toISOString()}`;
      return {
        granted: false,
        event: 'OUTSIDE_CHANGE_WINDOW',
        reason: `${runbook.id} (${runbook.risk}) may only run in change window ${window.name} (${window.days.join(',')} ${window.start}-${window.end} ${window.timeZone}); it opens ${when}`,
        outside: window.outside,
        opensAtMs,
      };
    }
  }
  return undefined;
}

/** Records the execution and takes the slot; the caller has checked `refusal` first. */
export function reserve(state: GuardrailState, request: AcquireRequest & { requestId?: string; runId?: string }, nowMs: number): Lease {
  const { runbook, incident } = request;
  const breaker = ownValue(state.breakers, runbook.id);
  const trial = breaker !== undefined && breaker.state !== 'closed';
  if (trial) setOwn(state.breakers, runbook.id, { ...breaker, state: 'half_open', trialInFlight: true });
  const key = `${runbook.id}:${incident.service}`;
  setOwn(state.executions, key, [...(ownValue(state.executions, key) ?? []), nowMs]);
  if (runbook.guardrails.cooldownMs > 0) setOwn(state.cooldowns, key, nowMs + runbook.guardrails.cooldownMs);
  const lease: Lease = {
    incidentId: request.incidentId,
    workflowId: request.workflowId,
    runbook: runbook.id,
    services: incident.services,
    acquiredAtMs: nowMs,
    expiresAtMs: nowMs + request.leaseMs,
    trial,
  };
  if (request.requestId !== undefined) {
    state.leaseSeq = (state.leaseSeq ?? 0) + 1;
    lease.leaseId = `${request.incidentId}#${state.leaseSeq}`;
    lease.requestId = request.requestId;
    lease.runId = request.runId;
    lease.breaker = runbook.guardrails.circuitBreaker;
  }
  setOwn(state.leases, request.incidentId, lease);
  return lease;
}

/** Extends a live lease; undefined when the lease named is no longer held (expired, released or replaced). */
export function renew(state: GuardrailState, incidentId: string, leaseId: string, leaseMs: number, nowMs: number): Lease | undefined {
  const lease = ownValue(state.leases, incidentId);
  if (!lease || lease.leaseId !== leaseId) return undefined;
  lease.expiresAtMs = Math.max(lease.expiresAtMs, nowMs + leaseMs);
  return lease;
}

/**
 * Frees the slot and feeds the breakers. Idempotent: an unknown incident changes nothing, and so
 * does a lease id that is not the one held (a stale release never frees a newer lease).
 */
export function release(
  state: GuardrailState,
  request: { incidentId: string; result: ReleaseResult; leaseId?: string; breaker?: BreakerSettings },
  nowMs: number,
): Lease | undefined {
  const lease = ownValue(state.leases, request.incidentId);
  if (!lease) return undefined;
  if (request.leaseId !== undefined && lease.leaseId !== request.leaseId) return undefined;
  deleteOwn(state.leases, request.incidentId);
  const settings = lease.breaker ?? request.breaker ?? breakerOf(state, lease.runbook);
  if (request.result === 'no_action') {
    // Nothing ran (a pre-check stopped it): a half-open trial goes back to waiting for its trial.
    const b = ownValue(state.breakers, lease.runbook);
    if (b && lease.trial) setOwn(state.breakers, lease.runbook, { ...b, trialInFlight: false });
    return lease;
  }
  const previous = ownValue(state.breakers, lease.runbook) ?? { state: 'closed' as const, consecutiveFailures: 0, ...settings };
  if (request.result === 'success') {
    setOwn(state.breakers, lease.runbook, { ...settings, state: 'closed', consecutiveFailures: 0 });
    return lease;
  }
  for (const service of lease.services) setOwn(state.serviceFailures, service, [...(ownValue(state.serviceFailures, service) ?? []), nowMs]);
  const failures = previous.consecutiveFailures + 1;
  const opens = lease.trial || failures >= settings.failureThreshold;
  setOwn(
    state.breakers,
    lease.runbook,
    opens ? { ...settings, state: 'open', consecutiveFailures: failures, openedAtMs: nowMs, trialInFlight: false } : { ...settings, state: 'closed', consecutiveFailures: failures },
  );
  return lease;
}

export function resetBreaker(state: GuardrailState, runbook: string): boolean {
  return deleteOwn(state.breakers, runbook);
}

/**
 * Applies everything that happens by the passage of time: expired leases are freed, cooldowns end,
 * open breakers whose recovery elapsed become half-open, a freeze with an end lifts, old records go.
 * Returns the leases that expired (their workflows never reported back). An expired lease is a
 * failure for the breaker and the budget: its remediation may have acted and nobody verified it.
 * (`no_action` is the update-based protocol's rule, kept so its recorded histories replay.)
 */
export function advance(state: GuardrailState, policy: GuardrailPolicy, nowMs: number, expiredAs: ReleaseResult = 'failure'): Lease[] {
  const expired = Object.values(state.leases).filter((l) => l.expiresAtMs <= nowMs);
  for (const lease of expired) release(state, { incidentId: lease.incidentId, result: expiredAs }, nowMs);
  for (const [id, until] of Object.entries(state.abandoned ?? {})) if (until <= nowMs) deleteOwn(state.abandoned!, id);
  for (const [key, until] of Object.entries(state.cooldowns)) if (until <= nowMs) deleteOwn(state.cooldowns, key);
  for (const [id, b] of Object.entries(state.breakers)) {
    if (b.state === 'open' && b.openedAtMs !== undefined && nowMs - b.openedAtMs >= b.recoveryTimeoutMs) {
      setOwn(state.breakers, id, { ...b, state: 'half_open', trialInFlight: false });
    }
  }
  if (state.freeze?.untilMs !== undefined && state.freeze.untilMs <= nowMs) delete state.freeze;
  for (const [key, times] of Object.entries(state.executions)) {
    const keep = times.filter((t) => t > nowMs - HOUR_MS || (ownValue(state.cooldowns, key) ?? 0) > nowMs);
    if (keep.length > 0) setOwn(state.executions, key, keep);
    else deleteOwn(state.executions, key);
  }
  for (const [service, times] of Object.entries(state.serviceFailures)) {
    const keep = times.filter((t) => t > nowMs - policy.failureBudget.windowMs);
    if (keep.length > 0) setOwn(state.serviceFailures, service, keep);
    else deleteOwn(state.serviceFailures, service);
  }
  return expired;
}

function breakerOf(state: GuardrailState, runbook: string): BreakerSettings {
  const b = ownValue(state.breakers, runbook);
  return b ? { failureThreshold: b.failureThreshold, recoveryTimeoutMs: b.recoveryTimeoutMs } : { failureThreshold: 3, recoveryTimeoutMs: 300_000 };
}

/** The next instant at which `advance` would change something, for the coordinator's durable timer. */
export function nextDeadline(state: GuardrailState, policy: GuardrailPolicy, nowMs: number): number | undefined {
  const times: number[] = [
    ...Object.values(state.leases).map((l) => l.expiresAtMs),
    ...Object.values(state.cooldowns),
    ...Object.values(state.breakers).flatMap((b) => (b.state === 'open' && b.openedAtMs !== undefined ? [b.openedAtMs + b.recoveryTimeoutMs] : [])),
    ...(state.freeze?.untilMs !== undefined ? [state.freeze.untilMs] : []),
    ...Object.values(state.executions).flat().map((t) => t + HOUR_MS),
    ...Object.values(state.serviceFailures).flat().map((t) => t + policy.failureBudget.windowMs),
    ...Object.values(state.abandoned ?? {}),
  ];
  // A loop, not Math.min(...times): a storm's state can hold more times than a call has arguments.
  let earliest: number | undefined;
  for (const t of times) if (t > nowMs && (earliest === undefined || t < earliest)) earliest = t;
  return earliest;
}

/** How long a remediation may hold its slot before the lease expires: its worst-case run time, doubled. */
export function leaseDuration(runbook: Pick<CompiledRunbook, 'preChecks' | 'actions' | 'postChecks' | 'rollback'>): number {
  const steps = [...runbook.actions, ...(runbook.rollback.kind === 'steps' ? runbook.rollback.steps : [])];
  const acting = steps.reduce((sum, s) => sum + (s.kind === 'wait' ? s.durationMs : s.timeoutMs * (s.retries + 1)), 0);
  const checking = [...runbook.preChecks, ...runbook.postChecks].reduce((sum, c) => sum + c.timeoutMs * 3 + c.deadlineMs, 0);
  return Math.max(5 * 60_000, 2 * (acting + checking));
}
