/**
 * Releasing the guardrail slot once the plan ran, however it ended, even when the workflow is
 * cancelled: the coordinator learns from the outcome, and only a verified fix closes a breaker.
 */
import { CancellationScope } from '@temporalio/workflow';
import type { ReleaseResult } from '../../dsl/guardrail-state';
import type { Ending, Run } from './phase';

/** How executing ended: with an outcome, or with an error (a cancellation, a failed task) that the workflow rethrows after releasing. */
export type Executed = { kind: 'ended'; ending: Ending } | { kind: 'threw'; error: unknown };

export async function release(run: Run, executed: Executed): Promise<void> {
  if (!run.access.holding()) return;
  const released = releaseResult(executed);
  // Runs even when the workflow is cancelled: the slot must be freed.
  await CancellationScope.nonCancellable(async () => {
    try {
      await run.access.release(released);
      run.audit.record('LEASE_RELEASED', `guardrail slot released (${released})`);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      run.audit.record('GUARDRAILS_UNAVAILABLE', `${why}; the slot is freed when its lease expires, and counts as a failure then`);
    }
  });
}

/** What the guardrails learn from how a run ended: only a verified fix closes a breaker. */
function releaseResult(executed: Executed): ReleaseResult {
  if (executed.kind === 'threw') return 'no_action';
  switch (executed.ending.outcome) {
    case 'remediated':
      return 'success';
    case 'rolled_back':
    case 'failed':
      return 'failure';
    case 'aborted':
    case 'manual':
    case 'blocked':
    case 'rejected':
    case 'expired':
      return 'no_action';
  }
}
