/**
 * The coordinator's own record through a storm: every run it continued through, and any workflow
 * task that failed or timed out in them. A healthy coordinator has none: a failed task is replayed,
 * and every remediation waits meanwhile.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export interface CoordinatorHealth {
  runs: number;
  events: number;
  workflowTaskFailures: number;
  workflowTaskTimeouts: number;
  failureCauses: string[];
}

export async function coordinatorHealth(client: Client, workflowId: string, maxRuns = 100): Promise<CoordinatorHealth> {
  const health: CoordinatorHealth = { runs: 0, events: 0, workflowTaskFailures: 0, workflowTaskTimeouts: 0, failureCauses: [] };
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId && health.runs < maxRuns) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    health.runs += 1;
    health.events += events.length;
    for (const event of events) {
      if (event.workflowTaskFailedEventAttributes) {
        health.workflowTaskFailures += 1;
        const cause = `${event.workflowTaskFailedEventAttributes.cause}: ${event.workflowTaskFailedEventAttributes.failure?.message ?? ''}`;
        if (health.failureCauses.length < 5) health.failureCauses.push(cause.slice(0, 300));
      }
      if (event.workflowTaskTimedOutEventAttributes) health.workflowTaskTimeouts += 1;
    }
    const previous: string | null | undefined = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    runId = previous || undefined;
  }
  return health;
}
