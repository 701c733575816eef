/**
 * Reading a remediation back from its workflow history: what it was given (the incident, and the
 * catalogue and policy of that day: from the worker-context local activity's recorded answer, or
 * from the first event for runs recorded before `operator-policy`) and how it closed. Every payload is
 * decoded and checked against what it should be (client/history-decode.ts, client/history-schemas/).
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { CompiledCatalogue } from '../dsl/types';
import { HISTORY_FORMAT, type OperatorPolicy, type RemediationInput, type RemediationResult } from '../contracts/types';
import { decodeChecked, decodeOptional, malformed, NotARemediationError } from './history-decode';
import { validateInput, validateLocalActivityMarker, validateResult, validateWorkerContext } from './history-schemas/workflow';

export { MalformedHistoryError, NotARemediationError } from './history-decode';

export type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
export type HistoryEvent = NonNullable<History['events']>[number];

export const REMEDIATION_WORKFLOW_TYPE = 'remediateIncident';

type ProtoTime = { seconds?: { toNumber(): number } | number | string | null; nanos?: number | null } | null | undefined;

/**
 * A protobuf Timestamp or Duration in milliseconds. Histories decoded from the wire carry
 * `seconds` as a Long, histories read from JSON files as a number or string.
 */
export function protoMs(value: ProtoTime): number {
  if (!value) return 0;
  const seconds = value.seconds;
  const whole = typeof seconds === 'object' && seconds !== null ? seconds.toNumber() : Number(seconds ?? 0);
  return whole * 1000 + Math.floor((value.nanos ?? 0) / 1e6);
}

export function eventTimeMs(event: HistoryEvent): number {
  return protoMs(event.eventTime);
}

export type CloseStatus = 'completed' | 'failed' | 'terminated' | 'canceled' | 'timed_out' | 'continued_as_new';

export interface Closed {
  status: CloseStatus;
  atMs: number;
  /** Present when the workflow completed. */
  result?: RemediationResult;
  /** Why it did not complete (failure message, termination reason). */
  reason?: string;
}

export interface RemediationRecord {
  input: RemediationInput;
  /** The catalogue the run decided with, wherever the run recorded it. */
  catalogue: CompiledCatalogue;
  policy?: OperatorPolicy;
  startedAtMs: number;
  closed?: Closed;
}

export function readRecord(history: History): RemediationRecord {
  const events = history.events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  if (!started) throw new NotARemediationError('the history does not begin with a workflow start');
  if (started.workflowType?.name !== REMEDIATION_WORKFLOW_TYPE) {
    throw new NotARemediationError(`workflow type is ${started.workflowType?.name ?? 'unknown'}, not ${REMEDIATION_WORKFLOW_TYPE}`);
  }
  const first = events[0]!;
  const input = decodeChecked(started.input, validateInput, { eventId: first.eventId, what: 'the workflow input (an incident)' });
  const formatVersion = historyFormat(input);
  if (formatVersion > HISTORY_FORMAT.current) {
    throw malformed(
      { eventId: first.eventId, what: `a history format up to ${HISTORY_FORMAT.current}` },
      `format ${formatVersion} was written by a newer remediate`,
    );
  }
  const context = input.catalogue ? { catalogue: input.catalogue, policy: input.policy } : workerContextOf(events);
  if (!context?.catalogue) throw new NotARemediationError('the history records no catalogue (the run has not started deciding yet)');
  const last = events[events.length - 1]!;
  return {
    input,
    catalogue: context.catalogue,
    policy: context.policy,
    startedAtMs: eventTimeMs(first),
    ...(events.length > 1 ? closedBy(last) : {}),
  };
}

/** The history's format (contracts/types.ts HISTORY_FORMAT): the initial one when its input does not say. */
export function historyFormat(input: RemediationInput): number {
  return input.formatVersion ?? HISTORY_FORMAT.initial;
}

/** The worker-context local activity's answer, as its marker recorded it. */
function workerContextOf(events: readonly HistoryEvent[]): { catalogue?: CompiledCatalogue; policy?: OperatorPolicy } | undefined {
  for (const event of events) {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') continue;
    const data = decodeChecked(marker.details?.data, validateLocalActivityMarker, {
      eventId: event.eventId,
      what: 'a local activity marker',
    });
    if (data.activity_type !== 'workerContext') continue;
    // An answer that has not been recorded yet (the activity is retrying) is no context yet.
    return decodeOptional(marker.details?.result, validateWorkerContext, {
      eventId: event.eventId,
      what: "the worker's context (workerContext result)",
    });
  }
  return undefined;
}

function closedBy(event: HistoryEvent): { closed?: Closed } {
  const atMs = eventTimeMs(event);
  if (event.workflowExecutionCompletedEventAttributes) {
    const result = decodeChecked(event.workflowExecutionCompletedEventAttributes.result, validateResult, {
      eventId: event.eventId,
      what: 'the remediation result',
    });
    return { closed: { status: 'completed', atMs, result } };
  }
  if (event.workflowExecutionFailedEventAttributes) {
    return { closed: { status: 'failed', atMs, reason: event.workflowExecutionFailedEventAttributes.failure?.message ?? 'failed' } };
  }
  if (event.workflowExecutionTerminatedEventAttributes) {
    return { closed: { status: 'terminated', atMs, reason: event.workflowExecutionTerminatedEventAttributes.reason || 'terminated' } };
  }
  if (event.workflowExecutionCanceledEventAttributes) return { closed: { status: 'canceled', atMs } };
  if (event.workflowExecutionTimedOutEventAttributes) return { closed: { status: 'timed_out', atMs } };
  if (event.workflowExecutionContinuedAsNewEventAttributes) return { closed: { status: 'continued_as_new', atMs } };
  return {};
}
