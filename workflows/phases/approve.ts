/**
 * Approval: humans approve when the risk, the runbook's mode or a change window says so. An approval
 * is bound to the plan's hash; a plan that changed while they decided is put to them again.
 */
import type { CompiledRunbook } from '../../dsl/types';
import type { GateOutcome } from '../approval-gate';
import { authorisedApprovers } from '../approval-rules';
import { planFor, type Plan } from '../plan';
import { APPROVE_COMMANDS, NOTICES } from './notices';
import { finish, proceed, stop, type PhaseResult, type Run } from './phase';
import type { Planned } from './decide';

/** Cleared to take a guardrail slot: the plan as approved, and whether a human approved it. */
export interface Cleared extends Planned {
  humanApproved: boolean;
}

export type ApprovalAnswer = { kind: 'approved'; plan: Plan } | { kind: 'refused'; outcome: 'rejected' | 'expired' | 'aborted' };

export async function approve(run: Run, planned: Planned): Promise<PhaseResult<Cleared>> {
  if (planned.decision.decision !== 'approval_required') return proceed({ ...planned, humanApproved: false });
  const answer = await seekApproval(run, planned.runbook, planned.plan, planned.decision.reason);
  if (answer.kind === 'refused') return finish(answer.outcome, planned.decision);
  // The world may have changed while humans decided: evaluate the guardrails again.
  const again = await run.access.recheckAfterApproval();
  if (again && (again.decision === 'blocked' || again.decision === 'manual' || again.runbook !== planned.runbook.id)) {
    return await stop(run, planned.runbook, again, 'after approval: ');
  }
  return proceed({ ...planned, plan: answer.plan, humanApproved: true });
}

/** Asks until humans approve the current plan, reject it, or let the approval expire. */
export async function seekApproval(run: Run, runbook: CompiledRunbook, shown: Plan, why: string): Promise<ApprovalAnswer> {
  const { incident, audit, gate, progress } = run;
  const allowed = authorisedApprovers(runbook.approval, run.policy.defaultApprovers, run.policy.approverGroups);
  for (let plan = shown; ;) {
    progress.enter('awaiting_approval');
    const command = run.ownPolicy ? APPROVE_COMMANDS.signed(incident.id, plan) : APPROVE_COMMANDS.signal(run.workflowId, plan);
    await run.notify(NOTICES.approvalNeeded(incident.id, runbook, plan, why, command));
    const verdict = await gate.wait({
      planHash: plan.hash,
      allowed,
      quorum: runbook.approval.quorum,
      submittedBy: run.submittedBy,
      timeoutMs: runbook.approval.timeoutMs,
      escalateAfterMs: runbook.approval.escalateAfterMs,
      onEscalate: async () => {
        audit.record('ESCALATED', `no decision yet; escalating to ${runbook.approval.escalationTarget ?? 'the runbook owner'}`);
        await run.notify(NOTICES.escalated(incident.id, runbook));
      },
    });
    if (verdict.kind !== 'approved') return await refused(run, runbook, verdict);
    await run.notify(
      NOTICES.approved(
        incident.id,
        runbook,
        verdict.approvals.map((a) => a.by),
        plan,
      ),
    );
    const replanned = planFor(runbook, incident, run.renderer);
    if (replanned.hash === plan.hash) return { kind: 'approved', plan };
    audit.record('APPROVAL_VOID', `plan changed from ${plan.hash.slice(0, 12)} to ${replanned.hash.slice(0, 12)}; asking again`);
    plan = replanned;
    progress.planned(replanned);
  }
}

async function refused(run: Run, runbook: CompiledRunbook, verdict: Exclude<GateOutcome, { kind: 'approved' }>): Promise<ApprovalAnswer> {
  switch (verdict.kind) {
    case 'rejected':
      await run.notify(NOTICES.rejected(run.incident.id, runbook, verdict.by, verdict.reason));
      return { kind: 'refused', outcome: 'rejected' };
    case 'expired':
      run.audit.record(
        'APPROVAL_EXPIRED',
        `nobody decided within ${Math.round(runbook.approval.timeoutMs / 60000)} min; handing to a human`,
      );
      await run.notify(NOTICES.expired(run.incident.id));
      return { kind: 'refused', outcome: 'expired' };
    case 'withdrawn':
      // Nothing ran and nothing will: the condition the runbook was to fix is gone.
      await run.notify(NOTICES.resolvedOnItsOwn(run.incident.id, runbook, verdict.resolved.endsAt));
      return { kind: 'refused', outcome: 'aborted' };
  }
}
