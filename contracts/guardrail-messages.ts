/** The guardrail coordinator's interface: what remediations, operators and the CLI send and ask. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { GuardrailReply, GuardrailRequest } from '../dsl/guardrail-protocol';
import type { AcquireRequest, AcquireVerdict, Freeze, GuardrailPolicy, GuardrailState, Lease, ReleaseResult } from '../dsl/guardrail-state';
import type { GuardrailSnapshot } from '../dsl/types';

export const DEFAULT_GUARDRAILS_WORKFLOW_ID = 'remediate-guardrails';

export interface GuardrailCoordinatorInput {
  policy: GuardrailPolicy;
  /** Carried across continue-as-new. */
  state?: GuardrailState;
  log?: GuardrailLogEntry[];
  /** History events before continuing as new (tests lower it). */
  historyLimit?: number;
  /** Requests received but not yet answered when the previous run continued as new. */
  inbox?: GuardrailRequest[];
}

export interface ReleaseRequest {
  incidentId: string;
  result: ReleaseResult;
  breaker: { failureThreshold: number; recoveryTimeoutMs: number };
}

/** A bounded log of what the coordinator decided, for operators (`remediate guardrails`). */
export interface GuardrailLogEntry {
  at: string;
  kind:
    | 'granted'
    | 'denied'
    | 'released'
    | 'lease_expired'
    | 'renewed'
    | 'refused'
    | 'revoked'
    | 'breaker_reset'
    | 'frozen'
    | 'unfrozen'
    | 'recovered';
  incidentId?: string;
  runbook?: string;
  detail: string;
}

export interface GuardrailView {
  state: GuardrailState;
  snapshot: GuardrailSnapshot;
  policy: GuardrailPolicy;
  log: GuardrailLogEntry[];
  /** Events in the current run's history; bounded by continue-as-new. */
  historyLength: number;
  /** Requests waiting for the next batch, and answers sent but not yet delivered (absent on the first protocol). */
  pending?: { requests: number; replies: number };
}

/** Remediations ask with this signal; the coordinator answers each one with `guardrailReplySignal`. */
export const guardrailRequestSignal = defineSignal<[GuardrailRequest]>('guardrailRequest');
/** Sent by the coordinator to the requesting run. */
export const guardrailReplySignal = defineSignal<[GuardrailReply]>('guardrailReply');

/** The first protocol's messages: still handled, for remediations that started before the batched one. */
export const acquireUpdate = defineUpdate<AcquireVerdict, [AcquireRequest]>('acquire');
export const releaseSignal = defineSignal<[ReleaseRequest]>('release');
export const resetBreakerSignal = defineSignal<[{ runbook: string; by: string }]>('resetBreaker');
export const freezeSignal = defineSignal<[Omit<Freeze, 'sinceMs'>]>('freeze');
export const unfreezeSignal = defineSignal<[{ by: string }]>('unfreeze');
/** An operator takes a slot back from a remediation that is stuck; it stops before its next action. */
export const revokeLeaseSignal = defineSignal<[{ incidentId: string; by: string; reason: string }]>('revokeLease');
export const guardrailStateQuery = defineQuery<GuardrailView>('guardrailState');

export type { AcquireRequest, AcquireVerdict, Lease };
