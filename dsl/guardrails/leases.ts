/** Taking, renewing and returning a guardrail slot, and what a returned slot tells the breakers. */
import { deleteOwn, ownValue, setOwn } from '../safe-record';
import { DEFAULT_BREAKER } from './defaults';
import type { AcquireRequest, GuardrailState, Lease, ReleaseResult } from './state';
import type { BreakerSettings } from './types';

/** Records the execution and takes the slot; the caller has checked the rules first. */
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
  for (const service of lease.services)
    setOwn(state.serviceFailures, service, [...(ownValue(state.serviceFailures, service) ?? []), nowMs]);
  const failures = previous.consecutiveFailures + 1;
  const opens = lease.trial || failures >= settings.failureThreshold;
  setOwn(
    state.breakers,
    lease.runbook,
    opens
      ? { ...settings, state: 'open', consecutiveFailures: failures, openedAtMs: nowMs, trialInFlight: false }
      : { ...settings, state: 'closed', consecutiveFailures: failures },
  );
  return lease;
}

export function resetBreaker(state: GuardrailState, runbook: string): boolean {
  return deleteOwn(state.breakers, runbook);
}

function breakerOf(state: GuardrailState, runbook: string): BreakerSettings {
  const b = ownValue(state.breakers, runbook);
  return b ? { failureThreshold: b.failureThreshold, recoveryTimeoutMs: b.recoveryTimeoutMs } : DEFAULT_BREAKER;
}
