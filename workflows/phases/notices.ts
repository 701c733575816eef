/**
 * Every notification a remediation sends, as one table: the kind, severity and words of each.
 * The phases say which notice and with what; the notifier adds the incident's own fields and the link.
 */
import type { CompiledRunbook, Decision } from '../../dsl/types';
import type { Notification } from '../../activities/notify/types';
import type { Plan } from '../plan';

/**
 * A notice before the notifier completes it. `fields`, when given, replaces the incident's default
 * fields (service, root cause, confidence) rather than adding to them, as notifications always have.
 */
export type Notice = Pick<Notification, 'kind' | 'severity' | 'title' | 'text'> & Partial<Pick<Notification, 'approveCommand' | 'fields'>>;

type Runbook = Pick<CompiledRunbook, 'id' | 'risk' | 'owner' | 'approval'>;

const short = (hash: string) => hash.slice(0, 12);
const kindOf = (decision: Decision) => (decision.decision === 'blocked' ? 'blocked' : 'manual');

export const NOTICES = {
  /** The first decision was not to act (or named a runbook the catalogue lacks). */
  notActing: (incidentId: string, decision: Decision): Notice => ({
    kind: kindOf(decision),
    severity: 'warning',
    title: `${incidentId}: ${decision.decision === 'blocked' ? 'remediation blocked' : 'needs a human'} (${decision.event})`,
    text: decision.reason,
  }),
  /** A runbook was chosen, then a later look at the guardrails stopped it. */
  notRun: (incidentId: string, runbook: Runbook, decision: Decision): Notice => ({
    kind: kindOf(decision),
    severity: 'warning',
    title: `${incidentId}: ${runbook.id} not run (${decision.event})`,
    text: decision.reason,
  }),
  contextInvalid: (incidentId: string, runbook: Runbook, problems: string[]): Notice => ({
    kind: 'failure',
    severity: 'warning',
    title: `${incidentId}: cannot run ${runbook.id}`,
    text: problems.join('\n'),
  }),
  approvalNeeded: (incidentId: string, runbook: Runbook, plan: Plan, why: string, approveCommand: string): Notice => ({
    kind: 'approval_needed',
    severity: 'warning',
    title: `${incidentId}: approval needed for ${runbook.id} (${runbook.risk} risk)`,
    text: `${why}. Plan ${short(plan.hash)}:\n${plan.summary.join('\n')}`,
    approveCommand,
    fields: { approvals_needed: runbook.approval.quorum, plan_hash: plan.hash },
  }),
  escalated: (incidentId: string, runbook: Runbook): Notice => ({
    kind: 'escalation',
    severity: 'critical',
    title: `${incidentId}: approval for ${runbook.id} still pending`,
    text: `Escalated to ${runbook.approval.escalationTarget ?? runbook.owner}; it expires to manual handling when the approval timeout runs out.`,
    fields: { escalation_target: runbook.approval.escalationTarget ?? runbook.owner },
  }),
  rejected: (incidentId: string, runbook: Runbook, by: string, reason: string): Notice => ({
    kind: 'rejected',
    severity: 'info',
    title: `${incidentId}: ${runbook.id} rejected by ${by}`,
    text: reason,
  }),
  expired: (incidentId: string): Notice => ({
    kind: 'expired',
    severity: 'warning',
    title: `${incidentId}: approval expired`,
    text: 'Handed to manual handling.',
  }),
  /** The alert resolved while humans were asked: the request is withdrawn, nothing ran. */
  resolvedOnItsOwn: (incidentId: string, runbook: Runbook, endsAt: string): Notice => ({
    kind: 'resolved',
    severity: 'info',
    title: `${incidentId}: approval for ${runbook.id} withdrawn, the alert resolved on its own`,
    text: `The alert resolved at ${endsAt} before anyone approved. Nothing was run; no decision is needed.`,
  }),
  approved: (incidentId: string, runbook: Runbook, approvers: string[], plan: Plan): Notice => ({
    kind: 'approved',
    severity: 'info',
    title: `${incidentId}: ${runbook.id} approved by ${approvers.join(', ')}`,
    text: `Plan ${short(plan.hash)} will run after guardrails and pre-checks are evaluated again.`,
  }),
  preCheckFailed: (incidentId: string, check: string, reason: string): Notice => ({
    kind: 'failure',
    severity: 'warning',
    title: `${incidentId}: pre-check ${check} failed, nothing was changed`,
    text: reason,
  }),
  leaseLost: (incidentId: string, runbook: Runbook, service: string, why: string): Notice => ({
    kind: 'failure',
    severity: 'critical',
    title: `${incidentId}: ${runbook.id} stopped, its guardrail slot was lost: a human must check ${service}`,
    text: `${why}. Steps that already ran were not rolled back; the system may be in a partial state.`,
  }),
  remediated: (incidentId: string, runbook: Runbook): Notice => ({
    kind: 'success',
    severity: 'info',
    title: `${incidentId}: remediated by ${runbook.id}`,
    text: 'Actions ran and verification passed.',
  }),
  failedWithoutRollback: (incidentId: string, runbook: Runbook, failure: string, why: string): Notice => ({
    kind: 'failure',
    severity: 'critical',
    title: `${incidentId}: ${runbook.id} failed`,
    text: `${failure}\nNo rollback: ${why}.`,
  }),
  /** A post-check failed without reading the live system: nothing was rolled back. */
  verificationInconclusive: (incidentId: string, runbook: Runbook, service: string, failure: string): Notice => ({
    kind: 'failure',
    severity: 'critical',
    title: `${incidentId}: ${runbook.id} could not be verified, nothing was rolled back: a human must check ${service}`,
    text:
      `${failure}\nVerification could not read the live system (a probe error, a timeout, "no samples", or a check of the incident's own data), ` +
      'so it is no evidence that the change made things worse. The change stays in place; nothing was rolled back.',
  }),
  rollbackFailed: (incidentId: string, runbook: Runbook, failure: string, rollbackFailure: string): Notice => ({
    kind: 'rollback_failed',
    severity: 'critical',
    title: `${incidentId}: ROLLBACK FAILED for ${runbook.id}: a human must act now`,
    text: `Remediation failed (${failure}) and its rollback failed (${rollbackFailure}). The system may be in a partial state.`,
  }),
  rolledBack: (incidentId: string, runbook: Runbook, failure: string): Notice => ({
    kind: 'rollback',
    severity: 'warning',
    title: `${incidentId}: ${runbook.id} rolled back`,
    text: failure,
  }),
} as const;

/** The command an approver is shown: signed approvals, or the old signal for runs from before them (which the CLI no longer sends). */
export const APPROVE_COMMANDS = {
  signed: (incidentId: string, plan: Plan) => `remediate approve ${incidentId} --key YOUR_SSH_KEY --plan ${plan.hash}`,
  signal: (workflowId: string, plan: Plan) =>
    `temporal workflow signal --workflow-id ${workflowId} --name approve --input '{"by":"YOUR_NAME","planHash":"${plan.hash}"}'`,
} as const;
