/**
 * Acquiring a guardrail slot: the coordinator re-checks atomically before it grants one. Outside a
 * change window the run waits for it to open, or asks a human, as the runbook says.
 */
import { sleep } from '@temporalio/workflow';
import { leaseDuration } from '../../dsl/guardrail-state';
import type { SlotVerdict } from '../guardrail-access';
import { seekApproval, type Cleared } from './approve';
import { finish, proceed, stop, type PhaseResult, type Run } from './phase';

/** A slot is held: the plan may run now. */
export type Held = Cleared;

export async function acquire(run: Run, cleared: Cleared): Promise<PhaseResult<Held>> {
  const { runbook } = cleared;
  for (let current = cleared; ;) {
    const verdict = await run.access.takeSlot({
      incident: run.incident,
      runbook,
      workflowId: run.workflowId,
      humanApproved: current.humanApproved,
      leaseMs: leaseDuration(runbook),
    });
    switch (verdict.kind) {
      case 'granted':
        return proceed(current);
      case 'blocked':
        return await stop(run, runbook, verdict.decision, '');
      case 'outside_window': {
        const next = await outsideWindow(run, current, verdict);
        if (next.kind === 'finish') return next;
        current = next.with;
      }
    }
  }
}

/** Outside the change window: wait for it, or have a human approve acting now; what to ask the coordinator next. */
async function outsideWindow(
  run: Run,
  current: Cleared,
  verdict: Extract<SlotVerdict, { kind: 'outside_window' }>,
): Promise<PhaseResult<Cleared>> {
  if (verdict.outside === 'wait' && verdict.opensAtMs !== undefined) {
    run.audit.record('OUTSIDE_CHANGE_WINDOW', `${verdict.reason}; waiting for it`);
    await sleep(Math.max(1, verdict.opensAtMs - Date.now()));
    return proceed(current);
  }
  if (current.humanApproved) {
    return await stop(
      run,
      current.runbook,
      { decision: 'blocked', event: 'BLAST_LIMITED', runbook: current.runbook.id, reason: verdict.reason },
      '',
    );
  }
  run.audit.record('OUTSIDE_CHANGE_WINDOW', `${verdict.reason}; asking a human instead`);
  const answer = await seekApproval(run, current.runbook, current.plan, verdict.reason);
  if (answer.kind === 'refused') return finish(answer.outcome, current.decision);
  return proceed({ ...current, plan: answer.plan, humanApproved: true });
}
