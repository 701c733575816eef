/**
 * Deciding as an approval gateway: the approvals page and the Slack app authenticate a person their
 * own way, then sign the approval with the gateway's key, naming that person (`onBehalfOf`). The
 * workflow counts it only if the operator policy's `gateways` let this gateway vouch for that
 * person, and every other rule still applies there: the quorum of distinct principals, no
 * self-approval, the plan hash, the statement's age (dsl/trust/verify-approval.ts).
 */
import type { Client } from '@temporalio/client';
import { decisionStatement, pendingApproval, sendDecision } from '../client/approvals';
import { signApproval } from '../client/signing';
import { remediationWorkflowId } from '../contracts/messages';
import type { DecisionAnswer } from '../contracts/types';
import type { remediateIncident } from '../workflows/remediation';

/** Who the gateway is: its principal in allowed_signers and the private key it signs with. */
export interface GatewayIdentity {
  principal: string;
  signingKeyFile: string;
}

export interface GatewayVerdict {
  incidentId: string;
  /** The principal the gateway authenticated (a signed-in user, a mapped Slack user). */
  user: string;
  verdict: 'approve' | 'reject';
  /** The plan the person saw; a plan that changed since is refused by the workflow. */
  planHash: string;
  reason?: string;
}

/**
 * Signs and sends one verdict; the answer says whether it counted and why not. A remediation that
 * is not waiting for approval throws RemediationClosedError or NotAwaitingApprovalError (nothing signed).
 */
export async function castAsGateway(client: Client, gateway: GatewayIdentity, verdict: GatewayVerdict): Promise<DecisionAnswer> {
  const workflowId = remediationWorkflowId(verdict.incidentId);
  const handle = client.workflow.getHandle<typeof remediateIncident>(workflowId);
  const pending = await pendingApproval(handle);
  const statement = decisionStatement(pending, workflowId, {
    verdict: verdict.verdict,
    planHash: verdict.planHash,
    ...(verdict.reason === undefined ? {} : { reason: verdict.reason }),
    principal: gateway.principal,
    onBehalfOf: verdict.user,
  });
  return await sendDecision(handle, await signApproval(gateway.signingKeyFile, statement));
}
