/**
 * The compiled form of steps (part of the DSL contract in dsl/types.ts, which re-exports all of
 * it): templates and CEL as compiled, each step kind's spec, resolved form and result, the steps
 * of a runbook, and the plan they render to. Plain JSON-serialisable data, like all of types.ts.
 */

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
export type TemplatePart = { kind: 'literal'; text: string } | { kind: 'placeholder'; path: string[] };

/**
 * A reference to a secret the operator policy defines (`{ secret: NAME }` in a runbook): only its
 * name is compiled, rendered and recorded; the value is read inside the activity (docs/secrets.md).
 */
export interface SecretRef {
  kind: 'secret';
  name: string;
}

/** Where a runbook may put a secret reference instead of text: headers, query values, exec env and argv. */
export type TextOrSecret = Template | SecretRef;

/** A secret reference as the rendered step carries it to the activity: still a name, never a value. */
export interface ResolvedSecretRef {
  secret: string;
}

/** A rendered header, query value, env value or argument: text, or a secret reference. */
export type ResolvedText = string | ResolvedSecretRef;

/** A JSON value in which every string is a template (HTTP bodies). */
export type TemplateValue =
  | { kind: 'template'; template: Template }
  | { kind: 'literal'; value: number | boolean | null }
  | { kind: 'list'; items: TemplateValue[] }
  | { kind: 'object'; entries: Record<string, TemplateValue> };

// ---------------------------------------------------------------------------
// Executors: what a step runs. The compiled form holds templates; the workflow
// renders them (pure, deterministic) into the resolved form an activity gets.

export interface ExecSpec {
  executor: 'exec';
  argv: TextOrSecret[];
  env: Record<string, TextOrSecret>;
  cwd?: string;
  /** Exit codes that count as success; default [0]. */
  okExitCodes: number[];
}

export interface HttpSpec {
  executor: 'http';
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  url: Template;
  headers: Record<string, TextOrSecret>;
  /** Query parameters added to the URL (`query:` in the runbook); only set when written, so versions stay. */
  query?: Record<string, TextOrSecret>;
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

/**
 * A PromQL instant query against a Prometheus of the operator policy, by name (never a URL from the
 * runbook). Placeholders sit only inside double-quoted string literals (dsl/steps/promql.ts).
 */
export interface PrometheusSpec {
  executor: 'prometheus';
  /** The policy's server by name; absent: the policy's default server (only set when named, so versions stay). */
  server?: string;
  query: Template;
  /** Query timeout, also sent to Prometheus; absent: the check's timeout. */
  timeoutMs?: number;
  /** Whether an empty vector is an answer; otherwise it fails the probe with "no samples". */
  allowEmpty: boolean;
}

export type ExecutorSpec = ExecSpec | HttpSpec | KubernetesSpec | PrometheusSpec;

export interface ResolvedExec {
  executor: 'exec';
  argv: ResolvedText[];
  env: Record<string, ResolvedText>;
  cwd?: string;
  okExitCodes: number[];
}

export interface ResolvedHttp {
  executor: 'http';
  method: HttpSpec['method'];
  url: string;
  headers: Record<string, ResolvedText>;
  query?: Record<string, ResolvedText>;
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

export interface ResolvedPrometheus {
  executor: 'prometheus';
  /** Absent: the worker's default server. */
  server?: string;
  query: string;
  timeoutMs?: number;
  allowEmpty: boolean;
}

export type ResolvedExecutor = ResolvedExec | ResolvedHttp | ResolvedKubernetes | ResolvedPrometheus;

/**
 * One sample of an instant vector. `value` is Prometheus's own text ("0.5", "NaN", "+Inf"), which
 * JSON can always carry; CEL sees it as a double.
 */
export interface PrometheusSample {
  labels: Record<string, string>;
  value: string;
}

/** What an executor returns. `ok` is false when the exit code / status is not accepted. */
export type ExecutorResult =
  | {
      executor: 'exec';
      ok: boolean;
      exitCode: number | null;
      signal: string | null;
      stdout: string;
      stderr: string;
      truncated: boolean;
      durationMs: number;
    }
  | { executor: 'http'; ok: boolean; status: number; body: string; json?: unknown; truncated: boolean; durationMs: number }
  /** `status`: HTTP status of the API call that decided the outcome, 0 when none answered or the executor refused. */
  | { executor: 'kubernetes'; ok: boolean; op: KubernetesOp; status: number; message: string; json?: unknown; durationMs: number }
  /**
   * `samples`: the vector (empty for a scalar); `value`: the first sample's value or the scalar, absent
   * when there is none; `message`: why it failed (Prometheus's error text, "no samples", ...), or '';
   * `server`: the name of the server asked (never its URL's credentials: there are none), absent in
   * results recorded before servers had names.
   */
  | {
      executor: 'prometheus';
      ok: boolean;
      server?: string;
      query: string;
      resultType: 'vector' | 'scalar' | 'none';
      samples: PrometheusSample[];
      value?: string;
      message: string;
      durationMs: number;
    };

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
 * is polled every `intervalMs` until it holds or `deadlineMs` has passed. With `settleMs` or
 * `holdForMs` (either phase) it first waits `settleMs`, then passes once the condition has held over
 * consecutive polls spanning `holdForMs`, all within `deadlineMs` (workflows/check-polling.ts).
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
  /** Wait before the first evaluation. Absent means 0 (and runbooks compiled before it lack it). */
  settleMs?: number;
  /** How long the condition must stay true over consecutive polls. Absent means 0: one true poll. */
  holdForMs?: number;
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
      /** Only when not 0, so plans (and their hashes) of checks without them are as before. */
      settleMs?: number;
      holdForMs?: number;
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
