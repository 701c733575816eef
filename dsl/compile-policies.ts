/**
 * A runbook's policies: how much it may run on its own (risk and mode, and the safety net that
 * running without a human requires), its approval policy, and its guardrail limits with defaults.
 */
import { positiveDuration, type StepScope } from './compile-steps';
import type { RawRunbook } from './runbook-schema';
import type { ApprovalPolicy, AutomationMode, CompiledRunbook, RiskLevel } from './types';
import type { PathSegment } from './yaml-source';

type Report = StepScope['report'];

/** The seed's defaults (RemediationRateLimiter, BlastRadiusLimiter, RemediationCircuitBreaker). */
const DEFAULTS = {
  maxPerHour: 3,
  cooldownMinutes: 10,
  blastRadiusLimit: 1,
  failureThreshold: 3,
  recoveryTimeoutMs: 300_000,
  approvalTimeoutMs: 30 * 60_000,
  quorum: 1,
} as const;

/** Risk defaults to HIGH, and the mode to what the risk allows; HIGH risk never runs unattended. */
export function automationOf(raw: RawRunbook, path: PathSegment[], report: Report): { risk: RiskLevel; mode: AutomationMode } {
  const risk: RiskLevel = raw.risk ?? 'HIGH';
  const mode: AutomationMode = raw.mode ?? (risk === 'HIGH' ? 'approval' : 'auto');
  if (risk === 'HIGH' && mode === 'auto') {
    report([...path, 'mode'], 'a HIGH risk runbook can never run in auto mode: expected "approval" or "suggest", found "auto"');
  }
  return { risk, mode };
}

/** The seed's safety triangle: whatever runs without a human must verify and be reversible. */
export function requireSafetyNet(raw: RawRunbook, path: PathSegment[], risk: RiskLevel, mode: AutomationMode, report: Report): void {
  if (mode !== 'auto') return;
  if ((raw.post_checks ?? []).length === 0) {
    report(path, `runs without a human (${risk} risk, auto mode), so it must verify its fix: expected post_checks, found none`, {
      key: true,
    });
  }
  if (raw.rollback === undefined) {
    report(
      path,
      `runs without a human (${risk} risk, auto mode), so it must declare its rollback: expected rollback steps, a command, or "rollback: null" if the action heals itself, found no rollback`,
      { key: true },
    );
  }
}

export function approvalPolicy(raw: RawRunbook, path: PathSegment[], report: Report): ApprovalPolicy {
  const approval = raw.approval ?? {};
  const at = [...path, 'approval'];
  const timeoutMs = positiveDuration(approval.timeout, DEFAULTS.approvalTimeoutMs, [...at, 'timeout'], report);
  // The seed has no escalation; by default, escalate when two thirds of the wait have passed.
  const escalateAfterMs = positiveDuration(approval.escalate_after, Math.floor((timeoutMs * 2) / 3), [...at, 'escalate_after'], report);
  if (escalateAfterMs >= timeoutMs) {
    report(
      [...at, 'escalate_after'],
      `escalation must come before the approval times out: expected less than ${timeoutMs / 1000}s, found ${escalateAfterMs / 1000}s`,
    );
  }
  const approvers = approval.approvers ?? [];
  const quorum = approval.quorum ?? DEFAULTS.quorum;
  if (approvers.length > 0 && quorum > approvers.length) {
    report([...at, 'quorum'], `quorum cannot exceed the number of approvers: expected at most ${approvers.length}, found ${quorum}`);
  }
  const policy: ApprovalPolicy = { approvers, quorum, timeoutMs, escalateAfterMs };
  if (approval.escalation_target !== undefined) policy.escalationTarget = approval.escalation_target;
  return policy;
}

export function guardrailSettings(raw: RawRunbook, path: PathSegment[], report: Report): CompiledRunbook['guardrails'] {
  const recoveryTimeoutMs = positiveDuration(
    raw.circuit_breaker?.recovery_timeout,
    DEFAULTS.recoveryTimeoutMs,
    [...path, 'circuit_breaker', 'recovery_timeout'],
    report,
  );
  return {
    maxPerHour: raw.max_per_hour ?? DEFAULTS.maxPerHour,
    cooldownMs: Math.round((raw.cooldown_minutes ?? DEFAULTS.cooldownMinutes) * 60_000),
    blastRadiusLimit: raw.blast_radius_limit ?? DEFAULTS.blastRadiusLimit,
    circuitBreaker: {
      failureThreshold: raw.circuit_breaker?.failure_threshold ?? DEFAULTS.failureThreshold,
      recoveryTimeoutMs,
    },
  };
}
