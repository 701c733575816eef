/**
 * The audit timeline of one remediation, built from its workflow history: the submission, every
 * signal with who sent it, every check, action and notification with its inputs and result, the
 * guardrail calls, timers, and how it closed. The workflow's own audit trail (in its result, or
 * its status query while it runs) adds what only the workflow knows: the decision and why, and
 * whether each approval counted, and the checks and notifications that ran as local activities. A
 * trail event carries workflow time (its task's start), so it is placed before the first later event.
 */
import type { ActionOutcome, ActionRequest, CheckOutcome, CheckRequest } from '../activities/remediation';
import type { Notification, SinkResult } from '../activities/notify/types';
import type { AcquireVerdict } from '../dsl/guardrail-state';
import { describeResult, describeRun } from '../dsl/steps/describe';
import { parseApprovalStatement } from '../dsl/trust/statement';
import type { SignedStatement } from '../dsl/trust/types';
import type { AuditEventType, DecisionKind, GuardrailSnapshot, Incident, Outcome } from '../dsl/types';
import type { GuardrailReply, GuardrailRequest } from '../dsl/guardrail-protocol';
import { guardrailReplySignal, guardrailRequestSignal, type ReleaseRequest } from '../contracts/guardrail-messages';
import { DECISION } from '../contracts/search-attributes';
import type { ApproveSignal, AuditEvent, RejectSignal } from '../contracts/types';
import { decodeFirst, eventTimeMs, protoMs, readRecord, type CloseStatus, type History, type HistoryEvent } from './history';

export type TimelineKind =
  | 'submitted'
  | 'decision'
  | 'workflow'
  | 'signal'
  | 'update'
  | 'check'
  | 'action'
  | 'notification'
  | 'guardrails'
  | 'timer'
  | 'activity'
  | 'outcome';

export interface TimelineEntry {
  /** ISO 8601. */
  at: string;
  kind: TimelineKind;
  /** One line for humans. */
  summary: string;
  /** Who: the sender of a signal, the approver an audit event names. */
  actor?: string;
  /** Inputs and results, for machines (`audit --json`). */
  detail?: Record<string, unknown>;
}

export interface Timeline {
  incident: Incident;
  catalogueVersion: string;
  status: 'running' | CloseStatus;
  outcome: Outcome | null;
  /** False when the workflow's audit trail was unavailable: decision reasons and approval verdicts are missing. */
  trailAvailable: boolean;
  entries: TimelineEntry[];
}

/** Trail events the history already shows in full (as activities with inputs and results). */
const SHOWN_BY_HISTORY = new Set<AuditEventType>(['STEP_STARTED', 'STEP_SUCCEEDED', 'STEP_FAILED', 'NOTIFIED', 'NOTIFY_FAILED', 'LEASE_RELEASED']);

/**
 * Checks and notifications that ran as local activities leave only a marker in history: for those
 * the trail is the record, and it is shown instead.
 */
function shownByHistory(event: AuditEvent, activities: Set<string>): boolean {
  if (!SHOWN_BY_HISTORY.has(event.type)) return false;
  if (event.type === 'NOTIFIED' || event.type === 'NOTIFY_FAILED') return activities.has('notify');
  if (event.data?.stage !== undefined) return activities.has('runCheck');
  return true;
}

interface Scheduled {
  type: string;
  input: unknown;
  attempt: number;
  scheduledAt: string;
}

export function buildTimeline(history: History, runningTrail?: AuditEvent[]): Timeline {
  const record = readRecord(history);
  const trail = record.closed?.result?.events ?? runningTrail;
  const activityTypes = new Set((history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : [])));
  const pending = (trail ?? []).filter((event) => !shownByHistory(event, activityTypes));
  const entries: TimelineEntry[] = [];
  const scheduled = new Map<string, Scheduled>();
  const stage = { actionsStarted: false };
  let decisionShown = false;

  /** Trail events up to `uptoMs`; at a task's start inclusive (they were recorded in it), before other events exclusive. */
  const flushTrail = (uptoMs: number, inclusive: boolean) => {
    while (pending.length > 0 && (inclusive ? Date.parse(pending[0]!.at) <= uptoMs : Date.parse(pending[0]!.at) < uptoMs)) {
      const event = pending.shift()!;
      // SUBMITTED (who submitted, with which catalogue and policy) comes before the decision.
      const isDecision = !decisionShown && event.type !== 'SUBMITTED';
      entries.push(trailEntry(event, isDecision));
      if (isDecision) decisionShown = true;
    }
  };

  for (const event of history.events ?? []) {
    const at = new Date(eventTimeMs(event)).toISOString();
    const close = activityClose(event);
    // Trail events carry their workflow task's start time: each goes before the first history event
    // that is later, so what the workflow decided stays ahead of what followed from it.
    if (!event.workflowExecutionStartedEventAttributes) flushTrail(eventTimeMs(event), Boolean(event.workflowTaskStartedEventAttributes));
    if (event.workflowExecutionStartedEventAttributes) {
      entries.push(submittedEntry(at, record.input.incident, record.catalogue, event.workflowExecutionStartedEventAttributes.identity));
    } else if (event.workflowTaskStartedEventAttributes) {
      // Flushed above.
    } else if (event.workflowTaskFailedEventAttributes) {
      const failure = event.workflowTaskFailedEventAttributes.failure?.message ?? 'unknown failure';
      entries.push({ at, kind: 'workflow', summary: `workflow task failed (the worker retries it): ${failure}` });
    } else if (event.upsertWorkflowSearchAttributesEventAttributes && !trail && !decisionShown) {
      const field = event.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields?.[DECISION.name];
      const decision = field ? decodeFirst<string>({ payloads: [field] }) : undefined;
      if (decision) {
        decisionShown = true;
        entries.push({ at, kind: 'decision', summary: `decision ${decision} (the reason is in the workflow's audit trail, which no worker returned)` });
      }
    } else if (event.workflowExecutionSignaledEventAttributes?.signalName === guardrailReplySignal.name) {
      entries.push(guardrailReplyEntry(at, decodeFirst<GuardrailReply>(event.workflowExecutionSignaledEventAttributes.input)));
    } else if (event.workflowExecutionSignaledEventAttributes) {
      entries.push(signalEntry(at, event.workflowExecutionSignaledEventAttributes));
    } else if (event.workflowExecutionUpdateAcceptedEventAttributes) {
      entries.push(updateEntry(at, event.workflowExecutionUpdateAcceptedEventAttributes));
    } else if (event.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === guardrailRequestSignal.name) {
      entries.push(guardrailRequestEntry(at, decodeFirst<GuardrailRequest>(event.signalExternalWorkflowExecutionInitiatedEventAttributes.input)));
    } else if (event.signalExternalWorkflowExecutionFailedEventAttributes) {
      entries.push({ at, kind: 'guardrails', summary: `guardrails: the coordinator could not be signalled (${event.signalExternalWorkflowExecutionFailedEventAttributes.cause ?? 'unknown cause'})` });
    } else if (event.activityTaskScheduledEventAttributes) {
      const attrs = event.activityTaskScheduledEventAttributes;
      scheduled.set(String(event.eventId), { type: attrs.activityType?.name ?? 'unknown', input: decodeFirst(attrs.input), attempt: 1, scheduledAt: at });
    } else if (event.activityTaskStartedEventAttributes) {
      const activity = scheduled.get(String(event.activityTaskStartedEventAttributes.scheduledEventId));
      if (activity) activity.attempt = event.activityTaskStartedEventAttributes.attempt ?? 1;
    } else if (close) {
      const activity = scheduled.get(close.scheduledEventId);
      if (!activity) continue;
      scheduled.delete(close.scheduledEventId);
      entries.push(activityEntry(at, activity, close, stage));
    } else if (event.timerStartedEventAttributes) {
      const attrs = event.timerStartedEventAttributes;
      const afterMs = protoMs(attrs.startToFireTimeout);
      entries.push({
        at,
        kind: 'timer',
        summary: `timer ${attrs.timerId} started: fires in ${formatMs(afterMs)} unless something wakes the workflow first`,
        detail: { timerId: attrs.timerId, firesAt: new Date(eventTimeMs(event) + afterMs).toISOString() },
      });
    } else if (event.timerFiredEventAttributes || event.timerCanceledEventAttributes) {
      const timerId = event.timerFiredEventAttributes?.timerId ?? event.timerCanceledEventAttributes?.timerId ?? '';
      const fired = Boolean(event.timerFiredEventAttributes);
      entries.push({ at, kind: 'timer', summary: `timer ${timerId} ${fired ? 'fired' : 'canceled (the workflow moved on)'}`, detail: { timerId, fired } });
    }
  }
  flushTrail(Number.POSITIVE_INFINITY, true);

  for (const activity of scheduled.values()) {
    entries.push({ at: activity.scheduledAt, kind: 'activity', summary: `${activity.type} in progress (attempt ${activity.attempt})`, detail: { input: activity.input } });
  }
  const closed = record.closed;
  if (closed) entries.push(outcomeEntry(new Date(closed.atMs).toISOString(), closed));
  return {
    incident: record.input.incident,
    catalogueVersion: record.catalogue.version,
    status: closed?.status ?? 'running',
    outcome: closed?.result?.outcome ?? null,
    trailAvailable: trail !== undefined,
    entries,
  };
}

function submittedEntry(at: string, incident: Incident, catalogue: { version: string; runbooks: unknown[] }, identity: string | null | undefined): TimelineEntry {
  const services = incident.services.length > 1 ? ` (services ${incident.services.join(', ')})` : '';
  return {
    at,
    kind: 'submitted',
    summary: `incident ${incident.id} submitted${identity ? ` by ${identity}` : ''}: ${incident.root_cause} on ${incident.service}${services}, confidence ${incident.confidence}; catalogue ${catalogue.version.slice(0, 12)} (${catalogue.runbooks.length} runbooks)`,
    detail: { incident, catalogueVersion: catalogue.version },
  };
}

/** The decision kind a decision event stands for (the first event of every trail is the decision). */
const DECISION_OF: Partial<Record<AuditEventType, DecisionKind>> = {
  EXECUTING: 'auto',
  APPROVAL_REQUIRED: 'approval_required',
  NO_RUNBOOK: 'manual',
  LOW_CONFIDENCE: 'manual',
  SUGGESTED: 'manual',
};

function trailEntry(event: AuditEvent, isDecision: boolean): TimelineEntry {
  const kind: TimelineKind = isDecision
    ? 'decision'
    : event.type === 'NOTIFIED' || event.type === 'NOTIFY_FAILED'
      ? 'notification'
      : event.data?.stage !== undefined
        ? 'check'
        : 'workflow';
  return {
    at: event.at,
    kind,
    summary: isDecision
      ? `decision ${DECISION_OF[event.type] ?? 'blocked'} (${event.type}): ${event.message}`
      : kind === 'check'
        ? checkSummary(event)
        : kind === 'notification'
          ? notificationSummary(event)
          : `${event.type}: ${event.message}`,
    ...(event.actor ? { actor: event.actor } : {}),
    detail: { type: event.type, ...(event.step ? { step: event.step } : {}), ...(event.data ? { data: event.data } : {}) },
  };
}

/** A notification sent by a local activity, told as one sent by an activity is. */
function notificationSummary(event: AuditEvent): string {
  const data = event.data ?? {};
  if (typeof data.kind !== 'string') return `notification ${event.message}`;
  const results = Array.isArray(data.sinkResults) ? (data.sinkResults as Array<{ sink: string; ok: boolean; error?: string }>) : [];
  const sinks = results.map((r) => `${r.sink} ${r.ok ? 'ok' : `failed (${r.error})`}`).join(', ');
  return `notification ${data.kind} (${String(data.severity)}): ${String(data.title)} → ${sinks || 'no sinks'}`;
}

/** A check that ran as a local activity, told as an activity check is: stage, name, probe, verdict. */
function checkSummary(event: AuditEvent): string {
  const data = event.data ?? {};
  const probe = typeof data.probe === 'string' ? `${data.probe}: ` : '';
  const verdict = event.type === 'STEP_SUCCEEDED' ? 'holds' : `does not hold (${String(data.condition)})`;
  const poll = typeof data.poll === 'number' && data.poll > 1 ? ` (poll ${data.poll})` : '';
  return `${String(data.stage)}-check ${String(data.check)}: ${probe}${verdict}${poll}`;
}

/** A signed decision as it arrived: what the statement says (who signed it is the verdict's business, next in the trail). */
function updateEntry(at: string, attrs: NonNullable<HistoryEvent['workflowExecutionUpdateAcceptedEventAttributes']>): TimelineEntry {
  const name = attrs.acceptedRequest?.input?.name ?? 'unknown';
  const identity = attrs.acceptedRequest?.meta?.identity;
  const signed = decodeFirst<Partial<SignedStatement>>(attrs.acceptedRequest?.input?.args);
  const parsed = typeof signed?.statement === 'string' ? parseApprovalStatement(signed.statement) : undefined;
  const what = parsed?.ok
    ? `signed ${parsed.value.verdict} for plan ${parsed.value.planHash.slice(0, 12)}${parsed.value.reason ? `: "${parsed.value.reason}"` : ''}`
    : 'a statement that does not parse';
  return {
    at,
    kind: 'update',
    summary: `update ${name}: ${what}${identity ? ` (sent by client ${identity})` : ''}`,
    detail: { update: name, input: signed ?? null, identity: identity ?? null },
  };
}

function signalEntry(at: string, attrs: NonNullable<HistoryEvent['workflowExecutionSignaledEventAttributes']>): TimelineEntry {
  const name = attrs.signalName ?? 'unknown';
  const payload = decodeFirst<Partial<ApproveSignal & RejectSignal>>(attrs.input) ?? {};
  const by = typeof payload.by === 'string' ? payload.by : '';
  const reason = payload.reason ? `: "${payload.reason}"` : '';
  const plan = payload.planHash ? ` for plan ${payload.planHash.slice(0, 12)}` : '';
  return {
    at,
    kind: 'signal',
    summary: `signal ${name} from ${by || '(nobody named)'}${plan}${reason}${attrs.identity ? ` (sent by client ${attrs.identity})` : ''}`,
    ...(by ? { actor: by } : {}),
    detail: { signal: name, input: payload, identity: attrs.identity ?? null },
  };
}

/** A request to the coordinator (the batched protocol): the remediation asking, renewing or returning its slot. */
function guardrailRequestEntry(at: string, request: GuardrailRequest | undefined): TimelineEntry {
  const what = !request
    ? 'a request it could not decode'
    : request.kind === 'check'
      ? `${request.reserve ? 'asked for a slot' : 'asked for an evaluation'} for ${request.runbook.id} on ${request.incident.service}${request.humanApproved ? ' (human-approved)' : ''}`
      : request.kind === 'renew'
        ? `renewed lease ${request.leaseId}`
        : request.abandons
          ? `gave up waiting for an answer to ${request.abandons}`
          : `returned its slot (${request.result})`;
  return { at, kind: 'guardrails', summary: `guardrails: ${what}`, detail: { request } };
}

function guardrailReplyEntry(at: string, reply: GuardrailReply | undefined): TimelineEntry {
  if (!reply) return { at, kind: 'guardrails', summary: 'guardrails: an answer it could not decode' };
  if (reply.kind === 'lease_lost') return { at, kind: 'guardrails', summary: `guardrails: lease ${reply.leaseId} lost: ${reply.reason}`, detail: { reply } };
  const verdict = reply.verdict;
  const what =
    verdict.kind === 'granted'
      ? `slot granted (lease ${verdict.lease.leaseId ?? ''}, until ${new Date(verdict.lease.expiresAtMs).toISOString()})`
      : verdict.kind === 'clear'
        ? 'guardrails clear'
        : verdict.kind === 'queued'
          ? `waiting in line for a slot: ${verdict.reason}`
          : verdict.kind === 'outside_window'
            ? `outside its change window: ${verdict.reason}`
            : `denied (${verdict.event}): ${verdict.reason}`;
  return { at, kind: 'guardrails', summary: `guardrails: ${what}`, detail: { reply } };
}

interface ActivityClose {
  scheduledEventId: string;
  result?: unknown;
  failure?: string;
}

function activityClose(event: HistoryEvent): ActivityClose | undefined {
  const completed = event.activityTaskCompletedEventAttributes;
  if (completed) return { scheduledEventId: String(completed.scheduledEventId), result: decodeFirst(completed.result) };
  const failed = event.activityTaskFailedEventAttributes;
  if (failed) return { scheduledEventId: String(failed.scheduledEventId), failure: failureText(failed.failure) };
  const timedOut = event.activityTaskTimedOutEventAttributes;
  if (timedOut) return { scheduledEventId: String(timedOut.scheduledEventId), failure: `timed out${timedOut.failure?.message ? `: ${failureText(timedOut.failure)}` : ''}` };
  const canceled = event.activityTaskCanceledEventAttributes;
  if (canceled) return { scheduledEventId: String(canceled.scheduledEventId), failure: 'canceled' };
  return undefined;
}

function failureText(failure: { message?: string | null; cause?: unknown } | null | undefined): string {
  if (!failure) return 'failed';
  const cause = failure.cause as { message?: string | null } | null | undefined;
  return cause?.message ? `${failure.message}: ${cause.message}` : (failure.message ?? 'failed');
}

function activityEntry(at: string, activity: Scheduled, close: ActivityClose, stage: { actionsStarted: boolean }): TimelineEntry {
  const attempts = activity.attempt > 1 ? ` (attempt ${activity.attempt})` : '';
  const detail = { activity: activity.type, attempt: activity.attempt, input: activity.input, ...(close.failure ? { failure: close.failure } : { result: close.result }) };
  switch (activity.type) {
    case 'runCheck': {
      const request = activity.input as CheckRequest;
      const outcome = close.result as CheckOutcome | undefined;
      const label = `${stage.actionsStarted ? 'post' : 'pre'}-check ${request.check}`;
      const probe = request.probe ? `${describeRun(request.probe)}${outcome?.probe ? ` → ${describeResult(outcome.probe)}` : ''}: ` : '';
      const verdict = close.failure ? `could not be evaluated: ${close.failure}` : outcome!.passed ? 'holds' : `does not hold (${request.condition})`;
      return { at, kind: 'check', summary: `${label}: ${probe}${verdict}${attempts}`, detail };
    }
    case 'runAction': {
      const request = activity.input as ActionRequest;
      const outcome = close.result as ActionOutcome | undefined;
      const rollback = request.idempotencyKey.includes('/rollback/');
      if (!rollback) stage.actionsStarted = true;
      const outputs = outcome && Object.keys(outcome.outputs).length > 0 ? `; outputs ${JSON.stringify(outcome.outputs)}` : '';
      const result = close.failure ? `failed: ${close.failure}` : `${describeResult(outcome!.result)}${outputs}`;
      return { at, kind: 'action', summary: `${rollback ? 'rollback ' : ''}action ${request.step}: ${describeRun(request.run)} → ${result}${attempts}`, detail };
    }
    case 'notify': {
      const notification = activity.input as Notification;
      const sinks = close.failure ? `failed: ${close.failure}` : (close.result as SinkResult[]).map((s) => `${s.sink} ${s.ok ? 'ok' : `failed (${s.error})`}`).join(', ') || 'no sinks';
      return { at, kind: 'notification', summary: `notification ${notification.kind} (${notification.severity}): ${notification.title} → ${sinks}`, detail };
    }
    case 'guardrailSnapshot': {
      const snapshot = close.result as GuardrailSnapshot | null | undefined;
      const what = close.failure ? `failed: ${close.failure}` : snapshot ? `${snapshot.active.length} remediation(s) active` : 'no coordinator yet (nothing recorded)';
      return { at, kind: 'guardrails', summary: `guardrails: read the shared state: ${what}`, detail };
    }
    case 'acquireGuardrails': {
      const verdict = close.result as AcquireVerdict | undefined;
      const what = close.failure ? `failed: ${close.failure}` : verdict!.granted ? 'slot granted' : `denied (${verdict!.event}): ${verdict!.reason}`;
      return { at, kind: 'guardrails', summary: `guardrails: ${what}`, detail };
    }
    case 'releaseGuardrails': {
      const request = activity.input as ReleaseRequest;
      return { at, kind: 'guardrails', summary: `guardrails: slot released (${request.result})${close.failure ? ` failed: ${close.failure}` : ''}`, detail };
    }
    default:
      return { at, kind: 'activity', summary: `${activity.type}: ${close.failure ? `failed: ${close.failure}` : 'completed'}${attempts}`, detail };
  }
}

function outcomeEntry(at: string, closed: NonNullable<ReturnType<typeof readRecord>['closed']>): TimelineEntry {
  const result = closed.result;
  if (closed.status !== 'completed' || !result) {
    return { at, kind: 'outcome', summary: `workflow ${closed.status.replace(/_/g, ' ')}${closed.reason ? `: ${closed.reason}` : ''}`, detail: { status: closed.status } };
  }
  const approvals = result.approvals.length > 0 ? `; approved by ${result.approvals.map((a) => `${a.by} at ${a.at}`).join(', ')}` : '';
  return {
    at,
    kind: 'outcome',
    summary: `outcome ${result.outcome}${result.runbook ? ` (${result.runbook} ${result.runbookVersion?.slice(0, 12)})` : ''}${approvals}`,
    detail: { outcome: result.outcome, decision: result.decision, runbook: result.runbook, runbookVersion: result.runbookVersion, planHash: result.planHash, approvals: result.approvals },
  };
}

/** Compact, for humans: 1h30m, 20m, 45s, 200ms. */
function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return [h ? `${h}h` : '', m ? `${m}m` : '', s && !h ? `${s}s` : ''].join('') || '0s';
}
