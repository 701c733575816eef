/**
 * When a scenario leaves workflows running, says where they wait, so a stalled run is diagnosable from
 * its log: each one's pending activities (with their last failure) and its last history events.
 */
import type { BenchEnv } from './env';

export async function describeStuck(env: BenchEnv, log: (line: string) => void, limit = 5): Promise<void> {
  let shown = 0;
  const query = `ExecutionStatus="Running" AND TaskQueue="${env.engineQueue}" AND WorkflowType="remediateIncident"`;
  for await (const workflow of env.client.workflow.list({ query })) {
    if (shown++ >= limit) break;
    const handle = env.client.workflow.getHandle(workflow.workflowId);
    const { raw } = await handle.describe();
    const pending = (raw.pendingActivities ?? []).map((a) => `${a.activityType?.name} attempt ${a.attempt}${a.lastFailure?.message ? ` (${a.lastFailure.message})` : ''}`);
    const events = (await handle.fetchHistory()).events ?? [];
    const last = events.slice(-5).map((e) => String(e.eventType).replace('EVENT_TYPE_', ''));
    log(`  still running: ${workflow.workflowId}; pending: ${pending.join(', ') || 'none'}; last events: ${last.join(', ')}`);
  }
}
