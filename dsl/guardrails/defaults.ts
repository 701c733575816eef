/**
 * Every guardrail default in one place: the reference exercise's BlastRadiusLimiter and
 * RemediationCircuitBreaker settings, and the operator policy's failure budget.
 */
import type { BreakerSettings, FailureBudget, GuardrailLimits, GuardrailPolicy } from './types';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;

/** At most 3 remediations at once, touching at most 1 service (the reference's BlastRadiusLimiter). */
export const DEFAULT_LIMITS: GuardrailLimits = { maxConcurrent: 3, maxServices: 1 };

/** A breaker whose runbook's settings are unknown (the reference's RemediationCircuitBreaker). */
export const DEFAULT_BREAKER: BreakerSettings = { failureThreshold: 3, recoveryTimeoutMs: 300_000 };

/** More than 5 failed remediations of one service within an hour stop automation for it. */
export const DEFAULT_FAILURE_BUDGET: FailureBudget = { maxFailures: 5, windowMs: HOUR_MS };

export const DEFAULT_GUARDRAIL_POLICY: GuardrailPolicy = {
  limits: DEFAULT_LIMITS,
  failureBudget: DEFAULT_FAILURE_BUDGET,
  changeWindows: [],
};
