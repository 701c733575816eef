/**
 * Submitting an incident: one workflow per incident id. A repeat of an incident that is being
 * (or was) handled attaches to that remediation instead of starting a second one, because alert
 * storms repeat themselves. A submission carries the incident and, when the submitter signed it,
 * their signed statement; nothing else. The catalogue, approvers and limits are the worker's.
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { SignedStatement } from '../dsl/trust/types';
import type { Incident } from '../dsl/types';
import { remediationWorkflowId } from '../contracts/messages';
import type { remediateIncident } from '../workflows/remediation';
import { HISTORY_FORMAT } from '../contracts/types';

export interface Submission {
  handle: WorkflowHandle<typeof remediateIncident>;
  workflowId: string;
  /** True when the incident was already being handled and this submission joined it. */
  attached: boolean;
}

export async function submitIncident(
  client: Client,
  request: {
    incident: Incident;
    /** The submitter's signed statement (`signSubmission`); without it the submission is unauthenticated. */
    submission?: SignedStatement;
    taskQueue: string;
    /** Ask the server to hand the first task to a worker on this client's own connection (same process only). */
    eager?: boolean;
  },
): Promise<Submission> {
  const workflowId = remediationWorkflowId(request.incident.id);
  try {
    const handle = await client.workflow.start<typeof remediateIncident>('remediateIncident', {
      workflowId,
      taskQueue: request.taskQueue,
      args: [
        {
          formatVersion: HISTORY_FORMAT.current,
          incident: request.incident,
          ...(request.submission ? { submission: request.submission } : {}),
        },
      ],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      ...(request.eager ? { requestEagerStart: true } : {}),
    });
    return { handle, workflowId, attached: false };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    return { handle: client.workflow.getHandle<typeof remediateIncident>(workflowId), workflowId, attached: true };
  }
}
