/**
 * When a scenario leaves workflows running, says where each one waits (its pending activity, with
 * its last failure, or else its last history event), grouped, with a few examples in full: a
 * stalled run is diagnosable from its log.
 */
import type { Client } from '@temporalio/client';

export interface StuckSummary {
  running: number;
  byWaitingOn: Record<string, number>;
  examples: string[];
}

export async function describeStuck(client: Client, taskQueue: string, log: (line: string) => void, examples = 10): Promise<StuckSummary> {
  const summary: StuckSummary = { running: 0, byWaitingOn: {}, examples: [] };
  const query = `ExecutionStatus="Running" AND TaskQueue="${taskQueue}" AND WorkflowType="remediateIncident"`;
  for await (const workflow of client.workflow.list({ query })) {
    summary.running += 1;
    const handle = client.workflow.getHandle(workflow.workflowId);
    const { raw } = await handle.describe();
    const pending = (raw.pendingActivities ?? []).map(
      (a) => `${a.activityType?.name} attempt ${a.attempt}${a.lastFailure?.message ? ` (${a.lastFailure.message})` : ''}`,
    );
    const events = (await handle.fetchHistory()).events ?? [];
    const last = String(events.at(-1)?.eventType ?? 'none').replace('EVENT_TYPE_', '');
    const waitingOn = pending.length > 0 ? `activity ${raw.pendingActivities?.[0]?.activityType?.name}` : `after ${last}`;
    summary.byWaitingOn[waitingOn] = (summary.byWaitingOn[waitingOn] ?? 0) + 1;
    if (summary.examples.length < examples) {
      const line = `${workflow.workflowId}: pending ${pending.join(', ') || 'none'}; last events ${events
        .slice(-5)
        .map((e) => String(e.eventType).replace('EVENT_TYPE_', ''))
        .join(', ')}`;
      summary.examples.push(line);
      log(`  still running: ${line}`);
    }
  }
  for (const [where, count] of Object.entries(summary.byWaitingOn)) log(`  ${count} waiting on ${where}`);
  return summary;
}
