/** What an audit timeline is made of (client/timeline.ts builds it). */
import type { Incident, Outcome } from '../dsl/types';
import type { CloseStatus } from './history';

export type TimelineKind =
  | 'submitted'
  | 'decision'
  | 'workflow'
  | 'signal'
  | 'update'
  | 'check'
  | 'action'
  | 'notification'
  | 'guardrails'
  | 'timer'
  | 'activity'
  | 'outcome';

export interface TimelineEntry {
  /** ISO 8601. */
  at: string;
  kind: TimelineKind;
  /** One line for humans. */
  summary: string;
  /** Who: the sender of a signal, the approver an audit event names. */
  actor?: string;
  /** Inputs and results, for machines (`audit --json`). */
  detail?: Record<string, unknown>;
}

export interface Timeline {
  incident: Incident;
  catalogueVersion: string;
  status: 'running' | CloseStatus;
  outcome: Outcome | null;
  /** False when the workflow's audit trail was unavailable: decision reasons and approval verdicts are missing. */
  trailAvailable: boolean;
  entries: TimelineEntry[];
}
