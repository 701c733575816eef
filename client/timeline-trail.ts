/**
 * The workflow's own audit trail, woven into a timeline: what only the workflow knows (the decision
 * and why, whether each approval counted), and the checks and notifications that ran as local
 * activities. A trail event carries workflow time (its task's start), so it is placed before the
 * first later history event.
 */
import type { AuditEventType, DecisionKind } from '../dsl/types';
import type { AuditEvent } from '../contracts/types';
import { validateSinkResults } from './history-schemas/activities';
import type { TimelineEntry, TimelineKind } from './timeline-types';

/** Trail events the history already shows in full (as activities with inputs and results). */
const SHOWN_BY_HISTORY = new Set<AuditEventType>([
  'STEP_STARTED',
  'STEP_SUCCEEDED',
  'STEP_FAILED',
  'NOTIFIED',
  'NOTIFY_FAILED',
  'LEASE_RELEASED',
]);

/**
 * Checks and notifications that ran as local activities leave only a marker in history: for those
 * the trail is the record, and it is shown instead.
 */
function shownByHistory(event: AuditEvent, activities: ReadonlySet<string>): boolean {
  if (!SHOWN_BY_HISTORY.has(event.type)) return false;
  if (event.type === 'NOTIFIED' || event.type === 'NOTIFY_FAILED') return activities.has('notify');
  if (event.data?.stage !== undefined) return activities.has('runCheck');
  return true;
}

export class TrailWeaver {
  private readonly pending: AuditEvent[];
  /** The first trail event other than SUBMITTED is the decision; a search attribute stands in for it without a trail. */
  decisionShown = false;

  constructor(trail: readonly AuditEvent[] | undefined, scheduledActivityTypes: ReadonlySet<string>) {
    this.pending = (trail ?? []).filter((event) => !shownByHistory(event, scheduledActivityTypes));
  }

  /** Trail events up to `uptoMs`; at a task's start inclusive (they were recorded in it), before other events exclusive. */
  flush(uptoMs: number, inclusive: boolean): TimelineEntry[] {
    const out: TimelineEntry[] = [];
    for (
      let next = this.pending[0];
      next && (inclusive ? Date.parse(next.at) <= uptoMs : Date.parse(next.at) < uptoMs);
      next = this.pending[0]
    ) {
      this.pending.shift();
      // SUBMITTED (who submitted, with which catalogue and policy) comes before the decision.
      const isDecision = !this.decisionShown && next.type !== 'SUBMITTED';
      out.push(trailEntry(next, isDecision));
      if (isDecision) this.decisionShown = true;
    }
    return out;
  }
}

/** The decision kind a decision event stands for (the first event of every trail is the decision). */
const DECISION_OF: Partial<Record<AuditEventType, DecisionKind>> = {
  EXECUTING: 'auto',
  APPROVAL_REQUIRED: 'approval_required',
  NO_RUNBOOK: 'manual',
  LOW_CONFIDENCE: 'manual',
  SUGGESTED: 'manual',
};

function trailEntry(event: AuditEvent, isDecision: boolean): TimelineEntry {
  const kind: TimelineKind = isDecision
    ? 'decision'
    : event.type === 'NOTIFIED' || event.type === 'NOTIFY_FAILED'
      ? 'notification'
      : event.data?.stage !== undefined
        ? 'check'
        : 'workflow';
  return {
    at: event.at,
    kind,
    summary: isDecision
      ? `decision ${DECISION_OF[event.type] ?? 'blocked'} (${event.type}): ${event.message}`
      : kind === 'check'
        ? checkSummary(event)
        : kind === 'notification'
          ? notificationSummary(event)
          : `${event.type}: ${event.message}`,
    ...(event.actor ? { actor: event.actor } : {}),
    detail: { type: event.type, ...(event.step ? { step: event.step } : {}), ...(event.data ? { data: event.data } : {}) },
  };
}

/** A notification sent by a local activity, told as one sent by an activity is. */
function notificationSummary(event: AuditEvent): string {
  const data = event.data ?? {};
  if (typeof data.kind !== 'string') return `notification ${event.message}`;
  const recorded = validateSinkResults(data.sinkResults);
  const results = recorded.ok ? recorded.value : [];
  const sinks = results.map((r) => `${r.sink} ${r.ok ? 'ok' : `failed (${r.error})`}`).join(', ');
  return `notification ${data.kind} (${String(data.severity)}): ${String(data.title)} → ${sinks || 'no sinks'}`;
}

/** A check that ran as a local activity, told as an activity check is: stage, name, probe, verdict. */
function checkSummary(event: AuditEvent): string {
  const data = event.data ?? {};
  const probe = typeof data.probe === 'string' ? `${data.probe}: ` : '';
  const verdict = event.type === 'STEP_SUCCEEDED' ? 'holds' : `does not hold (${String(data.condition)})`;
  const poll = typeof data.poll === 'number' && data.poll > 1 ? ` (poll ${data.poll})` : '';
  return `${String(data.stage)}-check ${String(data.check)}: ${probe}${verdict}${poll}`;
}
