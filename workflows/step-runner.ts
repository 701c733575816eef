/**
 * Runs the steps of one remediation as activities, each kind with its own retry policy:
 * checks are read-only and retry transient errors; actions carry an idempotency key
 * (workflow id + step) and retry only as the runbook allows; post-checks poll with durable timers.
 */
import { patched, proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
import { evalCondition } from '../dsl/cel';
import { describeRun } from '../dsl/steps/describe';
import type { ActionStep, CheckStep, ExecutionStep, ExecutorSpec, Incident, ParamDecl, ResolvedExecutor } from '../dsl/types';
import type { ActionRequest, ActivityVars, CheckOutcome, CheckRequest, RemediationActivities, StepVars } from '../activities/remediation';
import type { AuditTrail } from './audit';
import { EvidenceTally, pollHeld } from './check-polling';
import { rendererFor, type Renderer } from './renderer';
import { failureMessage, summarise } from './step-outcomes';

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

  /**
   * A pre-check runs once; a post-check polls until it holds or its deadline passes; a check with
   * settle or hold_for (either stage) runs on their schedule (workflows/check-polling.ts).
   */
  async check(step: CheckStep, stage: CheckRequest['stage']): Promise<CheckOutcome> {
    this.currentStep = step.id;
    // `when:` holds for checks as for actions (runs recorded before `check-when` ran every check).
    if (step.when && patched('check-when')) {
      const skipped = this.checkNotApplying(step, step.when.cel, stage);
      if (skipped) return skipped;
    }
    const runCheck = this.checkActivity(step);
    const poll = (n: number) => this.pollCheck(runCheck, step, stage, n);
    // Only runbooks compiled with settle or hold_for take the new schedule: the others run as before.
    if (step.settleMs || step.holdForMs) return await pollHeld(step, poll);
    const tally = new EvidenceTally();
    const deadline = Date.now() + (stage === 'post' ? step.deadlineMs : 0);
    for (let n = 1; ; n++) {
      const outcome = await poll(n);
      tally.saw(outcome);
      if (outcome.passed || Date.now() + step.intervalMs > deadline) return tally.outcome(outcome);
      await sleep(step.intervalMs);
    }
  }

  /** The check's outcome when its `when:` is false (it passes) or cannot be evaluated (it fails); undefined when it applies. */
  private checkNotApplying(step: CheckStep, cel: string, stage: CheckRequest['stage']): CheckOutcome | undefined {
    const applies = this.whenHolds(cel);
    if (applies === true) return undefined;
    const outcome: CheckOutcome =
      applies === false
        ? { passed: true, reason: `skipped: ${cel} is false`, evidence: 'context' }
        : { passed: false, reason: applies, evidence: 'unreadable' };
    this.audit.record(outcome.passed ? 'STEP_SUCCEEDED' : 'STEP_FAILED', `${stage}-check ${step.check}: ${outcome.reason}`, {
      step: step.id,
      data: { stage, check: step.check, when: cel },
    });
    return outcome;
  }

  private checkActivity(step: CheckStep): RemediationActivities['runCheck'] {
    const retry = { maximumAttempts: CHECK_ATTEMPTS, initialInterval: '1s', nonRetryableErrorTypes: ['ExpressionFailed'] };
    const { runCheck } = this.options.localChecks
      ? proxyLocalActivities<RemediationActivities>({ startToCloseTimeout: step.timeoutMs, retry })
      : proxyActivities<RemediationActivities>({ startToCloseTimeout: step.timeoutMs, retry, ...this.priority(false) });
    return runCheck;
  }

  /** One evaluation of a check, recorded in the trail with its stage, request and result, so the audit shows it however it ran. */
  private async pollCheck(
    runCheck: RemediationActivities['runCheck'],
    step: CheckStep,
    stage: CheckRequest['stage'],
    poll: number,
  ): Promise<CheckOutcome> {
    let outcome: CheckOutcome;
    let probe: ResolvedExecutor | undefined;
    try {
      // A probe that cannot be rendered is this check failing, never a workflow task that fails on every retry.
      probe = step.probe ? this.render(step.probe, step.id) : undefined;
      const answer = await runCheck({
        step: step.id,
        stage,
        check: step.check,
        probe,
        condition: step.condition.cel,
        vars: this.activityVars(),
        contextTypes: this.contextTypes,
        timeoutMs: step.timeoutMs,
      });
      // Outcomes recorded before `evidence` existed: a result of a probe is a live reading.
      outcome = { ...answer, evidence: answer.evidence ?? (step.probe ? 'live' : 'context') };
    } catch (error) {
      outcome = { passed: false, reason: `${step.check} could not be evaluated: ${failureMessage(error)}`, evidence: 'unreadable' };
    }
    this.audit.record(outcome.passed ? 'STEP_SUCCEEDED' : 'STEP_FAILED', `${stage}-check ${step.check} (poll ${poll}): ${outcome.reason}`, {
      step: step.id,
      data: {
        stage,
        check: step.check,
        poll,
        condition: step.condition.cel,
        ...(probe ? { probe: describeRun(probe) } : {}),
        ...(outcome.probe ? { result: summarise(outcome.probe) } : {}),
      },
    });
    return outcome;
  }

  /** Runs actions and waits in order; returns why it stopped, or undefined when all succeeded. */
  async executeAll(steps: ExecutionStep[], options: { rollback?: boolean } = {}): Promise<string | undefined> {
    const stage: ActionRequest['stage'] = options.rollback ? 'rollback' : 'action';
    for (const step of steps) {
      const failure = await this.executeStep(step, stage);
      if (failure !== undefined) return failure;
    }
    this.currentStep = null;
    return undefined;
  }

  /** One action or wait (or its skip by `when:`); returns why it failed, or undefined to go on. */
  private async executeStep(step: ExecutionStep, stage: ActionRequest['stage']): Promise<string | undefined> {
    this.currentStep = step.id;
    const lost = this.options.leaseLost?.();
    if (lost !== undefined) throw new LeaseLostError(`${stage === 'rollback' ? 'rollback ' : ''}${step.id}`, lost);
    if (step.when) {
      const applies = this.whenHolds(step.when.cel);
      if (applies === false) {
        this.audit.record('STEP_SUCCEEDED', `${step.id} skipped: ${step.when.cel} is false`, { step: step.id });
        return undefined;
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
      return undefined;
    }
    return await this.runAction(step, stage);
  }

  private async runAction(step: ActionStep, stage: ActionRequest['stage']): Promise<string | undefined> {
    const rollback = stage === 'rollback';
    let run: ResolvedExecutor;
    try {
      run = this.render(step.run, step.id);
    } catch (error) {
      // A step that cannot be rendered (a missing output, a refused value) fails as a step: a rollback raises ROLLBACK_FAILED.
      const message = `${step.id} failed: cannot be rendered: ${failureMessage(error)}`;
      this.audit.record('STEP_FAILED', message, { step: step.id });
      return message;
    }
    const idempotencyKey = `${this.workflowId}/${rollback ? 'rollback/' : ''}${step.id}`;
    this.audit.record('STEP_STARTED', `${rollback ? 'rollback ' : ''}${step.id}: ${describeRun(run)}`, {
      step: step.id,
      data: { idempotencyKey, run },
    });
    const { runAction } = proxyActivities<RemediationActivities>({
      startToCloseTimeout: step.timeoutMs,
      retry: { maximumAttempts: step.retries + 1, initialInterval: '2s', nonRetryableErrorTypes: ['ExpressionFailed'] },
      ...this.priority(rollback),
    });
    try {
      const { result, outputs } = await runAction({
        step: step.id,
        stage,
        run,
        idempotencyKey,
        timeoutMs: step.timeoutMs,
        outputs: Object.fromEntries(Object.entries(step.outputs).map(([name, expr]) => [name, expr.cel])),
        vars: this.activityVars(),
        contextTypes: this.contextTypes,
      });
      this.outputs[step.id] = outputs;
      this.audit.record('STEP_SUCCEEDED', `${step.id} succeeded`, { step: step.id, data: { result: summarise(result), outputs } });
      return undefined;
    } catch (error) {
      const message = `${step.id} failed: ${failureMessage(error)}`;
      this.audit.record('STEP_FAILED', message, { step: step.id });
      return message;
    }
  }
}
