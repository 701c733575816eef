/**
 * The coordinator's own record through a storm: every run it continued through, and any workflow
 * task that failed or timed out in them. A healthy coordinator has none: a failed task is replayed,
 * and every remediation waits meanwhile. A task that timed out on a worker the bench killed died with
 * that worker: it is counted apart, as the kill's expected cost, not as the coordinator's fault.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export interface CoordinatorHealth {
  runs: number;
  events: number;
  workflowTaskFailures: number;
  workflowTaskTimeouts: number;
  /** Of the timeouts, those whose task had started on a worker the bench killed. */
  timeoutsOnKilledWorkers: number;
  failureCauses: string[];
  /** Each other timeout: its kind (start to close, schedule to start) and the worker that held it. */
  timeoutCauses: string[];
}

const TIMEOUT_KINDS: Record<number, string> = { 1: 'start to close', 2: 'schedule to start', 3: 'schedule to close', 4: 'heartbeat' };

export async function coordinatorHealth(
  client: Client,
  workflowId: string,
  killedIdentities: ReadonlySet<string> = new Set(),
  maxRuns = 100,
): Promise<CoordinatorHealth> {
  const health: CoordinatorHealth = {
    runs: 0,
    events: 0,
    workflowTaskFailures: 0,
    workflowTaskTimeouts: 0,
    timeoutsOnKilledWorkers: 0,
    failureCauses: [],
    timeoutCauses: [],
  };
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId && health.runs < maxRuns) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    health.runs += 1;
    health.events += events.length;
    const startedBy = new Map<string, string>();
    for (const event of events) {
      const started = event.workflowTaskStartedEventAttributes;
      if (started) startedBy.set(String(event.eventId), started.identity ?? '');
      if (event.workflowTaskFailedEventAttributes) {
        health.workflowTaskFailures += 1;
        const cause = `${event.workflowTaskFailedEventAttributes.cause}: ${event.workflowTaskFailedEventAttributes.failure?.message ?? ''}`;
        if (health.failureCauses.length < 5) health.failureCauses.push(cause.slice(0, 300));
      }
      const timedOut = event.workflowTaskTimedOutEventAttributes;
      if (timedOut) {
        health.workflowTaskTimeouts += 1;
        const identity = startedBy.get(String(timedOut.startedEventId)) ?? '';
        if (killedIdentities.has(identity)) health.timeoutsOnKilledWorkers += 1;
        else if (health.timeoutCauses.length < 5)
          health.timeoutCauses.push(
            `${TIMEOUT_KINDS[Number(timedOut.timeoutType)] ?? String(timedOut.timeoutType)}${identity ? ` on ${identity}` : ''}`,
          );
      }
    }
    const previous: string | null | undefined = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    runId = previous || undefined;
  }
  return health;
}
