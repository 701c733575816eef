/** Timeline entries for what was sent to a remediation and by it: the submission, signals, signed updates, and the guardrail protocol. */
import { parseGuardrailRequest } from '../dsl/guardrails/parse-request';
import { parseApprovalStatement } from '../dsl/trust/statement';
import type { CompiledCatalogue, Incident } from '../dsl/types';
import { DECISION } from '../contracts/search-attributes';
import { decodeChecked, decodeOptional, decodeValue, malformed } from './history-decode';
import type { HistoryEvent } from './history';
import { validateGuardrailReply } from './history-schemas/activities';
import { validateDecisionSignal, validateSearchAttributeText, validateSignedDecision } from './history-schemas/workflow';
import type { TimelineEntry } from './timeline-types';

type Attributes<K extends keyof HistoryEvent> = NonNullable<HistoryEvent[K]>;

export function submittedEntry(
  at: string,
  incident: Incident,
  catalogue: CompiledCatalogue,
  identity: string | null | undefined,
): TimelineEntry {
  const services = incident.services.length > 1 ? ` (services ${incident.services.join(', ')})` : '';
  return {
    at,
    kind: 'submitted',
    summary: `incident ${incident.id} submitted${identity ? ` by ${identity}` : ''}: ${incident.root_cause} on ${incident.service}${services}, confidence ${incident.confidence}; catalogue ${catalogue.version.slice(0, 12)} (${catalogue.runbooks.length} runbooks)`,
    detail: { incident, catalogueVersion: catalogue.version },
  };
}

/** Without the workflow's trail, its decision search attribute tells the decision (not why). */
export function searchAttributeDecisionEntry(
  at: string,
  event: HistoryEvent,
  attrs: Attributes<'upsertWorkflowSearchAttributesEventAttributes'>,
): TimelineEntry | undefined {
  const field = attrs.searchAttributes?.indexedFields?.[DECISION.name];
  const decision = field
    ? decodeChecked({ payloads: [field] }, validateSearchAttributeText, {
        eventId: event.eventId,
        what: `the ${DECISION.name} search attribute (text)`,
      })
    : undefined;
  if (!decision) return undefined;
  return { at, kind: 'decision', summary: `decision ${decision} (the reason is in the workflow's audit trail, which no worker returned)` };
}

/** A signed decision as it arrived: what the statement says (who signed it is the verdict's business, next in the trail). */
export function updateEntry(
  at: string,
  event: HistoryEvent,
  attrs: Attributes<'workflowExecutionUpdateAcceptedEventAttributes'>,
): TimelineEntry {
  const name = attrs.acceptedRequest?.input?.name ?? 'unknown';
  const identity = attrs.acceptedRequest?.meta?.identity;
  const signed = decodeOptional(attrs.acceptedRequest?.input?.args, validateSignedDecision, {
    eventId: event.eventId,
    what: `a signed statement (update ${name})`,
  });
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

export function signalEntry(at: string, event: HistoryEvent, attrs: Attributes<'workflowExecutionSignaledEventAttributes'>): TimelineEntry {
  const name = attrs.signalName ?? 'unknown';
  const payload =
    decodeOptional(attrs.input, validateDecisionSignal, { eventId: event.eventId, what: `an approve or reject signal (signal ${name})` }) ??
    {};
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
export function guardrailRequestEntry(
  at: string,
  event: HistoryEvent,
  attrs: Attributes<'signalExternalWorkflowExecutionInitiatedEventAttributes'>,
): TimelineEntry {
  // The coordinator's own parser: what it would refuse is no request.
  const source = { eventId: event.eventId, what: 'a guardrail request' };
  const raw = decodeValue(attrs.input, source);
  const request = parseGuardrailRequest(raw);
  if ('invalid' in request) throw malformed(source, request.invalid);
  const what =
    request.kind === 'check'
      ? `${request.reserve ? 'asked for a slot' : 'asked for an evaluation'} for ${request.runbook.id} on ${request.incident.service}${request.humanApproved ? ' (human-approved)' : ''}`
      : request.kind === 'renew'
        ? `renewed lease ${request.leaseId}`
        : request.abandons
          ? `gave up waiting for an answer to ${request.abandons}`
          : `returned its slot (${request.result})`;
  return { at, kind: 'guardrails', summary: `guardrails: ${what}`, detail: { request: raw } };
}

export function guardrailReplyEntry(
  at: string,
  event: HistoryEvent,
  attrs: Attributes<'workflowExecutionSignaledEventAttributes'>,
): TimelineEntry {
  const reply = decodeChecked(attrs.input, validateGuardrailReply, {
    eventId: event.eventId,
    what: "the coordinator's reply (guardrailReply signal)",
  });
  if (reply.kind === 'lease_lost')
    return { at, kind: 'guardrails', summary: `guardrails: lease ${reply.leaseId} lost: ${reply.reason}`, detail: { reply } };
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
