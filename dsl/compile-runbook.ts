/**
 * One runbook, schema-valid YAML in, compiled form out: defaults from the
 * seed, semantic checks, and the safety rules of the seed's principles.
 */
import { compileCheckEntry, type CheckLibrary, type Phase } from './compile-checks';
import { ACTION_TIMEOUT_MS, compileCommand, compileStep, positiveDuration, type StepScope } from './compile-steps';
import type { Diagnostics } from './diagnostics';
import type { ContextDecl } from './render';
import type { RawCheckEntry, RawContextField, RawRunbook, RawStep } from './runbook-schema';
import type { ApprovalPolicy, AutomationMode, CheckStep, CompiledRunbook, ExecutionStep, ParamDecl, RiskLevel, Rollback } from './types';
import type { PathSegment } from './yaml-source';

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

export interface TriggerClaim {
  kind: 'root_cause' | 'symptom';
  value: string;
  path: PathSegment[];
}

export interface RunbookDraft {
  runbook: Omit<CompiledRunbook, 'version'>;
  claims: TriggerClaim[];
}

export function compileRunbook(
  id: string,
  raw: RawRunbook,
  file: string,
  diag: Diagnostics,
  library: CheckLibrary,
  options: { allowedPrograms?: readonly string[] } = {},
): RunbookDraft | undefined {
  const path: PathSegment[] = ['runbooks', id];
  const before = diag.count;
  const report: StepScope['report'] = (p, m, at) => diag.error(p, m, at);

  const risk: RiskLevel = raw.risk ?? 'HIGH';
  const mode: AutomationMode = raw.mode ?? (risk === 'HIGH' ? 'approval' : 'auto');
  if (risk === 'HIGH' && mode === 'auto') {
    report([...path, 'mode'], 'a HIGH risk runbook can never run in auto mode: expected "approval" or "suggest", found "auto"');
  }

  const claims = triggerClaims(raw, path);
  if (claims.length === 0) {
    report(path, 'this runbook can never match: expected at least one of triggers, root_causes or symptoms', { key: true });
  }

  const context = raw.context === undefined ? null : contextDecls(raw.context);
  const outputs = new Map<string, Set<string>>();
  const namespaces = raw.namespaces ?? [];
  const { allowedPrograms } = options;
  const scope = (visible: ReadonlyMap<string, ReadonlySet<string>>): StepScope => ({
    report,
    context,
    outputs: visible,
    namespaces,
    allowedPrograms,
  });

  const preChecks = compileChecks(raw.pre_checks ?? [], 'pre', [...path, 'pre_checks'], scope(new Map()), library);
  const actions = compileActions(raw, path, scope, outputs);
  const actionOutputs = new Map(outputs);
  const postChecks = compileChecks(raw.post_checks ?? [], 'post', [...path, 'post_checks'], scope(actionOutputs), library);
  const rollback = compileRollback(raw, path, scope, outputs);

  checkUniqueIds([...preChecks, ...actions, ...postChecks, ...(rollback.kind === 'steps' ? rollback.steps : [])], raw, path, report);

  // The seed's safety triangle: whatever runs without a human must verify and be reversible.
  if (mode === 'auto') {
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

  const approval = approvalPolicy(raw, path, report);
  const recoveryTimeoutMs = positiveDuration(
    raw.circuit_breaker?.recovery_timeout,
    DEFAULTS.recoveryTimeoutMs,
    [...path, 'circuit_breaker', 'recovery_timeout'],
    report,
  );

  if (diag.count > before) return undefined;
  return {
    claims,
    runbook: {
      id,
      name: raw.name ?? id,
      description: raw.description ?? '',
      owner: raw.owner ?? '',
      risk,
      mode,
      match: {
        rootCauses: unique(claims.filter((c) => c.kind === 'root_cause').map((c) => c.value)),
        symptoms: unique(claims.filter((c) => c.kind === 'symptom').map((c) => c.value)),
        precedence: raw.precedence ?? 0,
      },
      minConfidence: raw.min_confidence,
      guardrails: {
        maxPerHour: raw.max_per_hour ?? DEFAULTS.maxPerHour,
        cooldownMs: Math.round((raw.cooldown_minutes ?? DEFAULTS.cooldownMinutes) * 60_000),
        blastRadiusLimit: raw.blast_radius_limit ?? DEFAULTS.blastRadiusLimit,
        circuitBreaker: {
          failureThreshold: raw.circuit_breaker?.failure_threshold ?? DEFAULTS.failureThreshold,
          recoveryTimeoutMs,
        },
      },
      approval,
      context,
      preChecks,
      actions,
      postChecks,
      rollback,
      source: { file, line: diag.position(path, { key: true }).line },
    },
  };
}

/** The seed's `triggers` match both root causes and symptoms. */
function triggerClaims(raw: RawRunbook, path: PathSegment[]): TriggerClaim[] {
  const claims: TriggerClaim[] = [];
  (raw.triggers ?? []).forEach((value, i) => {
    claims.push({ kind: 'root_cause', value, path: [...path, 'triggers', i] });
    claims.push({ kind: 'symptom', value, path: [...path, 'triggers', i] });
  });
  (raw.root_causes ?? []).forEach((value, i) => claims.push({ kind: 'root_cause', value, path: [...path, 'root_causes', i] }));
  (raw.symptoms ?? []).forEach((value, i) => claims.push({ kind: 'symptom', value, path: [...path, 'symptoms', i] }));
  const seen = new Set<string>();
  return claims.filter((claim) => {
    const key = `${claim.kind}\u0000${claim.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function contextDecls(raw: Record<string, RawContextField>): Record<string, ParamDecl> {
  const out: Record<string, ParamDecl> = {};
  for (const [name, field] of Object.entries(raw)) {
    if (typeof field === 'string') {
      out[name] = { type: field, required: true };
    } else {
      const decl: ContextDecl = { type: field.type, required: field.required ?? true };
      if (field.description !== undefined) decl.description = field.description;
      // Only when set, so runbooks without it keep their version hash.
      if (field.allow_leading_dash === true) decl.allowLeadingDash = true;
      out[name] = decl;
    }
  }
  return out;
}

function compileChecks(entries: RawCheckEntry[], phase: Phase, path: PathSegment[], scope: StepScope, library: CheckLibrary): CheckStep[] {
  const out: CheckStep[] = [];
  entries.forEach((entry, i) => {
    const step = compileCheckEntry(entry, phase, [...path, i], scope, library);
    if (step) out.push(step);
  });
  return out;
}

function compileActions(
  raw: RawRunbook,
  path: PathSegment[],
  scope: (visible: ReadonlyMap<string, ReadonlySet<string>>) => StepScope,
  outputs: Map<string, Set<string>>,
): ExecutionStep[] {
  const { report } = scope(outputs);
  if (raw.action !== undefined && raw.actions !== undefined) {
    report([...path, 'actions'], 'expected either "action" (a command) or "actions" (a list of steps), found both', { key: true });
    return [];
  }
  if (raw.action !== undefined) {
    const run = compileCommand(raw.action, [...path, 'action'], scope(outputs));
    return run
      ? [{ kind: 'action', id: 'action', description: raw.action, run, timeoutMs: ACTION_TIMEOUT_MS, retries: 0, outputs: {} }]
      : [];
  }
  if (raw.actions === undefined) {
    report(path, 'nothing to do: expected "action" (a command) or "actions" (a list of steps)', { key: true });
    return [];
  }
  return compileSteps(raw.actions, [...path, 'actions'], scope, outputs);
}

function compileSteps(
  steps: RawStep[],
  path: PathSegment[],
  scope: (visible: ReadonlyMap<string, ReadonlySet<string>>) => StepScope,
  outputs: Map<string, Set<string>>,
): ExecutionStep[] {
  const out: ExecutionStep[] = [];
  steps.forEach((raw, i) => {
    // Each step sees only the outputs of the steps before it.
    const step = compileStep(raw, [...path, i], scope(new Map(outputs)), outputs);
    if (step) out.push(step);
  });
  return out;
}

function compileRollback(
  raw: RawRunbook,
  path: PathSegment[],
  scope: (visible: ReadonlyMap<string, ReadonlySet<string>>) => StepScope,
  outputs: Map<string, Set<string>>,
): Rollback {
  if (raw.rollback === undefined) return { kind: 'undeclared' };
  if (raw.rollback === null) return { kind: 'self_healing' };
  if (typeof raw.rollback === 'string') {
    const run = compileCommand(raw.rollback, [...path, 'rollback'], scope(outputs));
    return {
      kind: 'steps',
      steps: run
        ? [{ kind: 'action', id: 'rollback', description: raw.rollback, run, timeoutMs: ACTION_TIMEOUT_MS, retries: 0, outputs: {} }]
        : [],
    };
  }
  return { kind: 'steps', steps: compileSteps(raw.rollback, [...path, 'rollback'], scope, outputs) };
}

function checkUniqueIds(steps: { id: string }[], raw: RawRunbook, path: PathSegment[], report: StepScope['report']): void {
  const seen = new Set<string>();
  for (const step of steps) {
    if (seen.has(step.id)) {
      report(
        idLocation(step.id, raw, path),
        `duplicate step id "${step.id}": step ids must be unique within a runbook (they key idempotent execution)`,
      );
    }
    seen.add(step.id);
  }
}

/** Where the (second) step with this id was written. */
function idLocation(id: string, raw: RawRunbook, path: PathSegment[]): PathSegment[] {
  const lists: [string, unknown[] | undefined][] = [
    ['pre_checks', raw.pre_checks],
    ['actions', raw.actions],
    ['post_checks', raw.post_checks],
    ['rollback', Array.isArray(raw.rollback) ? raw.rollback : undefined],
  ];
  let last: PathSegment[] = path;
  for (const [field, items] of lists) {
    (items ?? []).forEach((item, i) => {
      const itemId = typeof item === 'string' ? `${field === 'pre_checks' ? 'pre' : 'post'}.${item}` : stepIdOf(item, field);
      if (itemId === id) last = [...path, field, i];
    });
  }
  return last;
}

function stepIdOf(item: unknown, field: string): string | undefined {
  if (!item || typeof item !== 'object') return undefined;
  const entry = item as { id?: string; check?: string };
  if (entry.id !== undefined) return entry.id;
  return entry.check === undefined ? undefined : `${field === 'pre_checks' ? 'pre' : 'post'}.${entry.check}`;
}

function approvalPolicy(raw: RawRunbook, path: PathSegment[], report: StepScope['report']): ApprovalPolicy {
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

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
