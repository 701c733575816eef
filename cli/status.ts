/**
 * `remediate status ID`: where an incident's remediation stands. A running one answers the status
 * query (through a worker); a closed one is read from its history, so no worker is needed.
 */
import type { Command } from 'commander';
import type { RemediationRecord } from '../client/history';
import type { RemediationStatus } from '../contracts/types';
import { EXIT } from './errors';
import { formatEvent } from '../client/event-line';
import { json } from './format';
import { processIo, type Io } from './output';
import { remediationHandle, withSession } from './session';

export interface StatusOptions {
  json?: boolean;
}

export interface StatusReport {
  workflowId: string;
  /** The workflow execution's status: RUNNING, COMPLETED, TERMINATED... */
  execution: string;
  /** Null when it runs and no worker answered. */
  remediation: RemediationStatus | null;
}

/** A closed remediation's status as its status query would have answered, from its record. */
function fromRecord({ catalogue, closed }: RemediationRecord): RemediationStatus | null {
  const result = closed?.result;
  if (!result) return null;
  const runbook = catalogue.runbooks.find((r) => r.id === result.runbook);
  return {
    incidentId: result.incidentId,
    phase: 'done',
    decision: result.decision,
    runbook: result.runbook,
    runbookVersion: result.runbookVersion,
    currentStep: null,
    planHash: result.planHash,
    approvals: result.approvals,
    approvalsNeeded: runbook?.approval.quorum ?? 0,
    outcome: result.outcome,
    events: result.events,
  };
}

export async function runStatus(incidentId: string, options: StatusOptions, io: Io = processIo): Promise<number> {
  const { queryStatus } = await import('../client/status');
  const { readRecord } = await import('../client/history');
  const { fetchDecodedHistory } = await import('../codec/decode-history');
  return await withSession(async (session) => {
    const { handle, execution } = await remediationHandle(session, incidentId);
    const remediation =
      execution === 'RUNNING' ? ((await queryStatus(handle)) ?? null) : fromRecord(readRecord(await fetchDecodedHistory(handle)));
    const report: StatusReport = { workflowId: handle.workflowId, execution, remediation };
    io.out(options.json ? json(report) : formatStatus(incidentId, report));
    return EXIT.OK;
  });
}

function formatStatus(incidentId: string, { workflowId, execution, remediation: s }: StatusReport): string {
  const head = `${incidentId} (workflow ${workflowId}): ${execution.toLowerCase()}`;
  if (!s) {
    return execution === 'RUNNING'
      ? `${head}; no worker answered the status query (start one with \`remediate worker\`)`
      : `${head}; it closed without a result (see \`remediate audit ${incidentId}\`)`;
  }
  const lines = [`${head}, ${s.outcome ? `outcome ${s.outcome}` : s.phase.replace(/_/g, ' ')}`];
  if (s.decision) {
    const runbook = s.runbook ? ` with ${s.runbook} ${s.runbookVersion?.slice(0, 12)}` : '';
    lines.push(`decision  ${s.decision.decision} (${s.decision.event})${runbook}: ${s.decision.reason}`);
  }
  if (s.planHash) lines.push(`plan      ${s.planHash}`);
  if (s.currentStep && !s.outcome) lines.push(`step      ${s.currentStep}`);
  if (s.approvals.length > 0 || s.phase === 'awaiting_approval') {
    const who = s.approvals.map((a) => `${a.by} at ${a.at}`).join(', ');
    lines.push(`approvals ${s.approvals.length}${s.outcome ? '' : `/${s.approvalsNeeded}`}${who ? `: ${who}` : ''}`);
  }
  lines.push('events:', ...s.events.map((e) => `  ${formatEvent(e)}`));
  if (s.phase === 'awaiting_approval') lines.push('', `approve: remediate approve ${incidentId} --key YOUR_SSH_KEY --plan ${s.planHash}`);
  return lines.join('\n');
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("Show where an incident's remediation stands: phase, decision, plan, approvals and its audit events.")
    .argument('<incident-id>', 'the incident id')
    .option('--json', 'print {workflowId, execution, remediation} as JSON')
    .action(async (incidentId: string, options: StatusOptions) => {
      process.exitCode = await runStatus(incidentId, options);
    });
}
