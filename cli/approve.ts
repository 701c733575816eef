/**
 * `remediate approve ID --key KEY` and `remediate reject ID --key KEY --reason ...`: a human's
 * decision, signed with their own SSH key and sent as an update, whose answer says at once whether
 * it counted. Who signed is what the operator's allowed_signers says about the key, not a name
 * typed here. Interactively the plan is shown and its hash signed; scripts pin it with --plan.
 */
import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { EXIT, UsageError } from './errors';
import { json } from './format';
import { processIo, type Io } from './output';
import { remediationHandle, withSession } from './session';

export interface DecisionOptions {
  key: string;
  as?: string;
  reason?: string;
  plan?: string;
  yes?: boolean;
  json?: boolean;
}

type Verdict = 'approve' | 'reject';

async function confirmPlan(io: Io, summary: string[], planHash: string, verdict: Verdict): Promise<string> {
  io.out(`Plan ${planHash}:`);
  for (const line of summary) io.out(`  ${line}`);
  if (!process.stdin.isTTY) throw new UsageError(`${verdict}: pass --plan ${planHash} to sign this plan when not interactive`);
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await prompt.question(`Sign ${verdict === 'approve' ? 'approval' : 'rejection'} of this plan? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError('nothing signed');
  } finally {
    prompt.close();
  }
  return planHash;
}

async function runDecision(incidentId: string, verdict: Verdict, options: DecisionOptions, io: Io): Promise<number> {
  if (options.plan !== undefined && !/^[0-9a-f]{64}$/.test(options.plan))
    throw new UsageError(`--plan: expected the 64-character plan hash (from \`remediate status\`), found "${options.plan}"`);
  const { pendingApproval, decisionStatement, sendDecision } = await import('../client/approvals');
  const { signApproval } = await import('../client/signing');
  return await withSession(async (session) => {
    const { handle } = await remediationHandle(session, incidentId);
    const pending = await pendingApproval(handle);
    const planHash =
      options.plan ?? (options.yes ? pending.planHash : await confirmPlan(io, pending.status.planSummary ?? [], pending.planHash, verdict));
    const statement = decisionStatement(pending, handle.workflowId, { verdict, planHash, reason: options.reason, principal: options.as });
    const signed = await signApproval(options.key, statement);
    const answer = await sendDecision(handle, signed);
    if (options.json) io.out(json({ incidentId, workflowId: handle.workflowId, statement, answer }));
    else io.out(`${answer.counted ? 'counted' : 'refused'}: ${answer.message}`);
    return answer.counted ? EXIT.OK : EXIT.FAILED;
  });
}

function decisionCommand(program: Command, verdict: Verdict): Command {
  return program
    .command(verdict)
    .argument('<incident-id>', 'the incident id (the workflow is incident-<id>)')
    .requiredOption(
      '--key <path>',
      'your SSH private key (ed25519), as the operator listed it in allowed_signers; ssh-agent keys work with the .pub path',
    )
    .option('--plan <hash>', 'the plan hash you reviewed (from `remediate status` or `plan`); without it the plan is shown and you confirm')
    .option('--as <principal>', 'the principal you sign as, when your key is listed under several')
    .option('--yes', 'sign the current plan without showing it (scripts that checked the plan some other way)')
    .option('--json', 'print the signed statement and the answer as JSON');
}

export function registerApprove(program: Command): void {
  decisionCommand(program, 'approve')
    .description("Approve an incident's pending remediation with your signature; exit 0 when it counted, 1 when it was refused.")
    .option('--reason <text>', 'why, for the audit trail')
    .action(async (incidentId: string, options: DecisionOptions) => {
      process.exitCode = await runDecision(incidentId, 'approve', options, processIo);
    });
}

export function registerReject(program: Command): void {
  decisionCommand(program, 'reject')
    .description(
      "Reject an incident's pending remediation (a reason is required) with your signature; exit 0 when it counted, 1 when it was refused.",
    )
    .requiredOption('--reason <text>', 'why: it goes to the audit trail and the notifications')
    .action(async (incidentId: string, options: DecisionOptions & { reason: string }) => {
      process.exitCode = await runDecision(incidentId, 'reject', options, processIo);
    });
}
