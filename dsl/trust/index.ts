/** The trust model's public API: signed approvals and submissions, verified deterministically. */
export { SIGNATURE_NAMESPACE } from './types';
export type { ApprovalGateway, ApprovalStatement, SignedStatement, SubmissionStatement, TrustPolicy, Verified } from './types';
export { parseAllowedSigners, principalsFor, whyNoPrincipals } from './allowed-signers';
export type { AllowedSigner, AllowedSignersError } from './allowed-signers';
export { fingerprint, parsePublicKey, parseSignature, verifySignature } from './sshsig';
export type { Parsed, SshPublicKey, SshSignature } from './sshsig';
export {
  MAX_FUTURE_SKEW_MS,
  MAX_SIGNATURE_CHARS,
  MAX_STATEMENT_CHARS,
  approvalStatementText,
  canonicalJson,
  incidentSha256,
  isoTimestampMs,
  parseApprovalStatement,
  parseSubmissionStatement,
  submissionStatementText,
  verifyApproval,
  verifySubmission,
} from './statement';
export type { ApprovalExpectation } from './statement';
