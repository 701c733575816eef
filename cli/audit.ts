/**
 * `remediate audit ID`: the remediation's timeline from its workflow history (see client/timeline.ts):
 * who submitted it, the decision and why, every step with its inputs and result, every signal with
 * its sender and verdict, timers, notifications and the outcome. `--json` for machines.
 */
import type { Command } from 'commander';
import type { Timeline } from '../client/timeline';
import { EXIT } from './errors';
import { json } from './format';
import { processIo, type Io } from './output';
import { remediationHandle, withSession } from './session';

export interface AuditOptions {
  json?: boolean;
}

export async function runAudit(incidentId: string, options: AuditOptions, io: Io = processIo): Promise<number> {
  const { buildTimeline } = await import('../client/timeline');
  const { queryStatus } = await import('../client/status');
  const { fetchDecodedHistory } = await import('../codec/decode-history');
  return await withSession(async (session) => {
    const { handle, execution } = await remediationHandle(session, incidentId);
    // A running workflow's trail comes from its status query; a closed one's is in its result.
    const trail = execution === 'RUNNING' ? (await queryStatus(handle))?.events : undefined;
    const timeline = buildTimeline(await fetchDecodedHistory(handle), trail);
    io.out(options.json ? json({ workflowId: handle.workflowId, ...timeline }) : formatTimeline(handle.workflowId, timeline));
    return EXIT.OK;
  });
}

function formatTimeline(workflowId: string, timeline: Timeline): string {
  const state = timeline.outcome ? `outcome ${timeline.outcome}` : timeline.status.replace(/_/g, ' ');
  const lines = [`audit of ${timeline.incident.id} (workflow ${workflowId}): ${state}`];
  if (!timeline.trailAvailable) lines.push('(no worker answered: decision reasons and approval verdicts are missing until one runs)');
  for (const entry of timeline.entries) lines.push(`${entry.at.replace('T', ' ').slice(0, 23)}  ${entry.kind.padEnd(12)} ${entry.summary}`);
  return lines.join('\n');
}

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description("Show the incident's audit timeline, built from its workflow history.")
    .argument('<incident-id>', 'the incident id')
    .option('--json', 'print {workflowId, incident, status, outcome, entries: [{at, kind, summary, actor, detail}]}')
    .action(async (incidentId: string, options: AuditOptions) => {
      process.exitCode = await runAudit(incidentId, options);
    });
}
