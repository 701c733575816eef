/**
 * The trust model's data, shared by the worker (which loads it from the operator policy), the
 * workflow (which verifies signed statements with it, deterministically) and the CLI (which makes
 * statements). Pure: no Node APIs, so workflow code may import it.
 */
import type { AllowedSigner } from './allowed-signers';

/** The SSHSIG namespace every remediate statement is signed in (`ssh-keygen -Y sign -n remediate`). */
export const SIGNATURE_NAMESPACE = 'remediate';

/**
 * A gateway (the approvals page, the chat bot) signs with its own key, listed in allowed_signers under
 * its own principal, and vouches for a user it authenticated. The policy says for whom it may vouch.
 */
export interface ApprovalGateway {
  principal: string;
  vouchesFor: string[];
}

export interface TrustPolicy {
  allowedSigners: AllowedSigner[];
  gateways: ApprovalGateway[];
  /** A statement older than this (by its `at`) when it arrives is refused: a captured approval cannot be replayed later. */
  statementMaxAgeMs: number;
}

/** What an approver signs. `runId` binds it to one run, `planHash` to the plan they were shown. */
export interface ApprovalStatement {
  kind: 'remediate.approval';
  version: 1;
  verdict: 'approve' | 'reject';
  incidentId: string;
  workflowId: string;
  runId: string;
  planHash: string;
  /** Required for a rejection. */
  reason: string;
  /** ISO 8601, when it was signed. */
  at: string;
  /** Who the signer says they are; when present it must be the principal allowed_signers gives the key. */
  principal?: string;
  /** Only in a gateway's statement: the authenticated user it vouches for. */
  onBehalfOf?: string;
}

/** What a submitter signs: the incident (by its canonical JSON's sha256) and when. */
export interface SubmissionStatement {
  kind: 'remediate.submission';
  version: 1;
  incidentId: string;
  incidentSha256: string;
  at: string;
}

/** The wire form: the exact statement text that was signed, and the armored SSH signature. */
export interface SignedStatement {
  statement: string;
  signature: string;
}

export type Verified<T> = { ok: true; principal: string; via?: string; statement: T } | { ok: false; reason: string };
