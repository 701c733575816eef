/**
 * Executing the plan: pre-checks (read-only; a failure aborts before any action), then the actions
 * and their verification; a failure rolls back once, and a rollback that fails is escalated, never
 * retried in a loop. A verification that could not read the live system is no evidence that the
 * change made things worse: it fails the run without a rollback, for a human to check. This phase
 * always finishes the run.
 */
import { patched } from '@temporalio/workflow';
import type { CompiledRunbook, Outcome } from '../../dsl/types';
import { LeaseLostError, StepRunner } from '../step-runner';
import type { Held } from './acquire';
import { NOTICES } from './notices';
import type { Ending, Run } from './phase';

export async function execute(run: Run, held: Held): Promise<Ending> {
  const { runbook, plan } = held;
  run.audit.record('EXECUTING', `running ${runbook.id} (${runbook.version.slice(0, 12)})`, { data: { planHash: plan.hash } });
  run.progress.enter('pre_checks');
  const steps = new StepRunner(run.workflowId, run.incident, runbook.context, run.audit, {
    leaseLost: () => run.access.lostReason(),
    prioritise: run.batched,
    localChecks: run.localChecks,
    renderer: run.renderer,
  });
  // A run a human approved goes ahead of automatic work.
  steps.humanApproved = held.humanApproved;
  run.progress.running(steps);
  return { outcome: await runSteps(run, held, steps), decision: held.decision };
}

async function runSteps(run: Run, { runbook }: Held, steps: StepRunner): Promise<Outcome> {
  for (const check of runbook.preChecks) {
    const checked = await steps.check(check, 'pre');
    if (!checked.passed) {
      run.audit.record('PRE_CHECK_FAILED', checked.reason, { step: check.id });
      await run.notify(NOTICES.preCheckFailed(run.incident.id, check.check, checked.reason));
      return 'aborted';
    }
  }
  run.progress.enter('acting');
  try {
    return await actAndVerify(run, runbook, steps);
  } catch (error) {
    if (!(error instanceof LeaseLostError)) throw error;
    run.audit.record('LEASE_LOST', error.message, { step: error.step });
    run.audit.record('FAILED', `${runbook.id} stopped: it no longer holds its guardrail slot`);
    await run.notify(NOTICES.leaseLost(run.incident.id, runbook, run.incident.service, error.message));
    return 'failed';
  }
}

/** Why the actions or their verification failed (`inconclusive`: verification could not read the live system); undefined when both passed. */
async function actionFailure(
  run: Run,
  { actions, postChecks }: CompiledRunbook,
  steps: StepRunner,
): Promise<{ reason: string; inconclusive: boolean } | undefined> {
  const failed = await steps.executeAll(actions);
  if (failed) return { reason: failed, inconclusive: false };
  run.progress.enter('verifying');
  for (const check of postChecks) {
    const verified = await steps.check(check, 'post');
    if (verified.passed) continue;
    // Runs recorded before the patch rolled back on any failed verification.
    const inconclusive = verified.evidence !== 'live' && patched('inconclusive-verification-no-rollback');
    run.audit.record(inconclusive ? 'VERIFICATION_INCONCLUSIVE' : 'VERIFICATION_FAILED', verified.reason, {
      step: check.id,
      ...(inconclusive ? { data: { check: check.check, evidence: verified.evidence ?? 'unreadable' } } : {}),
    });
    return { reason: verified.reason, inconclusive };
  }
  return undefined;
}

async function actAndVerify(run: Run, runbook: CompiledRunbook, steps: StepRunner): Promise<Outcome> {
  const failure = await actionFailure(run, runbook, steps);
  if (!failure) {
    run.audit.record('SUCCESS', `${runbook.id} remediated ${run.incident.service} and verification passed`);
    await run.notify(NOTICES.remediated(run.incident.id, runbook));
    return 'remediated';
  }
  if (failure.inconclusive) {
    // A rollback on no evidence could undo a fix that worked ("undo the undo"): a human decides.
    run.audit.record('FAILED', `${failure.reason}; not rolled back: verification could not read the live system`);
    await run.notify(NOTICES.verificationInconclusive(run.incident.id, runbook, run.incident.service, failure.reason));
    return 'failed';
  }
  return await rollBack(run, runbook, steps, failure.reason);
}

async function rollBack(run: Run, runbook: CompiledRunbook, steps: StepRunner, failure: string): Promise<Outcome> {
  const { incident, audit } = run;
  if (runbook.rollback.kind !== 'steps') {
    const why = runbook.rollback.kind === 'self_healing' ? 'the runbook declares its action self-healing' : 'the runbook has no rollback';
    audit.record('FAILED', `${failure}; no rollback: ${why}`);
    await run.notify(NOTICES.failedWithoutRollback(incident.id, runbook, failure, why));
    return 'failed';
  }
  run.progress.enter('rolling_back');
  const rollbackFailure = await steps.executeAll(runbook.rollback.steps, { rollback: true });
  if (rollbackFailure) {
    audit.record('ROLLBACK_FAILED', rollbackFailure);
    audit.record('FAILED', `${failure}; rollback failed too`);
    await run.notify(NOTICES.rollbackFailed(incident.id, runbook, failure, rollbackFailure));
    return 'failed';
  }
  audit.record('ROLLED_BACK', `${failure}; rollback completed`);
  await run.notify(NOTICES.rolledBack(incident.id, runbook, failure));
  return 'rolled_back';
}
