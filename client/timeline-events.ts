/** Timeline entries for the workflow's own events: failed tasks, timers, and how it closed. */
import { eventTimeMs, protoMs, type Closed, type HistoryEvent } from './history';
import type { TimelineEntry } from './timeline-types';

export function workflowTaskFailedEntry(at: string, attrs: NonNullable<HistoryEvent['workflowTaskFailedEventAttributes']>): TimelineEntry {
  const failure = attrs.failure?.message ?? 'unknown failure';
  return { at, kind: 'workflow', summary: `workflow task failed (the worker retries it): ${failure}` };
}

export function timerStartedEntry(
  at: string,
  event: HistoryEvent,
  attrs: NonNullable<HistoryEvent['timerStartedEventAttributes']>,
): TimelineEntry {
  const afterMs = protoMs(attrs.startToFireTimeout);
  return {
    at,
    kind: 'timer',
    summary: `timer ${attrs.timerId} started: fires in ${formatMs(afterMs)} unless something wakes the workflow first`,
    detail: { timerId: attrs.timerId, firesAt: new Date(eventTimeMs(event) + afterMs).toISOString() },
  };
}

export function timerEndedEntry(at: string, event: HistoryEvent): TimelineEntry {
  const timerId = event.timerFiredEventAttributes?.timerId ?? event.timerCanceledEventAttributes?.timerId ?? '';
  const fired = Boolean(event.timerFiredEventAttributes);
  return {
    at,
    kind: 'timer',
    summary: `timer ${timerId} ${fired ? 'fired' : 'canceled (the workflow moved on)'}`,
    detail: { timerId, fired },
  };
}

export function outcomeEntry(at: string, closed: Closed): TimelineEntry {
  const result = closed.result;
  if (closed.status !== 'completed' || !result) {
    return {
      at,
      kind: 'outcome',
      summary: `workflow ${closed.status.replace(/_/g, ' ')}${closed.reason ? `: ${closed.reason}` : ''}`,
      detail: { status: closed.status },
    };
  }
  const approvals = result.approvals.length > 0 ? `; approved by ${result.approvals.map((a) => `${a.by} at ${a.at}`).join(', ')}` : '';
  return {
    at,
    kind: 'outcome',
    summary: `outcome ${result.outcome}${result.runbook ? ` (${result.runbook} ${result.runbookVersion?.slice(0, 12)})` : ''}${approvals}`,
    detail: {
      outcome: result.outcome,
      decision: result.decision,
      runbook: result.runbook,
      runbookVersion: result.runbookVersion,
      planHash: result.planHash,
      approvals: result.approvals,
    },
  };
}

/** Compact, for humans: 1h30m, 20m, 45s, 200ms. */
function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return [h ? `${h}h` : '', m ? `${m}m` : '', s && !h ? `${s}s` : ''].join('') || '0s';
}
