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

export type RiskLevel = 'LOW' | 'MEDIUM' | 'HIGH';

/** The seed's trust spectrum, left to right. */
export type AutomationMode = 'suggest' | 'approval' | 'auto';

/** A CEL expression, kept as source; parsed and type-checked at compile time, re-parsed where evaluated. */
export interface CelExpr {
  cel: string;
}

/**
 * A string with `{placeholders}`, split at compile time so that each value is
 * bound into exactly one argument and never re-parsed (no shell, ever).
 * Placeholder paths: `pod_name` (= `context.pod_name`, the seed's convention),
 * `context.x`, `incident.id|service|root_cause|confidence`, `steps.STEP.OUTPUT`.
 */
export interface Template {
  parts: TemplatePart[];
}
export type TemplatePart =
  | { kind: 'literal'; text: string }
  | { kind: 'placeholder'; path: string[] };

/** A JSON value in which every string is a template (HTTP bodies). */
export type TemplateValue =
  | { kind: 'template'; template: Template }
  | { kind: 'literal'; value: number | boolean | null }
  | { kind: 'list'; items: TemplateValue[] }
  | { kind: 'object'; entries: Record<string, TemplateValue> };

/** Types a runbook can declare for its context fields; placeholder values are checked against them. */
export type ParamType = 'string' | 'int' | 'number' | 'bool' | 'dns_label' | 'dns_subdomain';

export interface ParamDecl {
  type: ParamType;
  required: boolean;
  description?: string;
}

// ---------------------------------------------------------------------------
// Executors: what a step runs. The compiled form holds templates; the workflow
// renders them (pure, deterministic) into the resolved form an activity gets.

export interface ExecSpec {
  executor: 'exec';
  argv: Template[];
  env: Record<string, Template>;
  cwd?: string;
  /** Exit codes that count as success; default [0]. */
  okExitCodes: number[];
}

export interface HttpSpec {
  executor: 'http';
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  url: Template;
  headers: Record<string, Template>;
  body?: TemplateValue;
  /** Status codes that count as success; empty means any 2xx. */
  okStatuses: number[];
}

/** What a kubernetes step does. The get_* operations only read, so only they may be probes. */
export type KubernetesOp = 'get_pod' | 'get_deployment' | 'delete_pod' | 'scale' | 'rollout_restart' | 'rollout_undo';

/** A call to the Kubernetes API (activities/executors/kubernetes.ts documents each operation's `result.json`). */
export interface KubernetesSpec {
  executor: 'kubernetes';
  op: KubernetesOp;
  namespace: Template;
  /** The pod (delete_pod, get_pod) or deployment (the others). */
  name: Template;
  /** scale: the absolute replica count (0 scales to zero) ... */
  replicas?: Template;
  /** ... or a change relative to the current count; exactly one of the two. */
  delta?: Template;
  /** rollout_undo: the revision to return to; default the one before the current. */
  toRevision?: Template;
  /** The namespaces the runbook allows; the executor refuses any other. */
  namespaces: string[];
}

export type ExecutorSpec = ExecSpec | HttpSpec | KubernetesSpec;

export interface ResolvedExec {
  executor: 'exec';
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
  okExitCodes: number[];
}

export interface ResolvedHttp {
  executor: 'http';
  method: HttpSpec['method'];
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  okStatuses: number[];
}

/** Counts stay rendered text, like every other resolved field: the executor parses and checks them. */
export interface ResolvedKubernetes {
  executor: 'kubernetes';
  op: KubernetesOp;
  namespace: string;
  name: string;
  replicas?: string;
  delta?: string;
  toRevision?: string;
  namespaces: string[];
}

export type ResolvedExecutor = ResolvedExec | ResolvedHttp | ResolvedKubernetes;

/** What an executor returns. `ok` is false when the exit code / status is not accepted. */
export type ExecutorResult =
  | { executor: 'exec'; ok: boolean; exitCode: number | null; signal: string | null; stdout: string; stderr: string; truncated: boolean; durationMs: number }
  | { executor: 'http'; ok: boolean; status: number; body: string; json?: unknown; truncated: boolean; durationMs: number }
  /** `status`: HTTP status of the API call that decided the outcome, 0 when none answered or the executor refused. */
  | { executor: 'kubernetes'; ok: boolean; op: KubernetesOp; status: number; message: string; json?: unknown; durationMs: number };

/** The step kinds, one module each (dsl/steps/, activities/executors/). */
export type ExecutorKind = ExecutorSpec['executor'];
export type KindSpec<K extends ExecutorKind> = Extract<ExecutorSpec, { executor: K }>;
export type KindResolved<K extends ExecutorKind> = Extract<ResolvedExecutor, { executor: K }>;
export type KindResult<K extends ExecutorKind> = Extract<ExecutorResult, { executor: K }>;

// ---------------------------------------------------------------------------
// Steps

export type CheckOrigin = 'stdlib' | 'file' | 'file_override' | 'inline';

interface StepBase {
  /** Unique within its runbook; part of the action idempotency key. */
  id: string;
  /** Optional CEL guard evaluated before the step; false skips it. */
  when?: CelExpr;
}

/**
 * A check: an optional read-only probe, then a CEL condition over
 * `incident`, `context`, `steps` (outputs so far) and `result` (the probe's ExecutorResult).
 * As a pre-check it runs once (read-only, so transient errors retry); as a post-check it
 * is polled every `intervalMs` until it holds or `deadlineMs` has passed.
 */
export interface CheckStep extends StepBase {
  kind: 'check';
  /** The named check this came from (standard library or the file's `checks:`), for audit. */
  check: string;
  /** Where its definition came from (`file_override`: the file replaced a standard check). */
  origin: CheckOrigin;
  description: string;
  probe?: ExecutorSpec;
  condition: CelExpr;
  timeoutMs: number;
  deadlineMs: number;
  intervalMs: number;
}

export interface ActionStep extends StepBase {
  kind: 'action';
  description: string;
  run: ExecutorSpec;
  timeoutMs: number;
  /** Extra attempts after the first; actions default to 0 (at-least-once is opt-in). */
  retries: number;
  /** Named outputs: CEL over `result` (and the usual variables), visible to later steps and rollback as `steps.ID.NAME`. */
  outputs: Record<string, CelExpr>;
}

export interface WaitStep extends StepBase {
  kind: 'wait';
  durationMs: number;
}

export type ExecutionStep = ActionStep | WaitStep;
export type Step = CheckStep | ExecutionStep;

export type Rollback =
  /** `rollback: null` in the seed: the action heals itself (a deleted pod is recreated). */
  | { kind: 'self_healing' }
  | { kind: 'steps'; steps: ExecutionStep[] }
  /** No rollback key at all: allowed only where a human approves each run. */
  | { kind: 'undeclared' };

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
// Plans: a runbook's steps rendered for one incident (what `plan` shows and an
// approval binds to through its hash).

export type PlanPhase = 'pre_check' | 'action' | 'post_check' | 'rollback';

interface PlannedBase {
  phase: PlanPhase;
  id: string;
  when?: string;
  /**
   * Placeholders only known at run time (`steps.ID.OUTPUT`), left in the
   * rendered strings as `{steps.ID.OUTPUT}`.
   */
  deferred: string[];
}

export type PlannedStep =
  | (PlannedBase & {
      kind: 'check';
      check: string;
      origin: CheckOrigin;
      description: string;
      condition: string;
      probe?: ResolvedExecutor;
      timeoutMs: number;
      deadlineMs: number;
      intervalMs: number;
    })
  | (PlannedBase & {
      kind: 'action';
      description: string;
      run: ResolvedExecutor;
      timeoutMs: number;
      retries: number;
      outputs: Record<string, string>;
    })
  | (PlannedBase & { kind: 'wait'; durationMs: number });

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
  | 'PRE_CHECK_FAILED'
  | 'CONTEXT_INVALID'
  | 'EXECUTING'
  | 'STEP_STARTED'
  | 'STEP_SUCCEEDED'
  | 'STEP_FAILED'
  | 'VERIFICATION_FAILED'
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
export type BlockedEvent = 'CIRCUIT_OPEN' | 'RATE_LIMITED' | 'BLAST_LIMITED' | 'FROZEN' | 'FAILURE_BUDGET_EXHAUSTED' | 'GUARDRAILS_UNAVAILABLE' | 'INPUT_REFUSED';

export type DecisionKind = Decision['decision'];

export type Outcome =
  | 'remediated'
  | 'rolled_back'
  | 'failed'
  | 'aborted'
  | 'manual'
  | 'blocked'
  | 'rejected'
  | 'expired';
