/**
 * The activities the remediation workflow schedules: checks (probe + CEL condition),
 * actions (an executor with an idempotency key, then its named outputs), and notifications.
 * Everything with I/O happens here, never in workflow code.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { evalCondition, evalOutput, type CelVars } from '../dsl/cel';
import { describeResult } from '../dsl/steps/describe';
import type { ExecutorResult, ParamDecl, ResolvedExecutor } from '../dsl/types';
import { runExecutor, SecretUnavailableError, type RunExecutorOptions } from './executors';
import { loadActivitiesConfig, type ActivitiesConfig } from './config';
import { connectKubernetes, type KubernetesConnection } from '../kubernetes/connection';
import { notify as dispatchNotification } from './notify';
import { NO_SECRETS, secretReader, type ReadSecret } from './secrets/sources';
import type { Notification, SinkResult } from './notify/types';

/** Variables CEL expressions see: the incident, its context and the outputs of earlier steps (no probe result yet). */
export type StepVars = Omit<CelVars, 'result'>;

/**
 * What a step's activity receives: the context travels once, inside the incident (runs recorded
 * before sent it twice, as `context` too; both forms are read).
 */
export type ActivityVars = Omit<StepVars, 'context'> & { context?: StepVars['context'] };

function celVars(vars: ActivityVars): StepVars {
  return { ...vars, context: vars.context ?? vars.incident.context };
}

/**
 * Which part of a run a step request belongs to, so that a reader of the history need not guess
 * (requests recorded before the field existed lack it: see client/timeline-stage.ts).
 */
export type StepStage = 'pre' | 'action' | 'post' | 'rollback';

export interface CheckRequest {
  step: string;
  stage: Extract<StepStage, 'pre' | 'post'>;
  check: string;
  probe?: ResolvedExecutor;
  condition: string;
  vars: ActivityVars;
  /** The runbook's declared context types, so CEL sees ints as ints. */
  contextTypes: Record<string, ParamDecl> | null;
  timeoutMs: number;
}

/**
 * What a check's outcome rests on: `live`, a probe that read the live system; `context`, only the
 * incident's own data (numbers frozen when the alert fired); `unreadable`, a probe that could not
 * read (an error, a timeout, a refusal, "no samples", a probe or condition that could not be
 * evaluated). Only a live false condition is evidence that a change made things worse.
 */
export type CheckEvidence = 'live' | 'context' | 'unreadable';

export interface CheckOutcome {
  passed: boolean;
  reason: string;
  probe?: ExecutorResult;
  /** Absent in outcomes recorded before it existed. */
  evidence?: CheckEvidence;
}

export interface ActionRequest {
  step: string;
  stage: Extract<StepStage, 'action' | 'rollback'>;
  run: ResolvedExecutor;
  /** Stable across retries: workflow id + step id. */
  idempotencyKey: string;
  timeoutMs: number;
  outputs: Record<string, string>;
  vars: ActivityVars;
  contextTypes: Record<string, ParamDecl> | null;
}

export interface ActionOutcome {
  result: ExecutorResult;
  outputs: Record<string, unknown>;
}

/** Error type names the workflow tells apart. */
export const ACTION_FAILED = 'ActionFailed';
export const EXPRESSION_FAILED = 'ExpressionFailed';

/** Error type of a probe whose target did not answer as expected: retried, as the check is read-only. */
export const PROBE_FAILED = 'ProbeFailed';

/**
 * An executor run; a secret that cannot be read fails it with the reason (secret and source, never a
 * value), retryable like any failure of its kind: the operator may restore the source meanwhile.
 */
async function runStep(spec: ResolvedExecutor, what: string, type: string, options: RunExecutorOptions): Promise<ExecutorResult> {
  try {
    return await runExecutor(spec, options);
  } catch (error) {
    if (error instanceof SecretUnavailableError) throw ApplicationFailure.retryable(`${what} failed: ${error.message}`, type);
    throw error;
  }
}

/**
 * One evaluation of a check: its probe, then its condition. The workflow's runCheck activity, and the
 * approvals page, which shows a pending plan's read-only pre-checks live (approvals/web/pre-checks.ts).
 */
export async function evaluateCheck(
  request: CheckRequest,
  config: ActivitiesConfig,
  kubernetes: () => KubernetesConnection,
  signal: AbortSignal,
  secrets: ReadSecret = secretReader(config.secrets ?? NO_SECRETS, { kubernetes }),
): Promise<CheckOutcome> {
  const probe = request.probe
    ? await runStep(request.probe, `probe for ${request.check}`, PROBE_FAILED, {
        timeoutMs: request.timeoutMs,
        signal,
        maxOutputBytes: config.maxOutputBytes,
        kubernetes,
        prometheus: config.prometheus,
        secrets,
      })
    : undefined;
  if (probe && !probe.ok)
    throw ApplicationFailure.retryable(`probe for ${request.check} failed (${describeResult(probe)})`, PROBE_FAILED, probe);
  let passed: boolean;
  try {
    passed = evalCondition(request.condition, { ...celVars(request.vars), result: probe }, request.contextTypes);
  } catch (error) {
    // A condition that cannot be evaluated (a field the probe did not return) fails the check; retrying will not help.
    throw ApplicationFailure.nonRetryable(`check ${request.check}: ${(error as Error).message}`, EXPRESSION_FAILED);
  }
  return {
    passed,
    reason: passed ? `${request.check} holds` : `${request.check} does not hold (${request.condition})`,
    probe,
    evidence: probe ? 'live' : 'context',
  };
}

/** The activities, bound to the operator's configuration (read once at worker start, so bad values stop it). */
export function createRemediationActivities(config: ActivitiesConfig = loadActivitiesConfig()) {
  // Made on the first kubernetes step, so a worker whose runbooks never touch a cluster needs no kubeconfig.
  let connection: KubernetesConnection | undefined;
  const kubernetes = () => (connection ??= connectKubernetes(config.kubernetes));
  // Values are read per step, here only: the workflow and its history hold names.
  const secrets = secretReader(config.secrets ?? NO_SECRETS, { kubernetes });
  return {
    async runCheck(request: CheckRequest): Promise<CheckOutcome> {
      return await evaluateCheck(request, config, kubernetes, Context.current().cancellationSignal, secrets);
    },

    async runAction(request: ActionRequest): Promise<ActionOutcome> {
      const result = await runStep(request.run, `step ${request.step}`, ACTION_FAILED, {
        timeoutMs: request.timeoutMs,
        idempotencyKey: request.idempotencyKey,
        signal: Context.current().cancellationSignal,
        maxOutputBytes: config.maxOutputBytes,
        kubernetes,
        prometheus: config.prometheus,
        secrets,
      });
      if (!result.ok) {
        // Retryable: the workflow's retry policy for this step (the runbook's `retries`) decides how often.
        throw ApplicationFailure.retryable(`step ${request.step} failed: ${describeResult(result)}`, ACTION_FAILED, result);
      }
      const outputs: Record<string, unknown> = {};
      for (const [name, expr] of Object.entries(request.outputs)) {
        try {
          outputs[name] = evalOutput(expr, { ...celVars(request.vars), result }, request.contextTypes);
        } catch (error) {
          throw ApplicationFailure.nonRetryable(`step ${request.step} output ${name}: ${(error as Error).message}`, EXPRESSION_FAILED);
        }
      }
      return { result, outputs };
    },

    async notify(notification: Notification): Promise<SinkResult[]> {
      return await dispatchNotification(notification, config);
    },
  };
}

export type RemediationActivities = ReturnType<typeof createRemediationActivities>;
