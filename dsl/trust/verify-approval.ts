/** Verifying a signed approval for one run and plan: who approves, and that it is for this run. */
import { clip, parseApprovalStatement } from './read-statement';
import { readEnvelope, refuse, signingKey, timeProblem, type Refusal, type SigningKey } from './signed-envelope';
import type { ApprovalStatement, TrustPolicy, Verified } from './types';

export interface ApprovalExpectation {
  incidentId: string;
  workflowId: string;
  runId: string;
  planHash: string;
  nowMs: number;
}

/** Verifies an approval that arrived as untrusted data (an Update's argument) for this run and plan. */
export function verifyApproval(signed: unknown, expect: ApprovalExpectation, trust: TrustPolicy): Verified<ApprovalStatement> {
  const envelope = readEnvelope(signed);
  if (!envelope.ok) return envelope;
  const parsed = parseApprovalStatement(envelope.statement);
  if (!parsed.ok) return refuse(`malformed statement: ${parsed.error}`);
  const statement = parsed.value;
  const key = signingKey(envelope, trust, expect.nowMs);
  if (!key.ok) return key;
  const approver = approverOf(statement, key, trust);
  if (!approver.ok) return approver;
  const mismatch = bindingMismatch(statement, expect);
  if (mismatch) return refuse(mismatch);
  const stale = timeProblem(statement.at, trust.statementMaxAgeMs, expect.nowMs);
  if (stale) return refuse(stale);
  if (statement.verdict === 'reject' && statement.reason.trim() === '') return refuse('a rejection must give a reason');
  return { ok: true, principal: approver.principal, ...(approver.via === undefined ? {} : { via: approver.via }), statement };
}

/** Who approves: the key's principal, or the user a gateway vouches for. */
function approverOf(
  statement: ApprovalStatement,
  key: SigningKey,
  trust: TrustPolicy,
): { ok: true; principal: string; via?: string } | Refusal {
  const claimed = statement.principal;
  if (claimed !== undefined && !key.principals.includes(claimed)) {
    return refuse(
      `the statement claims principal ${claimed}, but allowed_signers gives the key ${key.fingerprint} only ${key.principals.join(', ')}`,
    );
  }
  const signer = claimed ?? (key.principals.length === 1 ? key.principals[0] : undefined);
  if (signer === undefined) return refuse(`the key has several principals; name one with principal (${key.principals.join(', ')})`);
  const gateway = trust.gateways.find((g) => g.principal === signer);
  const onBehalfOf = statement.onBehalfOf;
  if (onBehalfOf === undefined) {
    return gateway
      ? refuse(`${signer} is a gateway: a gateway must name the user it vouches for (onBehalfOf)`)
      : { ok: true, principal: signer };
  }
  if (!gateway) return refuse(`${signer} is not a gateway, so it may not sign on behalf of ${onBehalfOf}`);
  if (!gateway.vouchesFor.includes(onBehalfOf)) return refuse(`gateway ${signer} may not vouch for ${onBehalfOf}`);
  return { ok: true, principal: onBehalfOf, via: signer };
}

function bindingMismatch(statement: ApprovalStatement, expect: ApprovalExpectation): string | undefined {
  if (statement.incidentId !== expect.incidentId) return `for incident ${clip(statement.incidentId)}, not ${clip(expect.incidentId)}`;
  if (statement.workflowId !== expect.workflowId) return `for workflow ${clip(statement.workflowId)}, not ${clip(expect.workflowId)}`;
  if (statement.runId !== expect.runId) return `for run ${clip(statement.runId)}, not ${clip(expect.runId)}`;
  if (statement.planHash !== expect.planHash)
    return `for plan ${statement.planHash.slice(0, 12)}, the plan is now ${expect.planHash.slice(0, 12)}`;
  return undefined;
}
