/**
 * Sending an approval or a rejection, and learning whether it counted. Signals carry no answer,
 * so the verdict is read back from the workflow's audit trail: the first approval verdict naming
 * this person after the signal was sent.
 */
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { normaliseActor } from '../workflows/approval-rules';
import { approveSignal, rejectSignal } from '../workflows/messages';
import type { remediateIncident } from '../workflows/remediation';
import type { ApproveSignal, AuditEvent, RejectSignal, RemediationStatus } from '../workflows/types';
import { queryStatus } from './status';

export type HumanDecision = { kind: 'approve'; signal: ApproveSignal } | { kind: 'reject'; signal: RejectSignal };

/** The remediation has finished: nothing is waiting for a decision. */
export class RemediationClosedError extends Error {
  override readonly name = 'RemediationClosedError';
  constructor(
    readonly workflowId: string,
    readonly status: string,
  ) {
    super(`${workflowId} is no longer running (${status.toLowerCase()}); there is nothing to decide`);
  }
}

export interface Delivery {
  /** The status just before sending, when a worker answered. */
  before?: RemediationStatus;
  /** APPROVED, REJECTED or APPROVAL_REFUSED naming the sender; undefined when no verdict was seen in time. */
  verdict?: AuditEvent;
}

const VERDICTS = new Set(['APPROVED', 'REJECTED', 'APPROVAL_REFUSED']);

export async function deliverDecision(
  handle: WorkflowHandle<typeof remediateIncident>,
  decision: HumanDecision,
  options: { waitMs: number; intervalMs?: number },
): Promise<Delivery> {
  const description = await handle.describe();
  if (description.status.name !== 'RUNNING') throw new RemediationClosedError(handle.workflowId, description.status.name);
  const before = await queryStatus(handle);
  try {
    if (decision.kind === 'approve') await handle.signal(approveSignal, decision.signal);
    else await handle.signal(rejectSignal, decision.signal);
  } catch (error) {
    // It closed between the check and the signal.
    if (error instanceof WorkflowNotFoundError) throw new RemediationClosedError(handle.workflowId, 'COMPLETED');
    throw error;
  }
  if (!before) return {};
  const actor = normaliseActor(decision.signal.by);
  const deadline = Date.now() + options.waitMs;
  while (Date.now() < deadline) {
    const now = await queryStatus(handle);
    const verdict = now?.events.slice(before.events.length).find((e) => VERDICTS.has(e.type) && normaliseActor(e.actor ?? '') === actor);
    if (verdict) return { before, verdict };
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
  return { before };
}
