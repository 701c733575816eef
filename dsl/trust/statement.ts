/**
 * Signed statements: what an approver or a submitter signs (canonical JSON), how it is read back
 * (strictly: a statement is either exactly what remediate makes or it is refused), and how a signed
 * statement that arrived as untrusted data is verified against the operator's trust policy.
 * Pure and deterministic, for workflow code: the time is passed in, errors are values.
 * One module per job: ./canonical, ./read-statement, ./signed-envelope, ./verify-approval and
 * ./verify-submission; this one is their entry point.
 */
export { approvalStatementText, canonicalJson, incidentSha256, submissionStatementText } from './canonical';
export { MAX_STATEMENT_CHARS, isoTimestampMs, parseApprovalStatement, parseSubmissionStatement } from './read-statement';
export { MAX_FUTURE_SKEW_MS, MAX_SIGNATURE_CHARS } from './signed-envelope';
export { verifyApproval, type ApprovalExpectation } from './verify-approval';
export { verifySubmission } from './verify-submission';
