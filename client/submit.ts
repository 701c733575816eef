/**
 * Submitting an incident: one workflow per incident id. A repeat of an incident that is being
 * (or was) handled attaches to that remediation instead of starting a second one, because alert
 * storms repeat themselves.
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { CompiledCatalogue, Incident } from '../dsl/types';
import { remediationWorkflowId } from '../workflows/messages';
import type { remediateIncident } from '../workflows/remediation';
import type { OperatorPolicy } from '../workflows/types';

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
    catalogue: CompiledCatalogue;
    policy: OperatorPolicy;
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
      args: [{ incident: request.incident, catalogue: request.catalogue, policy: request.policy }],
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

/** The seed's defaults: at most 3 remediations at once, touching at most 1 service. */
export function defaultPolicy(overrides: Partial<OperatorPolicy> = {}): OperatorPolicy {
  return {
    defaultApprovers: [],
    approverGroups: {},
    namespace: 'default',
    limits: { maxConcurrent: 3, maxServices: 1 },
    ...overrides,
  };
}
