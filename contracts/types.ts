/** Inputs, outputs, signals and queries of the remediation workflow: the client's contract with it. */
import type { AuditEventType, CompiledCatalogue, Decision, GuardrailSnapshot, Incident, Outcome } from '../dsl/types';
import type { SignedStatement, TrustPolicy } from '../dsl/trust/types';

/**
 * Operator policy as a remediation sees it. It comes from the worker that runs it (recorded in
 * history by the worker-context local activity), never from the submitter.
 */
export interface OperatorPolicy {
  /** Approvers used when a runbook names none. */
  defaultApprovers: string[];
  /** `group:NAME` in an approver list expands to these members. */
  approverGroups: Record<string, string[]>;
  /** Base URL of the Web UI, for links in notifications. */
  webUiUrl?: string;
  /** Namespace, for Web UI links. */
  namespace: string;
  /** Guardrail limits across the system (the seed's defaults: 3 concurrent, 1 service). */
  limits: GuardrailSnapshot['limits'];
  /** Whose signatures count, and for how long a statement is fresh; none configured: every signed approval is refused. */
  trust?: TrustPolicy;
  /** Content hash of the operator's policy file (and its allowed_signers), for the audit. */
  version?: string;
}

/**
 * The format of a remediation's history, as its readers (client/history.ts, client/timeline.ts)
 * see it, numbered here and nowhere else. The client that starts a workflow writes the current one
 * into its input; an input without `formatVersion` is format 1.
 * - 1: step requests do not say their stage: readers infer it (client/timeline-stage.ts). Inputs of
 *   runs recorded before `operator-policy` also carry the catalogue and policy (read when present).
 * - 2: every activity step request (runCheck, runAction) carries its `stage`.
 */
export const HISTORY_FORMAT = { initial: 1, stagedRequests: 2, current: 2 } as const;

/**
 * A submission: the incident, and the submitter's signed statement when the submitter authenticated.
 * `catalogue` and `policy` are what runs recorded before `operator-policy` carried; newer runs
 * ignore them, whoever sends them.
 */
export interface RemediationInput {
  /** What a reader of this run's history may rely on (HISTORY_FORMAT); absent in runs started before it: format 1. */
  formatVersion?: number;
  incident: Incident;
  submission?: SignedStatement;
  /** @deprecated read only when replaying runs recorded before `operator-policy`. */
  catalogue?: CompiledCatalogue;
  /** @deprecated read only when replaying runs recorded before `operator-policy`. */
  policy?: OperatorPolicy;
}

export type Phase = 'deciding' | 'awaiting_approval' | 'pre_checks' | 'acting' | 'verifying' | 'rolling_back' | 'done';

export interface AuditEvent {
  type: AuditEventType;
  /** Workflow time, ISO 8601. */
  at: string;
  message: string;
  step?: string;
  actor?: string;
  data?: Record<string, unknown>;
}

export interface ApprovalRecord {
  /** The verified principal (signed approvals), or the name a legacy signal gave. */
  by: string;
  /** The gateway that vouched for `by`, when it signed on their behalf. */
  via?: string;
  reason?: string;
  at: string;
  planHash: string;
}

export interface RemediationResult {
  incidentId: string;
  outcome: Outcome;
  decision: Decision;
  runbook: string | null;
  runbookVersion: string | null;
  planHash: string | null;
  rolledBack: boolean;
  approvals: ApprovalRecord[];
  events: AuditEvent[];
}

export interface RemediationStatus {
  incidentId: string;
  phase: Phase;
  decision: Decision | null;
  runbook: string | null;
  runbookVersion: string | null;
  currentStep: string | null;
  planHash: string | null;
  approvals: ApprovalRecord[];
  approvalsNeeded: number;
  /** Who submitted it, as authenticated (null: an unsigned submission). */
  submittedBy?: string | null;
  /** The rendered plan a human approves, one line a step (while awaiting approval). */
  planSummary?: string[];
  outcome: Outcome | null;
  events: AuditEvent[];
}

/** The answer to a signed approval or rejection (the `decide` update). */
export interface DecisionAnswer {
  counted: boolean;
  /** Why it was refused, or what it did. */
  message: string;
  principal?: string;
  approvals: number;
  needed: number;
}

export interface ApproveSignal {
  by: string;
  reason?: string;
  /** The plan hash the approver was shown; an approval for another plan does not count. */
  planHash?: string;
}

export interface RejectSignal {
  by: string;
  reason: string;
}

/** The alert an incident came from resolved (POST /v1/alertmanager): anyone may send it, so the workflow validates it. */
export interface AlertResolvedSignal {
  /** The authenticated intake source that reported it. */
  source: string;
  /** The alert's endsAt, as Alertmanager sent it (RFC 3339). */
  endsAt: string;
}
