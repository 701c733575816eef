/**
 * The compiled runbook DSL: the contract between the compiler (dsl/compile*),
 * the pure decision engine (dsl/decide.ts), the workflows that interpret it and
 * the activities that execute its steps.
 *
 * Everything here is plain JSON-serialisable data: compiled runbooks travel in
 * workflow inputs and histories, so they must survive a round trip through
 * Temporal's JSON payload converter unchanged. No classes, no Maps, no bigint.
 * Durations are milliseconds.
 */

import type { CheckStep, ExecutionStep, Rollback } from './step-types';

// The step parts of the contract live in step-types.ts.
export type {
  CelExpr,
  Template,
  TemplatePart,
  TemplateValue,
  SecretRef,
  TextOrSecret,
  ResolvedSecretRef,
  ResolvedText,
  ExecSpec,
  HttpSpec,
  KubernetesOp,
  KubernetesSpec,
  PrometheusSpec,
  PrometheusSample,
  ExecutorSpec,
  ResolvedExec,
  ResolvedHttp,
  ResolvedKubernetes,
  ResolvedPrometheus,
  ResolvedExecutor,
  ExecutorResult,
  ExecutorKind,
  KindSpec,
  KindResolved,
  KindResult,
  CheckOrigin,
  CheckStep,
  ActionStep,
  WaitStep,
  ExecutionStep,
  Step,
  Rollback,
  PlanPhase,
  PlannedStep,
} from './step-types';

export type RiskLevel = 'LOW' | 'MEDIUM' | 'HIGH';

/** The seed's trust spectrum, left to right. */
export type AutomationMode = 'suggest' | 'approval' | 'auto';

/** Types a runbook can declare for its context fields; placeholder values are checked against them. */
export type ParamType = 'string' | 'int' | 'number' | 'bool' | 'dns_label' | 'dns_subdomain';

export interface ParamDecl {
  type: ParamType;
  required: boolean;
  description?: string;
}

// ---------------------------------------------------------------------------
// Runbooks

export interface ApprovalPolicy {
  /** Who may approve: user names, or `group:NAME` resolved by operator policy. Empty = operator default. */
  approvers: string[];
  /** Distinct authorised approvals needed. */
  quorum: number;
  timeoutMs: number;
  /** When to send the escalation notification, before the timeout. */
  escalateAfterMs: number;
  escalationTarget?: string;
}

export interface CircuitBreakerPolicy {
  failureThreshold: number;
  recoveryTimeoutMs: number;
}

export interface Guardrails {
  maxPerHour: number;
  cooldownMs: number;
  blastRadiusLimit: number;
  circuitBreaker: CircuitBreakerPolicy;
}

export interface CompiledRunbook {
  id: string;
  name: string;
  description: string;
  owner: string;
  risk: RiskLevel;
  mode: AutomationMode;
  /** Matching: a root-cause match beats a symptom match; `precedence` breaks ties (higher wins). */
  match: { rootCauses: string[]; symptoms: string[]; precedence: number };
  minConfidence: number;
  guardrails: Guardrails;
  approval: ApprovalPolicy;
  /** Declared context; null when the runbook declares none (seed format: placeholders checked per incident). */
  context: Record<string, ParamDecl> | null;
  preChecks: CheckStep[];
  actions: ExecutionStep[];
  postChecks: CheckStep[];
  rollback: Rollback;
  /** Where it came from, for messages. */
  source: { file: string; line: number };
  /** Content hash of the compiled runbook (hex sha-256): the policy version a remediation records. */
  version: string;
}

export interface CompiledCatalogue {
  runbooks: CompiledRunbook[];
  /** Hash over all runbook versions, in id order. */
  version: string;
}

// ---------------------------------------------------------------------------
// Compiling: source files in, a catalogue or every error out.

export interface SourceFile {
  /** As the user should see it in messages (e.g. a path relative to the working directory). */
  file: string;
  text: string;
}

export interface CompileError {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** The field, e.g. `runbooks.restart-pod.min_confidence`; empty for the whole file. */
  path: string;
  /** What was expected and what was found. */
  message: string;
}

export type CompileResult = { ok: true; catalogue: CompiledCatalogue } | { ok: false; errors: CompileError[] };

// ---------------------------------------------------------------------------
// Incidents: untrusted input, validated before anything else.

export interface Incident {
  id: string;
  root_cause: string;
  confidence: number;
  /** Primary service (first of `services`). */
  service: string;
  services: string[];
  symptoms: string[];
  context: Record<string, unknown>;
  /** Who raised it, when known: they may not approve their own incident. */
  submitted_by?: string;
}

// ---------------------------------------------------------------------------
// Guardrail state, as the decision engine sees it (a snapshot; see issue 5 for the durable owner).

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  openedAtMs?: number;
  /** In half_open, a trial is already running: no second one. */
  trialInFlight?: boolean;
}

export interface GuardrailSnapshot {
  nowMs: number;
  breakers: Record<string, BreakerSnapshot>;
  /** Start times (ms) of executions per `runbook:service`, any age. */
  executions: Record<string, number[]>;
  /** Remediations currently acting. */
  active: { incidentId: string; runbook: string; services: string[] }[];
  limits: { maxConcurrent: number; maxServices: number };
}

// ---------------------------------------------------------------------------
// Decisions and audit

export type AuditEventType =
  | 'SUBMITTED'
  | 'NO_RUNBOOK'
  | 'LOW_CONFIDENCE'
  | 'SUGGESTED'
  | 'CIRCUIT_OPEN'
  | 'RATE_LIMITED'
  | 'BLAST_LIMITED'
  | 'FROZEN'
  | 'FAILURE_BUDGET_EXHAUSTED'
  | 'OUTSIDE_CHANGE_WINDOW'
  | 'GUARDRAILS_UNAVAILABLE'
  | 'INPUT_REFUSED'
  | 'WAITING_FOR_SLOT'
  | 'LEASE_RELEASED'
  | 'LEASE_LOST'
  | 'APPROVAL_REQUIRED'
  | 'APPROVED'
  | 'APPROVAL_REFUSED'
  | 'REJECTED'
  | 'APPROVAL_EXPIRED'
  | 'APPROVAL_VOID'
  | 'ESCALATED'
  /** The alert the incident came from resolved; a request waiting for approval is withdrawn. */
  | 'ALERT_RESOLVED'
  | 'PRE_CHECK_FAILED'
  | 'CONTEXT_INVALID'
  | 'EXECUTING'
  | 'STEP_STARTED'
  | 'STEP_SUCCEEDED'
  | 'STEP_FAILED'
  | 'VERIFICATION_FAILED'
  /** A post-check failed without live evidence (it could not read, or read only the incident): no rollback. */
  | 'VERIFICATION_INCONCLUSIVE'
  | 'SUCCESS'
  | 'ROLLED_BACK'
  | 'ROLLBACK_FAILED'
  | 'FAILED'
  | 'NOTIFIED'
  | 'NOTIFY_FAILED';

export type Decision =
  | { decision: 'auto'; event: 'EXECUTING'; runbook: string; reason: string }
  | { decision: 'approval_required'; event: 'APPROVAL_REQUIRED'; runbook: string; reason: string }
  | { decision: 'manual'; event: 'NO_RUNBOOK'; runbook: null; reason: string }
  | { decision: 'manual'; event: 'LOW_CONFIDENCE' | 'SUGGESTED'; runbook: string; reason: string }
  | { decision: 'blocked'; event: BlockedEvent; runbook: string; reason: string };

/**
 * Why a guardrail stopped a remediation: the seed's three, operator freeze, the per-service failure
 * budget, and guardrails that could not be checked at all (fail closed).
 */
export type BlockedEvent =
  'CIRCUIT_OPEN' | 'RATE_LIMITED' | 'BLAST_LIMITED' | 'FROZEN' | 'FAILURE_BUDGET_EXHAUSTED' | 'GUARDRAILS_UNAVAILABLE' | 'INPUT_REFUSED';

export type DecisionKind = Decision['decision'];

export type Outcome = 'remediated' | 'rolled_back' | 'failed' | 'aborted' | 'manual' | 'blocked' | 'rejected' | 'expired';
