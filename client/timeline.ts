/**
 * The audit timeline of one remediation, built from its workflow history: the submission, every
 * signal with who sent it, every check, action and notification with its inputs and result, the
 * guardrail calls, timers, and how it closed. The workflow's own audit trail (in its result, or
 * its status query while it runs) adds what only the workflow knows (client/timeline-trail.ts).
 * Every payload is checked as it is read (client/history-decode.ts): a malformed history is an
 * error naming its event.
 */
import { guardrailReplySignal, guardrailRequestSignal } from '../contracts/guardrail-messages';
import type { AuditEvent } from '../contracts/types';
import { eventTimeMs, historyFormat, readRecord, type History, type HistoryEvent, type RemediationRecord } from './history';
import { ActivityTracker, scheduledActivityTypes } from './timeline-activities';
import { outcomeEntry, timerEndedEntry, timerStartedEntry, workflowTaskFailedEntry } from './timeline-events';
import {
  guardrailReplyEntry,
  guardrailRequestEntry,
  searchAttributeDecisionEntry,
  signalEntry,
  submittedEntry,
  updateEntry,
} from './timeline-messages';
import { StageReader } from './timeline-stage';
import { TrailWeaver } from './timeline-trail';
import type { Timeline, TimelineEntry } from './timeline-types';

export type { Timeline, TimelineEntry, TimelineKind } from './timeline-types';

export function buildTimeline(history: History, runningTrail?: AuditEvent[]): Timeline {
  const record = readRecord(history);
  const events = history.events ?? [];
  const trail = record.closed?.result?.events ?? runningTrail;
  const weaver = new TrailWeaver(trail, scheduledActivityTypes(events));
  const activities = new ActivityTracker(new StageReader(historyFormat(record.input)));
  const entries: TimelineEntry[] = [];
  for (const event of events) {
    // Trail events carry their workflow task's start time: each goes before the first history event
    // that is later, so what the workflow decided stays ahead of what followed from it.
    if (!event.workflowExecutionStartedEventAttributes)
      entries.push(...weaver.flush(eventTimeMs(event), Boolean(event.workflowTaskStartedEventAttributes)));
    const entry = historyEntry(event, record, activities, !trail && !weaver.decisionShown);
    if (!entry) continue;
    entries.push(entry);
    if (entry.kind === 'decision') weaver.decisionShown = true;
  }
  entries.push(...weaver.flush(Number.POSITIVE_INFINITY, true), ...activities.inProgress());
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

/** The entry one history event makes, if any; `decisionFromSearchAttributes` when nothing else tells the decision. */
function historyEntry(
  event: HistoryEvent,
  record: RemediationRecord,
  activities: ActivityTracker,
  decisionFromSearchAttributes: boolean,
): TimelineEntry | undefined {
  const at = new Date(eventTimeMs(event)).toISOString();
  const started = event.workflowExecutionStartedEventAttributes;
  if (started) return submittedEntry(at, record.input.incident, record.catalogue, started.identity);
  if (event.workflowTaskFailedEventAttributes) return workflowTaskFailedEntry(at, event.workflowTaskFailedEventAttributes);
  const upsert = event.upsertWorkflowSearchAttributesEventAttributes;
  if (upsert) return decisionFromSearchAttributes ? searchAttributeDecisionEntry(at, event, upsert) : undefined;
  const signal = event.workflowExecutionSignaledEventAttributes;
  if (signal)
    return signal.signalName === guardrailReplySignal.name ? guardrailReplyEntry(at, event, signal) : signalEntry(at, event, signal);
  if (event.workflowExecutionUpdateAcceptedEventAttributes)
    return updateEntry(at, event, event.workflowExecutionUpdateAcceptedEventAttributes);
  const request = event.signalExternalWorkflowExecutionInitiatedEventAttributes;
  if (request?.signalName === guardrailRequestSignal.name) return guardrailRequestEntry(at, event, request);
  const unsignalled = event.signalExternalWorkflowExecutionFailedEventAttributes;
  if (unsignalled)
    return {
      at,
      kind: 'guardrails',
      summary: `guardrails: the coordinator could not be signalled (${unsignalled.cause ?? 'unknown cause'})`,
    };
  if (event.timerStartedEventAttributes) return timerStartedEntry(at, event, event.timerStartedEventAttributes);
  if (event.timerFiredEventAttributes || event.timerCanceledEventAttributes) return timerEndedEntry(at, event);
  return activities.entryFor(event, at);
}
