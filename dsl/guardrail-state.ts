/**
 * Guardrail state shared by every remediation, as pure functions of (state, request, now).
 * The guardrail coordinator workflow is the single writer that applies them; keeping them pure
 * makes the rules unit-testable and keeps the workflow a thin, deterministic shell. The state and
 * its views are in ./guardrails/state, slots in ./guardrails/leases, time in ./guardrails/time,
 * and the rules themselves, one list for the coordinator and `decide` alike, in ./guardrails/rules.
 */
import { checkGuardrails } from './guardrails';
import { reserve } from './guardrails/leases';
import { viewOf, type AcquireRequest, type AcquireVerdict, type GuardrailState } from './guardrails/state';
import type { GuardrailPolicy } from './guardrails/types';
import { ownValue } from './safe-record';
import type { CompiledRunbook } from './types';

export type { BreakerSettings, Freeze, GuardrailPolicy } from './guardrails/types';
export {
  emptyState,
  restoreState,
  snapshotOf,
  type AcquireRequest,
  type AcquireVerdict,
  type GuardrailState,
  type Lease,
  type QueuedRequest,
  type ReleaseResult,
} from './guardrails/state';
export { release, renew, reserve, resetBreaker } from './guardrails/leases';
export { advance, nextDeadline } from './guardrails/time';
export { ownValue };

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

/** Every reason the rules give not to act now, in their order (see ./guardrails/rules). Undefined: clear. */
export function refusal(
  state: GuardrailState,
  policy: GuardrailPolicy,
  request: Pick<AcquireRequest, 'incident' | 'runbook' | 'humanApproved'>,
  nowMs: number,
  options: { capacity?: boolean } = {},
): Extract<AcquireVerdict, { granted: false }> | undefined {
  const refused = checkGuardrails(request.runbook, request.incident, viewOf(state, policy, nowMs), {
    humanApproved: request.humanApproved,
    capacity: options.capacity,
  });
  return refused ? { granted: false, ...refused } : undefined;
}

/** How long a remediation may hold its slot before the lease expires: its worst-case run time, doubled. */
export function leaseDuration(runbook: Pick<CompiledRunbook, 'preChecks' | 'actions' | 'postChecks' | 'rollback'>): number {
  const steps = [...runbook.actions, ...(runbook.rollback.kind === 'steps' ? runbook.rollback.steps : [])];
  const acting = steps.reduce((sum, s) => sum + (s.kind === 'wait' ? s.durationMs : s.timeoutMs * (s.retries + 1)), 0);
  const checking = [...runbook.preChecks, ...runbook.postChecks].reduce((sum, c) => sum + c.timeoutMs * 3 + c.deadlineMs, 0);
  return Math.max(5 * 60_000, 2 * (acting + checking));
}
