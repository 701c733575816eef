/** Inputs, outputs, signals and queries of the remediation workflow: the client's contract with it. */
import type { AuditEventType, CompiledCatalogue, Decision, GuardrailSnapshot, Incident, Outcome } from '../dsl/types';

/** Operator policy that travels with each remediation, so its history shows the rules of that day. */
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
}

export interface RemediationInput {
  incident: Incident;
  catalogue: CompiledCatalogue;
  policy: OperatorPolicy;
}

export type Phase =
  | 'deciding'
  | 'awaiting_approval'
  | 'pre_checks'
  | 'acting'
  | 'verifying'
  | 'rolling_back'
  | 'done';

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
  by: string;
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
  outcome: Outcome | null;
  events: AuditEvent[];
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
