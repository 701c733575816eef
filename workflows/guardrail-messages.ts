/** The guardrail coordinator's interface: what remediations, operators and the CLI send and ask. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
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
}

export interface ReleaseRequest {
  incidentId: string;
  result: ReleaseResult;
  breaker: { failureThreshold: number; recoveryTimeoutMs: number };
}

/** A bounded log of what the coordinator decided, for operators (`remediate guardrails`). */
export interface GuardrailLogEntry {
  at: string;
  kind: 'granted' | 'denied' | 'released' | 'lease_expired' | 'breaker_reset' | 'frozen' | 'unfrozen';
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
}

export const acquireUpdate = defineUpdate<AcquireVerdict, [AcquireRequest]>('acquire');
export const releaseSignal = defineSignal<[ReleaseRequest]>('release');
export const resetBreakerSignal = defineSignal<[{ runbook: string; by: string }]>('resetBreaker');
export const freezeSignal = defineSignal<[Omit<Freeze, 'sinceMs'>]>('freeze');
export const unfreezeSignal = defineSignal<[{ by: string }]>('unfreeze');
export const guardrailStateQuery = defineQuery<GuardrailView>('guardrailState');

export type { AcquireRequest, AcquireVerdict, Lease };
