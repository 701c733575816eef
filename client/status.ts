/** Asking a remediation for its status: a query, answered by a worker, so it gets a deadline. */
import type { WorkflowHandle } from '@temporalio/client';
import { statusQuery } from '../contracts/messages';
import type { RemediationStatus } from '../contracts/types';
import { isUnreachable } from './connect';

/** A worker answers a query within this, or there is none. */
const QUERY_DEADLINE_MS = 5_000;

/** The status, or undefined when no worker answered in time (the server itself is reachable). */
export async function queryStatus(handle: WorkflowHandle, deadlineMs = QUERY_DEADLINE_MS): Promise<RemediationStatus | undefined> {
  try {
    return await handle.client.connection.withDeadline(Date.now() + deadlineMs, () => handle.query(statusQuery));
  } catch (error) {
    if (isUnreachable(error)) throw error;
    return undefined;
  }
}
