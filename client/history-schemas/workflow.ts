/** The remediation workflow's own payloads as a history holds them: its input, the worker's context, its result, and what was sent to it. */
import type { WorkerContext } from '../../activities/worker-context';
import type { AuditEventType, BlockedEvent, Incident, Outcome } from '../../dsl/types';
import { anyJson, anyOf, arr, bool, int, nul, num, record, str, strEnum, type Static, type Typed } from '../../dsl/schema-builder';
import type { ApproveSignal, OperatorPolicy, RejectSignal, RemediationInput, RemediationResult } from '../../contracts/types';
import type { SignedStatement } from '../../dsl/trust/types';
import { allOf, literal, nullable, open, payloadValidator } from './builders';
import { CATALOGUE_DEFINITIONS, compiledCatalogue } from './catalogue';

export const incident: Typed<Incident> = open(
  {
    id: str(),
    root_cause: str(),
    confidence: num(),
    service: str(),
    services: arr(str()),
    symptoms: arr(str()),
    context: record(anyJson()),
    submitted_by: str(),
  },
  ['id', 'root_cause', 'confidence', 'service', 'services', 'symptoms', 'context'],
);

const policy: Typed<OperatorPolicy> = open(
  {
    defaultApprovers: arr(str()),
    approverGroups: record(arr(str())),
    webUiUrl: str(),
    namespace: str(),
    limits: open({ maxConcurrent: num(), maxServices: num() }, ['maxConcurrent', 'maxServices']),
    trust: open(
      {
        allowedSigners: arr(
          open({ principals: arr(str()), key: str(), namespaces: arr(str()), validAfterMs: num(), validBeforeMs: num(), line: int() }, [
            'principals',
            'key',
            'line',
          ]),
        ),
        gateways: arr(open({ principal: str(), vouchesFor: arr(str()) }, ['principal', 'vouchesFor'])),
        statementMaxAgeMs: num(),
      },
      ['allowedSigners', 'gateways', 'statementMaxAgeMs'],
    ),
    version: str(),
  },
  ['defaultApprovers', 'approverGroups', 'namespace', 'limits'],
);

const signedStatement: Typed<SignedStatement> = open({ statement: str(), signature: str() }, ['statement', 'signature']);

const input: Typed<RemediationInput> = open(
  { formatVersion: int({ minimum: 1 }), incident, submission: signedStatement, catalogue: compiledCatalogue, policy },
  ['incident'],
);

const workerContext: Typed<Pick<WorkerContext, 'catalogue' | 'policy'>> = open({ catalogue: compiledCatalogue, policy });

const AUDIT_EVENT_TYPES = allOf<AuditEventType>()([
  'SUBMITTED',
  'NO_RUNBOOK',
  'LOW_CONFIDENCE',
  'SUGGESTED',
  'CIRCUIT_OPEN',
  'RATE_LIMITED',
  'BLAST_LIMITED',
  'FROZEN',
  'FAILURE_BUDGET_EXHAUSTED',
  'OUTSIDE_CHANGE_WINDOW',
  'GUARDRAILS_UNAVAILABLE',
  'INPUT_REFUSED',
  'WAITING_FOR_SLOT',
  'LEASE_RELEASED',
  'LEASE_LOST',
  'APPROVAL_REQUIRED',
  'APPROVED',
  'APPROVAL_REFUSED',
  'REJECTED',
  'APPROVAL_EXPIRED',
  'APPROVAL_VOID',
  'ESCALATED',
  'ALERT_RESOLVED',
  'PRE_CHECK_FAILED',
  'CONTEXT_INVALID',
  'EXECUTING',
  'STEP_STARTED',
  'STEP_SUCCEEDED',
  'STEP_FAILED',
  'VERIFICATION_FAILED',
  'VERIFICATION_INCONCLUSIVE',
  'SUCCESS',
  'ROLLED_BACK',
  'ROLLBACK_FAILED',
  'FAILED',
  'NOTIFIED',
  'NOTIFY_FAILED',
]);
export const BLOCKED_EVENTS = allOf<BlockedEvent>()([
  'CIRCUIT_OPEN',
  'RATE_LIMITED',
  'BLAST_LIMITED',
  'FROZEN',
  'FAILURE_BUDGET_EXHAUSTED',
  'GUARDRAILS_UNAVAILABLE',
  'INPUT_REFUSED',
]);
const OUTCOMES = allOf<Outcome>()(['remediated', 'rolled_back', 'failed', 'aborted', 'manual', 'blocked', 'rejected', 'expired']);

export const auditEvent = open(
  { type: strEnum(AUDIT_EVENT_TYPES), at: str(), message: str(), step: str(), actor: str(), data: record(anyJson()) },
  ['type', 'at', 'message'],
);

const decision = anyOf([
  open({ decision: literal('auto'), event: literal('EXECUTING'), runbook: str(), reason: str() }, [
    'decision',
    'event',
    'runbook',
    'reason',
  ]),
  open({ decision: literal('approval_required'), event: literal('APPROVAL_REQUIRED'), runbook: str(), reason: str() }, [
    'decision',
    'event',
    'runbook',
    'reason',
  ]),
  open({ decision: literal('manual'), event: literal('NO_RUNBOOK'), runbook: nul(), reason: str() }, [
    'decision',
    'event',
    'runbook',
    'reason',
  ]),
  open({ decision: literal('manual'), event: strEnum(['LOW_CONFIDENCE', 'SUGGESTED']), runbook: str(), reason: str() }, [
    'decision',
    'event',
    'runbook',
    'reason',
  ]),
  open({ decision: literal('blocked'), event: strEnum(BLOCKED_EVENTS), runbook: str(), reason: str() }, [
    'decision',
    'event',
    'runbook',
    'reason',
  ]),
]);

const result: Typed<RemediationResult> = open(
  {
    incidentId: str(),
    outcome: strEnum(OUTCOMES),
    decision,
    runbook: nullable(str()),
    runbookVersion: nullable(str()),
    planHash: nullable(str()),
    rolledBack: bool(),
    approvals: arr(open({ by: str(), via: str(), reason: str(), at: str(), planHash: str() }, ['by', 'at', 'planHash'])),
    events: arr(auditEvent),
  },
  ['incidentId', 'outcome', 'decision', 'runbook', 'runbookVersion', 'planHash', 'rolledBack', 'approvals', 'events'],
);

/** An approve or reject signal: whatever its sender put in it, the fields the timeline shows. */
const decisionSignal: Typed<Partial<ApproveSignal & RejectSignal>> = open({ by: str(), reason: str(), planHash: str() });

/** A signed decision sent as an update: the statement is parsed where it is shown. */
const signedDecision: Typed<Partial<SignedStatement>> = open({ statement: str(), signature: str() });

/** What a local activity's marker says about the call (the SDK's own field names). */
const localActivityMarker = open({ activity_type: str() });

export const validateInput = payloadValidator(input, CATALOGUE_DEFINITIONS);
export const validateWorkerContext = payloadValidator(workerContext, CATALOGUE_DEFINITIONS);
export const validateResult = payloadValidator(result);
export const validateDecisionSignal = payloadValidator(decisionSignal);
export const validateSignedDecision = payloadValidator(signedDecision);
export const validateLocalActivityMarker = payloadValidator(localActivityMarker);
export const validateSearchAttributeText = payloadValidator(nullable(str()));
export type RecordedAuditEvent = Static<typeof auditEvent>;
