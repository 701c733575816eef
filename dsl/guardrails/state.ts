/**
 * The guardrail state shared by every remediation, as the coordinator (its single writer) holds
 * it, and the views the rules read of it. Its keyed records are null-prototype (see
 * ../safe-record): incident data names their keys.
 */
import { safeRecord } from '../safe-record';
import type { BlockedEvent, BreakerSnapshot, CompiledRunbook, Incident } from '../types';
import type { BreakerSettings, Freeze, GuardrailPolicy, GuardrailView } from './types';

export interface Lease {
  incidentId: string;
  workflowId: string;
  /** Fencing token: renewals and releases name it, so a stale message never touches a newer lease. Absent on leases of the update-based protocol. */
  leaseId?: string;
  /** The request that took it, so a requester that gave up waiting can abandon exactly this grant. */
  requestId?: string;
  /** The run that holds it, told when the lease is lost. */
  runId?: string;
  /** The runbook's breaker settings, so an expired lease feeds the right breaker. */
  breaker?: BreakerSettings;
  runbook: string;
  services: string[];
  acquiredAtMs: number;
  /** Safety net for a workflow terminated without running its cleanup. */
  expiresAtMs: number;
  /** The one run a half-open breaker lets through. */
  trial: boolean;
}

export interface GuardrailState {
  breakers: Record<string, BreakerSnapshot & BreakerSettings>;
  /** Grant times per `runbook:service`, pruned to what the rolling hour and cooldowns still need. */
  executions: Record<string, number[]>;
  /** When the cooldown of a `runbook:service` ends; removed by the coordinator's timer exactly then. */
  cooldowns: Record<string, number>;
  leases: Record<string, Lease>;
  /** Failure times per service, for the failure budget. */
  serviceFailures: Record<string, number[]>;
  freeze?: Freeze;
  /** Requests whose senders gave up waiting, until when to refuse them if they still arrive. */
  abandoned?: Record<string, number>;
  /**
   * Human-approved runs waiting for blast-radius capacity, first come first served. While any
   * waits, no new automatic run takes a slot: approved work goes ahead.
   */
  waiting?: QueuedRequest[];
  /** Counter behind lease ids. */
  leaseSeq?: number;
}

export interface QueuedRequest {
  requestId: string;
  from: { workflowId: string; runId: string };
  request: AcquireRequest;
  queuedAtMs: number;
}

/** What a remediation tells the coordinator about itself: only what the rules need. */
export interface AcquireRequest {
  incidentId: string;
  workflowId: string;
  incident: Pick<Incident, 'id' | 'service' | 'services'>;
  runbook: Pick<CompiledRunbook, 'id' | 'risk' | 'guardrails'>;
  /** A human approved this run: change windows and freezes hold automation, not people. */
  humanApproved: boolean;
  leaseMs: number;
}

export type AcquireVerdict =
  | { granted: true; lease: Lease }
  | { granted: false; event: BlockedEvent; reason: string }
  | { granted: false; event: 'OUTSIDE_CHANGE_WINDOW'; reason: string; outside: 'wait' | 'approval'; opensAtMs?: number };

export type ReleaseResult = 'success' | 'failure' | 'no_action';

export function emptyState(): GuardrailState {
  return { breakers: safeRecord(), executions: safeRecord(), cooldowns: safeRecord(), leases: safeRecord(), serviceFailures: safeRecord() };
}

/**
 * State as it arrives decoded from JSON (a continue-as-new input): the same state with every keyed
 * record null-prototype again. Overriding spread keys keeps their order, so the JSON shape (and the
 * carried inputs of recorded histories) stays the same.
 */
export function restoreState(raw: GuardrailState | undefined): GuardrailState {
  if (!raw) return emptyState();
  return {
    ...raw,
    breakers: safeRecord(raw.breakers),
    executions: safeRecord(raw.executions),
    cooldowns: safeRecord(raw.cooldowns),
    leases: safeRecord(raw.leases),
    serviceFailures: safeRecord(raw.serviceFailures),
    ...(raw.abandoned !== undefined ? { abandoned: safeRecord(raw.abandoned) } : {}),
  };
}

/** What the rules read of the state, without copying it: they only read. */
export function viewOf(state: GuardrailState, policy: GuardrailPolicy, nowMs: number): GuardrailView {
  return {
    nowMs,
    breakers: state.breakers,
    executions: state.executions,
    active: activeOf(state),
    limits: policy.limits,
    ...(state.freeze ? { freeze: state.freeze } : {}),
    serviceFailures: state.serviceFailures,
    failureBudget: policy.failureBudget,
    changeWindows: policy.changeWindows,
  };
}

/** A copy of the view, for the coordinator's query: what `remediate guardrails --snapshot` prints and `plan --state` reads. */
export function snapshotOf(state: GuardrailState, policy: GuardrailPolicy, nowMs: number): GuardrailView {
  return {
    nowMs,
    breakers: copy(state.breakers, (b): BreakerSnapshot => ({
      state: b.state,
      consecutiveFailures: b.consecutiveFailures,
      openedAtMs: b.openedAtMs,
      trialInFlight: b.trialInFlight,
    })),
    executions: copy(state.executions, (times) => [...times]),
    active: activeOf(state),
    limits: policy.limits,
    ...(state.freeze ? { freeze: { ...state.freeze } } : {}),
    serviceFailures: copy(state.serviceFailures, (times) => [...times]),
    failureBudget: policy.failureBudget,
    changeWindows: policy.changeWindows,
  };
}

function copy<T, U>(record: Record<string, T>, item: (value: T) => U): Record<string, U> {
  return safeRecord(Object.fromEntries(Object.entries(record).map(([key, value]) => [key, item(value)])));
}

function activeOf(state: GuardrailState): GuardrailView['active'] {
  return Object.values(state.leases).map((l) => ({ incidentId: l.incidentId, runbook: l.runbook, services: l.services }));
}
