/**
 * One client connection for one command, from the environment's settings (the SDK's conventions).
 * Loaded lazily by the commands that talk to a server, so `validate` and `plan` start fast.
 */
import type { Session } from '../client/connect';
import type { remediateIncident } from '../workflows/remediation';
import { UsageError } from './errors';

export async function withSession<T>(run: (session: Session) => Promise<T>): Promise<T> {
  const { temporalSettings } = await import('../worker/config');
  const { connectClient, explainUnreachable } = await import('../client/connect');
  const settings = temporalSettings();
  const session = await connectClient(settings);
  try {
    return await run(session);
  } catch (error) {
    throw explainUnreachable(error, settings);
  } finally {
    await session.close();
  }
}

/** The remediation of an incident, which must exist, and its execution status (RUNNING, COMPLETED...). */
export async function remediationHandle(session: Session, incidentId: string) {
  const { WorkflowNotFoundError } = await import('@temporalio/client');
  const { remediationWorkflowId } = await import('../contracts/messages');
  const workflowId = remediationWorkflowId(incidentId);
  const handle = session.client.workflow.getHandle<typeof remediateIncident>(workflowId);
  try {
    return { handle, execution: (await handle.describe()).status.name };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      throw new UsageError(`no remediation for incident ${incidentId} (workflow ${workflowId}) in namespace ${session.settings.namespace}`);
    }
    throw error;
  }
}
