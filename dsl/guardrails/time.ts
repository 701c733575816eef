/** What the passage of time does to the guardrail state, and when it next will, for the coordinator's one durable timer. */
import { deleteOwn, ownValue, setOwn } from '../safe-record';
import { HOUR_MS } from './defaults';
import { release } from './leases';
import type { GuardrailState, Lease, ReleaseResult } from './state';
import type { GuardrailPolicy } from './types';

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

/** The next instant at which `advance` would change something, for the coordinator's durable timer. */
export function nextDeadline(state: GuardrailState, policy: GuardrailPolicy, nowMs: number): number | undefined {
  const times: number[] = [
    ...Object.values(state.leases).map((l) => l.expiresAtMs),
    ...Object.values(state.cooldowns),
    ...Object.values(state.breakers).flatMap((b) =>
      b.state === 'open' && b.openedAtMs !== undefined ? [b.openedAtMs + b.recoveryTimeoutMs] : [],
    ),
    ...(state.freeze?.untilMs !== undefined ? [state.freeze.untilMs] : []),
    ...Object.values(state.executions)
      .flat()
      .map((t) => t + HOUR_MS),
    ...Object.values(state.serviceFailures)
      .flat()
      .map((t) => t + policy.failureBudget.windowMs),
    ...Object.values(state.abandoned ?? {}),
  ];
  // A loop, not Math.min(...times): a storm's state can hold more times than a call has arguments.
  let earliest: number | undefined;
  for (const t of times) if (t > nowMs && (earliest === undefined || t < earliest)) earliest = t;
  return earliest;
}
