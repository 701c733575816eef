/**
 * `GET /readyz`: ready when the Temporal connection answers and the guardrail coordinator runs (a
 * remediation cannot pass its guardrails without it). Each check has a deadline, so a hung server
 * makes the probe fail rather than hang.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Readiness } from './server';

const CHECK_TIMEOUT_MS = 3_000;

export function temporalReadiness(client: Client, coordinatorWorkflowId: string): () => Promise<Readiness> {
  return async () => {
    try {
      await withDeadline(client.workflowService.getSystemInfo({}), 'the Temporal server did not answer');
    } catch (error) {
      return { ready: false, reason: `the Temporal server is not reachable: ${message(error)}` };
    }
    try {
      const described = await withDeadline(client.workflow.getHandle(coordinatorWorkflowId).describe(), 'describing it timed out');
      if (described.status.name !== 'RUNNING')
        return { ready: false, reason: `the guardrail coordinator ${coordinatorWorkflowId} is ${described.status.name.toLowerCase()}` };
      return { ready: true };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError)
        return { ready: false, reason: `the guardrail coordinator ${coordinatorWorkflowId} does not exist (no worker has started it)` };
      return { ready: false, reason: `the guardrail coordinator ${coordinatorWorkflowId} is not reachable: ${message(error)}` };
    }
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
