/**
 * Sending a signed approval or rejection, and learning at once whether it counted: the `decide`
 * update answers with the workflow's verdict (a refusal names its reason, and is in the audit).
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { ApprovalStatement, SignedStatement } from '../dsl/trust/types';
import { decideUpdate } from '../contracts/messages';
import type { remediateIncident } from '../workflows/remediation';
import type { DecisionAnswer, RemediationStatus } from '../contracts/types';
import { queryStatus } from './status';
import { EXIT, UserFacingError } from '../dsl/user-facing-error';

/** The remediation has finished: nothing is waiting for a decision. */
export class RemediationClosedError extends UserFacingError {
  override readonly name = 'RemediationClosedError';
  readonly exitCode = EXIT.FAILED;
  constructor(
    readonly workflowId: string,
    readonly status: string,
  ) {
    super(`${workflowId} is no longer running (${status.toLowerCase()}); there is nothing to decide`);
  }
}

/** The remediation runs but is not waiting for a human (or no worker answered): nothing is signed. */
export class NotAwaitingApprovalError extends UserFacingError {
  override readonly name = 'NotAwaitingApprovalError';
  readonly exitCode = EXIT.FAILED;
}

export interface PendingApproval {
  runId: string;
  status: RemediationStatus;
  planHash: string;
}

/** The run waiting for approval, with the plan it waits on; refuses anything else before a key is used. */
export async function pendingApproval(handle: WorkflowHandle<typeof remediateIncident>): Promise<PendingApproval> {
  const description = await handle.describe();
  if (description.status.name !== 'RUNNING') throw new RemediationClosedError(handle.workflowId, description.status.name);
  const status = await queryStatus(handle);
  if (!status) throw new NotAwaitingApprovalError(`${handle.workflowId}: no worker answered; start one with \`remediate worker\``);
  if (status.phase !== 'awaiting_approval' || !status.planHash) {
    throw new NotAwaitingApprovalError(`${handle.workflowId} is not waiting for approval (phase ${status.phase})`);
  }
  return { runId: description.runId, status, planHash: status.planHash };
}

/** The statement a person signs for this run. */
export function decisionStatement(
  pending: PendingApproval,
  workflowId: string,
  decision: { verdict: 'approve' | 'reject'; planHash: string; reason?: string; principal?: string; onBehalfOf?: string; at?: Date },
): ApprovalStatement {
  return {
    kind: 'remediate.approval',
    version: 1,
    verdict: decision.verdict,
    incidentId: pending.status.incidentId,
    workflowId,
    runId: pending.runId,
    planHash: decision.planHash,
    reason: decision.reason ?? '',
    at: (decision.at ?? new Date()).toISOString(),
    ...(decision.principal ? { principal: decision.principal } : {}),
    ...(decision.onBehalfOf ? { onBehalfOf: decision.onBehalfOf } : {}),
  };
}

export async function sendDecision(handle: WorkflowHandle<typeof remediateIncident>, signed: SignedStatement): Promise<DecisionAnswer> {
  try {
    return await handle.executeUpdate(decideUpdate, { args: [signed] });
  } catch (error) {
    // The validator refused it outright (too large, too many refusals): nothing was recorded.
    if (error instanceof WorkflowUpdateFailedError)
      return { counted: false, message: error.cause?.message ?? error.message, approvals: 0, needed: 0 };
    if (error instanceof WorkflowNotFoundError) throw new RemediationClosedError(handle.workflowId, 'COMPLETED');
    throw error;
  }
}
