/** The guardrail coordinator's messages: requests from remediations, verdicts and notices back, and what it notes. */
import type { AcquireRequest, Lease, ReleaseResult } from './state';
import type { BlockedEvent } from '../types';

/** Who asked: answers go to exactly this run, so a later run of the same workflow id never sees them. */
export interface RequestOrigin {
  workflowId: string;
  runId: string;
}

export type GuardrailRequest = CheckRequest | RenewRequest | ReleaseRequestV2;

/** Check the guardrails for one run; with `reserve`, also take the slot (atomically, as the single writer). */
export interface CheckRequest extends Omit<AcquireRequest, 'workflowId'> {
  kind: 'check';
  requestId: string;
  from: RequestOrigin;
  reserve: boolean;
}

export interface RenewRequest {
  kind: 'renew';
  requestId: string;
  from: RequestOrigin;
  incidentId: string;
  leaseId: string;
  leaseMs: number;
}

export interface ReleaseRequestV2 {
  kind: 'release';
  requestId: string;
  from: RequestOrigin;
  incidentId: string;
  /** The lease being returned; absent when the sender gave up waiting and abandons `abandons`. */
  leaseId?: string;
  /** A check request whose answer the sender stopped waiting for: its grant, if any, is void. */
  abandons?: string;
  result: ReleaseResult;
}

export type GuardrailVerdict =
  | { kind: 'granted'; lease: Lease }
  /** An evaluation without reservation found nothing in the way. */
  | { kind: 'clear' }
  | { kind: 'blocked'; event: BlockedEvent; reason: string }
  | { kind: 'outside_window'; reason: string; outside: 'wait' | 'approval'; opensAtMs?: number }
  /** Human-approved and only short of capacity: it waits in line, and a `granted` follows when a slot frees. */
  | { kind: 'queued'; position: number; reason: string };

export type GuardrailReply =
  | { kind: 'verdict'; requestId: string; verdict: GuardrailVerdict }
  | { kind: 'lease_lost'; incidentId: string; leaseId: string; reason: string };

export interface Outgoing {
  to: RequestOrigin;
  reply: GuardrailReply;
}

/** What the coordinator notes in its operator log for one request. */
export interface Noted {
  kind: 'granted' | 'denied' | 'released' | 'lease_expired' | 'renewed' | 'refused' | 'revoked';
  incidentId?: string;
  runbook?: string;
  detail: string;
}
