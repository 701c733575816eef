/**
 * Activity requests and results, and the coordinator's replies, as a history holds them: each with
 * the fields the timeline reads (the whole payload still goes into an entry's detail).
 */
import type { ActionOutcome, CheckOutcome } from '../../activities/remediation';
import type { SinkResult } from '../../activities/notify/types';
import { anyJson, anyOf, arr, bool, num, record, str, strEnum, type Typed } from '../../dsl/schema-builder';
import { literal, nullable, open, payloadValidator } from './builders';
import { executorResult, resolvedExecutor } from './catalogue';
import { BLOCKED_EVENTS } from './workflow';

/** `stage` is absent in requests recorded before format 2 (contracts/types.ts HISTORY_FORMAT). */
const checkRequest = open({ step: str(), check: str(), stage: strEnum(['pre', 'post']), probe: resolvedExecutor, condition: str() }, [
  'step',
  'check',
  'condition',
]);
const actionRequest = open({ step: str(), stage: strEnum(['action', 'rollback']), run: resolvedExecutor, idempotencyKey: str() }, [
  'step',
  'run',
  'idempotencyKey',
]);

const checkOutcome: Typed<CheckOutcome> = open(
  { passed: bool(), reason: str(), probe: executorResult, evidence: strEnum(['live', 'context', 'unreadable']) },
  ['passed', 'reason'],
);
const actionOutcome: Typed<ActionOutcome> = open({ result: executorResult, outputs: record(anyJson()) }, ['result', 'outputs']);

const notification = open({ kind: str(), severity: str(), title: str() }, ['kind', 'severity', 'title']);
export const sinkResults: Typed<SinkResult[]> = arr(open({ sink: str(), ok: bool(), error: str() }, ['sink', 'ok']));

const snapshot = nullable(open({ active: arr(anyJson()) }, ['active']));
const acquireVerdict = anyOf([
  open({ granted: exactly(true) }, ['granted']),
  open({ granted: exactly(false), event: str(), reason: str() }, ['granted', 'event', 'reason']),
]);
const releaseRequest = open({ result: str() }, ['result']);

const lease = open({ leaseId: str(), expiresAtMs: num() }, ['expiresAtMs']);
const outside = strEnum(['wait', 'approval']);
const BLOCKED = strEnum(BLOCKED_EVENTS);
const verdict = anyOf([
  open({ kind: literal('granted'), lease }, ['kind', 'lease']),
  open({ kind: literal('clear') }, ['kind']),
  open({ kind: literal('blocked'), event: BLOCKED, reason: str() }, ['kind', 'event', 'reason']),
  open({ kind: literal('outside_window'), reason: str(), outside, opensAtMs: num() }, ['kind', 'reason', 'outside']),
  open({ kind: literal('queued'), position: num(), reason: str() }, ['kind', 'position', 'reason']),
]);
/** The reply with the lease fields the timeline shows (a lease's other fields are the coordinator's). */
const reply = anyOf([
  open({ kind: literal('verdict'), requestId: str(), verdict }, ['kind', 'requestId', 'verdict']),
  open({ kind: literal('lease_lost'), incidentId: str(), leaseId: str(), reason: str() }, ['kind', 'incidentId', 'leaseId', 'reason']),
]);
/** `true` or `false` exactly, so that the verdict is a union the compiler tells apart. */
function exactly<const B extends boolean>(value: B): Typed<B> {
  return { schema: { type: 'boolean', enum: [value] } };
}

export const validateCheckRequest = payloadValidator(checkRequest);
export const validateActionRequest = payloadValidator(actionRequest);
export const validateCheckOutcome = payloadValidator(checkOutcome);
export const validateActionOutcome = payloadValidator(actionOutcome);
export const validateNotification = payloadValidator(notification);
export const validateSinkResults = payloadValidator(sinkResults);
export const validateSnapshot = payloadValidator(snapshot);
export const validateAcquireVerdict = payloadValidator(acquireVerdict);
export const validateReleaseRequest = payloadValidator(releaseRequest);
export const validateGuardrailReply = payloadValidator(reply);
