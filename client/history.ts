/**
 * Reading a remediation back from its workflow history: what it was given (the incident, and the
 * catalogue and policy of that day: from the worker-context local activity's recorded answer, or
 * from the first event for runs recorded before `operator-policy`) and how it closed. Payloads are decoded
 * with the SDK's default payload converter, the one the workflow wrote them with.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkerContext } from '../activities/worker-context';
import type { CompiledCatalogue } from '../dsl/types';
import type { OperatorPolicy, RemediationInput, RemediationResult } from '../contracts/types';
import { EXIT, UserFacingError } from '../dsl/user-facing-error';

export type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
export type HistoryEvent = NonNullable<History['events']>[number];
type Payloads = { payloads?: Parameters<typeof defaultPayloadConverter.fromPayload>[0][] | null } | null | undefined;

export const REMEDIATION_WORKFLOW_TYPE = 'remediateIncident';

/** A history that is not a remediation's, or is cut short. */
export class NotARemediationError extends UserFacingError {
  override readonly name = 'NotARemediationError';
  readonly exitCode = EXIT.USAGE;
}

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

function decodePayloads(payloads: Payloads): unknown[] {
  return (payloads?.payloads ?? []).map((payload) => defaultPayloadConverter.fromPayload(payload));
}

export function decodeFirst<T>(payloads: Payloads): T | undefined {
  return decodePayloads(payloads)[0] as T | undefined;
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
  const input = decodeFirst<RemediationInput>(started.input);
  if (!input?.incident) throw new NotARemediationError('the workflow input holds no incident');
  const context = input.catalogue ? { catalogue: input.catalogue, policy: input.policy } : workerContextOf(events);
  if (!context?.catalogue) throw new NotARemediationError('the history records no catalogue (the run has not started deciding yet)');
  const last = events[events.length - 1]!;
  return { input, catalogue: context.catalogue, policy: context.policy, startedAtMs: eventTimeMs(events[0]!), ...(events.length > 1 ? closedBy(last) : {}) };
}

/** The worker-context local activity's answer, as its marker recorded it. */
function workerContextOf(events: readonly HistoryEvent[]): WorkerContext | undefined {
  for (const event of events) {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') continue;
    const data = decodeFirst<{ activity_type?: string }>(marker.details?.data);
    if (data?.activity_type === 'workerContext') return decodeFirst<WorkerContext>(marker.details?.result);
  }
  return undefined;
}

function closedBy(event: HistoryEvent): { closed?: Closed } {
  const atMs = eventTimeMs(event);
  if (event.workflowExecutionCompletedEventAttributes) {
    return { closed: { status: 'completed', atMs, result: decodeFirst<RemediationResult>(event.workflowExecutionCompletedEventAttributes.result) } };
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
