/**
 * `remediate approve ID --as WHO` and `remediate reject ID --as WHO --reason ...`: a human's decision,
 * sent as a signal to the incident's remediation. The workflow decides whether it counts (authorised
 * approver, not the submitter, the plan shown); the command waits briefly for that verdict and exits
 * 0 when it counted, 1 when it was refused.
 */
import type { Command } from 'commander';
import type { HumanDecision } from '../client/approvals';
import { EXIT } from './errors';
import { json } from './format';
import { processIo, type Io } from './output';
import { remediationHandle, withSession } from './session';

export interface DecisionOptions {
  as: string;
  reason?: string;
  plan?: string;
  json?: boolean;
}

/** How long to wait for the workflow's verdict before reporting the signal as merely delivered. */
const VERDICT_WAIT_MS = 10_000;

async function runDecision(incidentId: string, decision: HumanDecision, options: DecisionOptions, io: Io): Promise<number> {
  const { deliverDecision } = await import('../client/approvals');
  return await withSession(async (session) => {
    const { handle } = await remediationHandle(session, incidentId);
    const delivery = await deliverDecision(handle, decision, { waitMs: VERDICT_WAIT_MS });
    const counted = delivery.verdict ? delivery.verdict.type !== 'APPROVAL_REFUSED' : null;
    if (options.json) {
      io.out(json({ incidentId, workflowId: handle.workflowId, sent: decision, counted, verdict: delivery.verdict ?? null }));
    } else {
      const waiting = delivery.before && delivery.before.phase !== 'awaiting_approval' ? ` (it was not waiting for approval: ${delivery.before.phase})` : '';
      io.out(`${decision.kind} from ${decision.signal.by} sent to ${handle.workflowId}${waiting}`);
      if (delivery.verdict) io.out(`${counted ? 'counted' : 'refused'}: ${delivery.verdict.message}`);
      else io.out(`no verdict yet (no worker answered within ${VERDICT_WAIT_MS / 1000}s); check with: remediate status ${incidentId}`);
    }
    return counted === false ? EXIT.FAILED : EXIT.OK;
  });
}

export function registerApprove(program: Command): void {
  program
    .command('approve')
    .description("Approve an incident's pending remediation; exit 0 when the approval counted, 1 when it was refused.")
    .argument('<incident-id>', 'the incident id (the workflow is incident-<id>)')
    .requiredOption('--as <who>', 'your name, as the runbook lists its approvers')
    .option('--reason <text>', 'why, for the audit trail')
    .option('--plan <hash>', 'the plan hash you reviewed (from `remediate plan` or `status`); the approval counts only for that plan')
    .option('--json', 'print what was sent and the verdict as JSON')
    .action(async (incidentId: string, options: DecisionOptions) => {
      const signal = { by: options.as, ...(options.reason ? { reason: options.reason } : {}), ...(options.plan ? { planHash: options.plan } : {}) };
      process.exitCode = await runDecision(incidentId, { kind: 'approve', signal }, options, processIo);
    });
}

export function registerReject(program: Command): void {
  program
    .command('reject')
    .description("Reject an incident's pending remediation (a reason is required); exit 0 when the rejection counted, 1 when it was refused.")
    .argument('<incident-id>', 'the incident id')
    .requiredOption('--as <who>', 'your name')
    .requiredOption('--reason <text>', 'why: it goes to the audit trail and the notifications')
    .option('--json', 'print what was sent and the verdict as JSON')
    .action(async (incidentId: string, options: DecisionOptions & { reason: string }) => {
      process.exitCode = await runDecision(incidentId, { kind: 'reject', signal: { by: options.as, reason: options.reason } }, options, processIo);
    });
}
