/**
 * The guardrail coordinator's message protocol, as pure functions: remediations send requests as
 * signals, the coordinator drains them in batches and answers each requester with a signal of its
 * own. Keeping the protocol pure makes it unit- and model-testable and keeps the workflow a thin
 * shell. Temporal's limits shaped it: signals are not capped per workflow the way in-flight updates
 * are (10), and one workflow task answers a whole batch. The messages are in
 * ./guardrails/protocol-types, their parsing in ./guardrails/parse-request.
 */
import { HOUR_MS } from './guardrails/defaults';
import type { CheckRequest, GuardrailRequest, GuardrailVerdict, Noted, Outgoing, ReleaseRequestV2 } from './guardrails/protocol-types';
import { ownValue, safeRecord, setOwn } from './safe-record';
import { advance, refusal, release, renew, reserve, type GuardrailPolicy, type GuardrailState, type Lease } from './guardrail-state';

export type {
  CheckRequest,
  GuardrailReply,
  GuardrailRequest,
  GuardrailVerdict,
  Noted,
  Outgoing,
  ReleaseRequestV2,
  RenewRequest,
  RequestOrigin,
} from './guardrails/protocol-types';
export { parseGuardrailRequest } from './guardrails/parse-request';

/** How long a tombstone for an abandoned request is kept: longer than any signal stays in flight. */
const ABANDON_TTL_MS = HOUR_MS;

/**
 * Order within a batch: returned slots first (they free capacity), then human-approved work, then
 * evaluations (they reserve nothing), then new automatic work, each in arrival order.
 */
export function requestRank(request: GuardrailRequest): number {
  switch (request.kind) {
    case 'release':
    case 'renew':
      return 0;
    case 'check':
      return request.humanApproved ? 1 : request.reserve ? 3 : 2;
  }
}

export function prioritise(requests: readonly GuardrailRequest[]): GuardrailRequest[] {
  return requests
    .map((request, index) => ({ request, index }))
    .sort((a, b) => requestRank(a.request) - requestRank(b.request) || a.index - b.index)
    .map(({ request }) => request);
}

/** Applies one request; returns the answers to send and what to note. */
export function handleRequest(
  state: GuardrailState,
  policy: GuardrailPolicy,
  request: GuardrailRequest,
  nowMs: number,
): { out: Outgoing[]; noted: Noted[] } {
  switch (request.kind) {
    case 'check':
      return handleCheck(state, policy, request, nowMs);
    case 'renew': {
      if (renew(state, request.incidentId, request.leaseId, request.leaseMs, nowMs)) return { out: [], noted: [] };
      const reason = 'the lease is no longer held (it expired or was released)';
      return {
        out: [{ to: request.from, reply: { kind: 'lease_lost', incidentId: request.incidentId, leaseId: request.leaseId, reason } }],
        noted: [{ kind: 'refused', incidentId: request.incidentId, detail: `renewal of ${request.leaseId}: ${reason}` }],
      };
    }
    case 'release':
      return handleRelease(state, request, nowMs);
  }
}

function handleCheck(
  state: GuardrailState,
  policy: GuardrailPolicy,
  request: CheckRequest,
  nowMs: number,
): { out: Outgoing[]; noted: Noted[] } {
  const answer = (verdict: GuardrailVerdict): Outgoing[] => [
    { to: request.from, reply: { kind: 'verdict', requestId: request.requestId, verdict } },
  ];
  const base = { incidentId: request.incidentId, runbook: request.runbook.id };
  if (ownValue(state.abandoned ?? {}, request.requestId) !== undefined) {
    return {
      out: [],
      noted: [{ kind: 'refused', ...base, detail: `request ${request.requestId} arrived after its sender gave up waiting` }],
    };
  }
  const held = ownValue(state.leases, request.incidentId);
  if (held) {
    // A retried request gets its lease back; a check for an incident whose lease belongs to another run is refused.
    if (request.reserve && held.requestId === request.requestId) return { out: answer({ kind: 'granted', lease: held }), noted: [] };
    const reason = `incident ${request.incidentId} already holds a guardrail slot (${held.workflowId})`;
    return { out: answer({ kind: 'blocked', event: 'BLAST_LIMITED', reason }), noted: [{ kind: 'denied', ...base, detail: reason }] };
  }
  const waiting = state.waiting ?? [];
  if (request.reserve && request.humanApproved && waiting.length > 0) {
    // Behind those already waiting, first come first served.
    return enqueue(state, request, nowMs, () => `approved; waits behind ${waiting.length} other approved remediation(s) for a slot`);
  }
  if (request.reserve && !request.humanApproved && waiting.length > 0) {
    const reason = `${waiting.length} human-approved remediation(s) are waiting for a slot and go first`;
    return {
      out: answer({ kind: 'blocked', event: 'BLAST_LIMITED', reason }),
      noted: [{ kind: 'denied', ...base, detail: `BLAST_LIMITED: ${reason}` }],
    };
  }
  // An evaluation comes before humans decide: what is under change now says nothing about when they approve.
  const refused = refusal(state, policy, request, nowMs, { capacity: request.reserve });
  if (refused && request.reserve && request.humanApproved && refused.event === 'BLAST_LIMITED' && !spansTooMany(request)) {
    return enqueue(
      state,
      request,
      nowMs,
      (position) => `${refused.reason}; approved, so it waits for the next slot (position ${position})`,
    );
  }
  if (refused) {
    return { out: answer(verdictOf(refused)), noted: [{ kind: 'denied', ...base, detail: `${refused.event}: ${refused.reason}` }] };
  }
  if (!request.reserve) return { out: answer({ kind: 'clear' }), noted: [] };
  const lease = reserve(state, { ...request, workflowId: request.from.workflowId, runId: request.from.runId }, nowMs);
  const detail = `${request.incident.service}${lease.trial ? ' (half-open trial)' : ''}${request.humanApproved ? ' (human-approved)' : ''}`;
  return { out: answer({ kind: 'granted', lease }), noted: [{ kind: 'granted', ...base, detail }] };
}

/** Puts an approved request at the end of the line for a slot and tells its sender where it stands. */
function enqueue(
  state: GuardrailState,
  request: CheckRequest,
  nowMs: number,
  reasonAt: (position: number) => string,
): { out: Outgoing[]; noted: Noted[] } {
  state.waiting = [
    ...(state.waiting ?? []),
    { requestId: request.requestId, from: request.from, request: { ...request, workflowId: request.from.workflowId }, queuedAtMs: nowMs },
  ];
  const position = state.waiting.length;
  const reason = reasonAt(position);
  return {
    out: [{ to: request.from, reply: { kind: 'verdict', requestId: request.requestId, verdict: { kind: 'queued', position, reason } } }],
    noted: [{ kind: 'denied', incidentId: request.incidentId, runbook: request.runbook.id, detail: `queued: ${reason}` }],
  };
}

/** What a refusal tells the run: wait for a change window, or stop. */
function verdictOf(refused: NonNullable<ReturnType<typeof refusal>>): GuardrailVerdict {
  if (refused.event !== 'OUTSIDE_CHANGE_WINDOW') return { kind: 'blocked', event: refused.event, reason: refused.reason };
  return {
    kind: 'outside_window',
    reason: refused.reason,
    outside: 'outside' in refused ? refused.outside : 'wait',
    opensAtMs: 'opensAtMs' in refused ? refused.opensAtMs : undefined,
  };
}

/** An incident that spans more services than its runbook may touch never fits, however long it waits. */
function spansTooMany(request: CheckRequest): boolean {
  return request.incident.services.length > request.runbook.guardrails.blastRadiusLimit;
}

/**
 * Grants queued human-approved runs, in order, while capacity allows; one refused for any other
 * reason than capacity is answered and leaves the line. Call after anything that frees a slot.
 */
export function serveWaiting(state: GuardrailState, policy: GuardrailPolicy, nowMs: number): { out: Outgoing[]; noted: Noted[] } {
  const out: Outgoing[] = [];
  const noted: Noted[] = [];
  while (state.waiting && state.waiting.length > 0) {
    const next = state.waiting[0]!;
    const refused = refusal(state, policy, next.request, nowMs);
    if (refused?.event === 'BLAST_LIMITED') break;
    state.waiting.shift();
    const base = { incidentId: next.request.incidentId, runbook: next.request.runbook.id };
    if (refused) {
      const verdict: GuardrailVerdict =
        refused.event === 'OUTSIDE_CHANGE_WINDOW'
          ? { kind: 'blocked', event: 'BLAST_LIMITED', reason: refused.reason }
          : { kind: 'blocked', event: refused.event, reason: refused.reason };
      out.push({ to: next.from, reply: { kind: 'verdict', requestId: next.requestId, verdict } });
      noted.push({ kind: 'denied', ...base, detail: `${refused.event}: ${refused.reason}` });
      continue;
    }
    const lease = reserve(state, { ...next.request, requestId: next.requestId, runId: next.from.runId }, nowMs);
    out.push({ to: next.from, reply: { kind: 'verdict', requestId: next.requestId, verdict: { kind: 'granted', lease } } });
    noted.push({
      kind: 'granted',
      ...base,
      detail: `${next.request.incident.service} (human-approved, waited ${Math.round((nowMs - next.queuedAtMs) / 1000)} s)`,
    });
  }
  if (state.waiting?.length === 0) delete state.waiting;
  return { out, noted };
}

function handleRelease(state: GuardrailState, request: ReleaseRequestV2, nowMs: number): { out: Outgoing[]; noted: Noted[] } {
  if (request.abandons !== undefined && state.waiting?.some((w) => w.requestId === request.abandons)) {
    state.waiting = state.waiting.filter((w) => w.requestId !== request.abandons);
    return {
      out: [],
      noted: [{ kind: 'released', incidentId: request.incidentId, detail: 'left the line for a slot (its requester gave up waiting)' }],
    };
  }
  if (request.abandons !== undefined) {
    const held = ownValue(state.leases, request.incidentId);
    if (held?.requestId === request.abandons) {
      release(state, { incidentId: request.incidentId, result: 'no_action', leaseId: held.leaseId }, nowMs);
      return {
        out: [],
        noted: [
          {
            kind: 'released',
            incidentId: request.incidentId,
            runbook: held.runbook,
            detail: 'abandoned by its requester (no answer in time)',
          },
        ],
      };
    }
    state.abandoned = state.abandoned ?? safeRecord();
    setOwn(state.abandoned, request.abandons, nowMs + ABANDON_TTL_MS);
    return { out: [], noted: [] };
  }
  const lease = release(state, { incidentId: request.incidentId, result: request.result, leaseId: request.leaseId }, nowMs);
  return lease
    ? { out: [], noted: [{ kind: 'released', incidentId: request.incidentId, runbook: lease.runbook, detail: request.result }] }
    : { out: [], noted: [] };
}

/**
 * An operator takes a slot back (its remediation is stuck, or must stop now). Counted as a failure:
 * the run may have acted and will not verify. Its holder is told and stops before its next step.
 */
export function revoke(
  state: GuardrailState,
  incidentId: string,
  by: string,
  reason: string,
  nowMs: number,
): { out: Outgoing[]; noted: Noted[] } {
  const lease = release(state, { incidentId, result: 'failure' }, nowMs);
  if (!lease) return { out: [], noted: [{ kind: 'refused', incidentId, detail: `revoke by ${by}: ${incidentId} holds no slot` }] };
  return {
    out: lostNotice(lease, `revoked by ${by}: ${reason}`),
    noted: [{ kind: 'revoked', incidentId, runbook: lease.runbook, detail: `by ${by}: ${reason}; counted as a failure` }],
  };
}

function lostNotice(lease: Lease, reason: string): Outgoing[] {
  if (lease.leaseId === undefined || lease.runId === undefined) return [];
  return [
    {
      to: { workflowId: lease.workflowId, runId: lease.runId },
      reply: { kind: 'lease_lost', incidentId: lease.incidentId, leaseId: lease.leaseId, reason },
    },
  ];
}

/** Time's effects (see `advance`); every expired lease's holder is told it lost its slot. */
export function expire(state: GuardrailState, policy: GuardrailPolicy, nowMs: number): { out: Outgoing[]; noted: Noted[] } {
  const expired = advance(state, policy, nowMs, 'failure');
  return {
    out: expired.flatMap((lease) => lostNotice(lease, 'the lease expired before it was renewed or released')),
    noted: expired.map((lease) => ({
      kind: 'lease_expired' as const,
      incidentId: lease.incidentId,
      runbook: lease.runbook,
      detail: `${lease.workflowId} neither renewed nor released its slot; counted as a failure`,
    })),
  };
}
