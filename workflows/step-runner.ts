/**
 * Runs the steps of one remediation as activities, each kind with its own retry policy:
 * checks are read-only and retry transient errors; actions carry an idempotency key
 * (workflow id + step) and retry only as the runbook allows; post-checks poll with durable timers.
 */
import { ActivityFailure, ApplicationFailure, patched, proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
import { evalCondition } from '../dsl/cel';
import { describeRun } from '../dsl/steps/describe';
import type { CheckStep, ExecutionStep, ExecutorSpec, Incident, ParamDecl, ResolvedExecutor } from '../dsl/types';
import type { ActivityVars, CheckOutcome, RemediationActivities, StepVars } from '../activities/remediation';
import type { AuditTrail } from './audit';
import { rendererFor, type Renderer } from './renderer';

/** Checks run a few times on infrastructure errors (the condition itself failing is a result, not an error). */
const CHECK_ATTEMPTS = 3;

/**
 * Task priority (1 runs first, 3 is the server's default): rollbacks, then the work of a run a human
 * approved, ahead of new automatic work when the task queues are backlogged.
 */
const PRIORITY = { rollback: 1, approved: 2 } as const;

/** The run no longer holds its guardrail slot: nothing more may change the system. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(
    readonly step: string,
    reason: string,
  ) {
    super(`guardrail slot lost before ${step}: ${reason}`);
  }
}

export interface StepRunnerOptions {
  /** Why the run's guardrail lease was lost, checked before every action and rollback step. */
  leaseLost?: () => string | undefined;
  /** Set activity task priorities (runs recorded before priorities replay without them). */
  prioritise?: boolean;
  /**
   * Read-only checks as local activities: no task-queue round trip, one marker in history instead
   * of an activity's events. Actions and rollbacks always stay activities, visible and retried by
   * the server. (Runs recorded before `local-checks` replay with checks as activities.)
   */
  localChecks?: boolean;
  /** How this run renders steps (workflows/renderer.ts); the current rules unless given. */
  renderer?: Renderer;
}

export class StepRunner {
  currentStep: string | null = null;
  private readonly outputs: Record<string, Record<string, unknown>> = {};

  constructor(
    private readonly workflowId: string,
    private readonly incident: Incident,
    private readonly contextTypes: Record<string, ParamDecl> | null,
    private readonly audit: AuditTrail,
    private readonly options: StepRunnerOptions = {},
  ) {}

  /** Set once a human approved the run: its remaining work goes ahead of automatic work. */
  humanApproved = false;

  private priority(rollback: boolean): { priority?: { priorityKey: number } } {
    if (!this.options.prioritise) return {};
    if (rollback) return { priority: { priorityKey: PRIORITY.rollback } };
    return this.humanApproved ? { priority: { priorityKey: PRIORITY.approved } } : {};
  }

  private render(spec: ExecutorSpec, step: string): ResolvedExecutor {
    return (this.options.renderer ?? rendererFor(true)).step(spec, this.vars(), step, this.contextTypes);
  }

  /** true or false, or why `when:` could not be evaluated (a failure of the step, not of the workflow task). */
  private whenHolds(cel: string): boolean | string {
    try {
      return Boolean(evalCondition(cel, this.vars(), this.contextTypes));
    } catch (error) {
      return `when: ${cel} could not be evaluated: ${failureMessage(error)}`;
    }
  }

  /** The context once, inside the incident: activity inputs are in history, and incidents may be large. */
  private activityVars(): ActivityVars {
    return { incident: this.incident, steps: this.outputs };
  }

  vars(): StepVars {
    return { incident: this.incident, context: this.incident.context, steps: this.outputs };
  }

  /** A pre-check runs once; a post-check polls until it holds or its deadline passes. */
  async check(step: CheckStep, stage: 'pre' | 'post'): Promise<CheckOutcome> {
    this.currentStep = step.id;
    const retry = { maximumAttempts: CHECK_ATTEMPTS, initialInterval: '1s', nonRetryableErrorTypes: ['ExpressionFailed'] };
    const { runCheck } = this.options.localChecks
      ? proxyLocalActivities<RemediationActivities>({ startToCloseTimeout: step.timeoutMs, retry })
      : proxyActivities<RemediationActivities>({ startToCloseTimeout: step.timeoutMs, retry, ...this.priority(false) });
    // `when:` holds for checks as for actions (runs recorded before `check-when` ran every check).
    if (step.when && patched('check-when')) {
      const applies = this.whenHolds(step.when.cel);
      if (applies !== true) {
        const outcome: CheckOutcome = applies === false ? { passed: true, reason: `skipped: ${step.when.cel} is false` } : { passed: false, reason: applies };
        this.audit.record(outcome.passed ? 'STEP_SUCCEEDED' : 'STEP_FAILED', `${stage}-check ${step.check}: ${outcome.reason}`, { step: step.id, data: { stage, check: step.check, when: step.when.cel } });
        return outcome;
      }
    }
    const deadline = Date.now() + (stage === 'post' ? step.deadlineMs : 0);
    for (let poll = 1; ; poll++) {
      let outcome: CheckOutcome;
      let probe: ResolvedExecutor | undefined;
      try {
        // A probe that cannot be rendered is this check failing, never a workflow task that fails on every retry.
        probe = step.probe ? this.render(step.probe, step.id) : undefined;
        outcome = await runCheck({
          step: step.id,
          check: step.check,
          probe,
          condition: step.condition.cel,
          vars: this.activityVars(),
          contextTypes: this.contextTypes,
          timeoutMs: step.timeoutMs,
        });
      } catch (error) {
        outcome = { passed: false, reason: `${step.check} could not be evaluated: ${failureMessage(error)}` };
      }
      // The check's stage, request and result, so the audit shows it however it ran.
      this.audit.record(outcome.passed ? 'STEP_SUCCEEDED' : 'STEP_FAILED', `${stage}-check ${step.check} (poll ${poll}): ${outcome.reason}`, {
        step: step.id,
        data: { stage, check: step.check, poll, condition: step.condition.cel, ...(probe ? { probe: describeRun(probe) } : {}), ...(outcome.probe ? { result: summarise(outcome.probe) } : {}) },
      });
      if (outcome.passed || Date.now() + step.intervalMs > deadline) return outcome;
      await sleep(step.intervalMs);
    }
  }

  /** Runs actions and waits in order; returns why it stopped, or undefined when all succeeded. */
  async executeAll(steps: ExecutionStep[], options: { rollback?: boolean } = {}): Promise<string | undefined> {
    for (const step of steps) {
      this.currentStep = step.id;
      const lost = this.options.leaseLost?.();
      if (lost !== undefined) throw new LeaseLostError(`${options.rollback ? 'rollback ' : ''}${step.id}`, lost);
      if (step.when) {
        const applies = this.whenHolds(step.when.cel);
        if (applies === false) {
          this.audit.record('STEP_SUCCEEDED', `${step.id} skipped: ${step.when.cel} is false`, { step: step.id });
          continue;
        }
        if (applies !== true) {
          const message = `${step.id} failed: ${applies}`;
          this.audit.record('STEP_FAILED', message, { step: step.id });
          return message;
        }
      }
      if (step.kind === 'wait') {
        this.audit.record('STEP_STARTED', `waiting ${Math.round(step.durationMs / 1000)} s`, { step: step.id });
        await sleep(step.durationMs);
        this.audit.record('STEP_SUCCEEDED', `waited ${Math.round(step.durationMs / 1000)} s`, { step: step.id });
        continue;
      }
      let run: ResolvedExecutor;
      try {
        run = this.render(step.run, step.id);
      } catch (error) {
        // A step that cannot be rendered (a missing output, a refused value) fails as a step: a rollback raises ROLLBACK_FAILED.
        const message = `${step.id} failed: cannot be rendered: ${failureMessage(error)}`;
        this.audit.record('STEP_FAILED', message, { step: step.id });
        return message;
      }
      const idempotencyKey = `${this.workflowId}/${options.rollback ? 'rollback/' : ''}${step.id}`;
      this.audit.record('STEP_STARTED', `${options.rollback ? 'rollback ' : ''}${step.id}: ${describeRun(run)}`, {
        step: step.id,
        data: { idempotencyKey, run },
      });
      const { runAction } = proxyActivities<RemediationActivities>({
        startToCloseTimeout: step.timeoutMs,
        retry: { maximumAttempts: step.retries + 1, initialInterval: '2s', nonRetryableErrorTypes: ['ExpressionFailed'] },
        ...this.priority(options.rollback === true),
      });
      try {
        const { result, outputs } = await runAction({
          step: step.id,
          run,
          idempotencyKey,
          timeoutMs: step.timeoutMs,
          outputs: Object.fromEntries(Object.entries(step.outputs).map(([name, expr]) => [name, expr.cel])),
          vars: this.activityVars(),
          contextTypes: this.contextTypes,
        });
        this.outputs[step.id] = outputs as Record<string, unknown>;
        this.audit.record('STEP_SUCCEEDED', `${step.id} succeeded`, { step: step.id, data: { result: summarise(result), outputs } });
      } catch (error) {
        const message = `${step.id} failed: ${failureMessage(error)}`;
        this.audit.record('STEP_FAILED', message, { step: step.id });
        return message;
      }
    }
    this.currentStep = null;
    return undefined;
  }
}

function summarise(result: unknown): unknown {
  if (!result || typeof result !== 'object') return result;
  const { stdout, stderr, body, ...rest } = result as Record<string, unknown>;
  const cut = (v: unknown) => (typeof v === 'string' && v.length > 500 ? `${v.slice(0, 500)}…` : v);
  return { ...rest, stdout: cut(stdout), stderr: cut(stderr), body: cut(body) };
}

function failureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return failureMessage(error.cause);
  if (error instanceof ApplicationFailure) return error.message;
  return error instanceof Error ? error.message : String(error);
}
