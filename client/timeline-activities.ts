/**
 * Activities in a timeline: each scheduled activity is followed to its close (completed, failed,
 * timed out, canceled) and told as a check, an action, a notification or a guardrail call, with its
 * request and result checked against what that activity takes and returns.
 */
import { describeResult, describeRun } from '../dsl/steps/describe';
import { check, decodeChecked, decodeOptional, decodeValue, type Payloads, type PayloadSource } from './history-decode';
import type { HistoryEvent } from './history';
import {
  validateAcquireVerdict,
  validateActionOutcome,
  validateActionRequest,
  validateCheckOutcome,
  validateCheckRequest,
  validateNotification,
  validateReleaseRequest,
  validateSinkResults,
  validateSnapshot,
} from './history-schemas/activities';
import type { StageReader } from './timeline-stage';
import type { TimelineEntry, TimelineKind } from './timeline-types';

interface Scheduled {
  eventId: string;
  type: string;
  input: unknown;
  attempt: number;
  scheduledAt: string;
}

interface Close {
  eventId: string;
  scheduledEventId: string;
  result?: Payloads;
  failure?: string;
}

/** What one kind of activity's entry says; `result` is the decoded result, for the entry's detail. */
interface Told {
  kind: TimelineKind;
  summary: string;
  result?: unknown;
}

export class ActivityTracker {
  private readonly scheduled = new Map<string, Scheduled>();

  constructor(private readonly stages: StageReader) {}

  /** The entry an activity event makes (only a close makes one), or undefined for other events. */
  entryFor(event: HistoryEvent, at: string): TimelineEntry | undefined {
    const attrs = event.activityTaskScheduledEventAttributes;
    if (attrs) {
      const eventId = String(event.eventId);
      const type = attrs.activityType?.name ?? 'unknown';
      this.scheduled.set(eventId, {
        eventId,
        type,
        input: decodeValue(attrs.input, { eventId, what: `the input of ${type}` }),
        attempt: 1,
        scheduledAt: at,
      });
      return undefined;
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const activity = this.scheduled.get(String(started.scheduledEventId));
      if (activity) activity.attempt = started.attempt ?? 1;
      return undefined;
    }
    const close = closeOf(event);
    const activity = close && this.scheduled.get(close.scheduledEventId);
    if (!close || !activity) return undefined;
    this.scheduled.delete(close.scheduledEventId);
    return this.closedEntry(at, activity, close);
  }

  /** Activities scheduled and not closed, at the end of the history. */
  inProgress(): TimelineEntry[] {
    return [...this.scheduled.values()].map((activity) => ({
      at: activity.scheduledAt,
      kind: 'activity',
      summary: `${activity.type} in progress (attempt ${activity.attempt})`,
      detail: { input: activity.input },
    }));
  }

  private closedEntry(at: string, activity: Scheduled, close: Close): TimelineEntry {
    const attempts = activity.attempt > 1 ? ` (attempt ${activity.attempt})` : '';
    const told = this.tell(activity, close, attempts);
    const detail = {
      activity: activity.type,
      attempt: activity.attempt,
      input: activity.input,
      ...(close.failure ? { failure: close.failure } : { result: told.result }),
    };
    return { at, kind: told.kind, summary: told.summary, detail };
  }

  private tell(activity: Scheduled, close: Close, attempts: string): Told {
    const input: PayloadSource = { eventId: activity.eventId, what: `the input of ${activity.type}` };
    const output: PayloadSource = { eventId: close.eventId, what: `the result of ${activity.type}` };
    const failed = close.failure ? `failed: ${close.failure}` : undefined;
    switch (activity.type) {
      case 'runCheck': {
        const request = check(activity.input, validateCheckRequest, { ...input, what: 'a check request (the input of runCheck)' });
        const outcome = failed ? undefined : decodeChecked(close.result, validateCheckOutcome, output);
        const stage = this.stages.stageOf({ kind: 'check', ...request }, input);
        const probe = request.probe ? `${describeRun(request.probe)}${outcome?.probe ? ` → ${describeResult(outcome.probe)}` : ''}: ` : '';
        const verdict = !outcome
          ? `could not be evaluated: ${close.failure}`
          : outcome.passed
            ? 'holds'
            : `does not hold (${request.condition})`;
        return { kind: 'check', summary: `${stage}-check ${request.check}: ${probe}${verdict}${attempts}`, result: outcome };
      }
      case 'runAction': {
        const request = check(activity.input, validateActionRequest, { ...input, what: 'an action request (the input of runAction)' });
        const outcome = failed ? undefined : decodeChecked(close.result, validateActionOutcome, output);
        const rollback = this.stages.stageOf({ kind: 'action', ...request }, input) === 'rollback';
        const outputs = outcome && Object.keys(outcome.outputs).length > 0 ? `; outputs ${JSON.stringify(outcome.outputs)}` : '';
        const result = !outcome ? `failed: ${close.failure}` : `${describeResult(outcome.result)}${outputs}`;
        return {
          kind: 'action',
          summary: `${rollback ? 'rollback ' : ''}action ${request.step}: ${describeRun(request.run)} → ${result}${attempts}`,
          result: outcome,
        };
      }
      case 'notify': {
        const notification = check(activity.input, validateNotification, { ...input, what: 'a notification (the input of notify)' });
        const results = failed ? undefined : decodeChecked(close.result, validateSinkResults, output);
        const sinks = !results ? failed : results.map((s) => `${s.sink} ${s.ok ? 'ok' : `failed (${s.error})`}`).join(', ') || 'no sinks';
        return {
          kind: 'notification',
          summary: `notification ${notification.kind} (${notification.severity}): ${notification.title} → ${sinks}`,
          result: results,
        };
      }
      case 'guardrailSnapshot': {
        const snapshot = failed ? undefined : decodeOptional(close.result, validateSnapshot, output);
        const what = failed ?? (snapshot ? `${snapshot.active.length} remediation(s) active` : 'no coordinator yet (nothing recorded)');
        return { kind: 'guardrails', summary: `guardrails: read the shared state: ${what}`, result: snapshot };
      }
      case 'acquireGuardrails': {
        const verdict = failed ? undefined : decodeChecked(close.result, validateAcquireVerdict, output);
        const what = !verdict ? failed : verdict.granted ? 'slot granted' : `denied (${verdict.event}): ${verdict.reason}`;
        return { kind: 'guardrails', summary: `guardrails: ${what}`, result: verdict };
      }
      case 'releaseGuardrails': {
        const request = check(activity.input, validateReleaseRequest, {
          ...input,
          what: 'a release request (the input of releaseGuardrails)',
        });
        return {
          kind: 'guardrails',
          summary: `guardrails: slot released (${request.result})${failed ? ` ${failed}` : ''}`,
          result: decodeValue(close.result, output),
        };
      }
      default:
        return {
          kind: 'activity',
          summary: `${activity.type}: ${failed ?? 'completed'}${attempts}`,
          result: decodeValue(close.result, output),
        };
    }
  }
}

/** The activity types a history schedules (checks and notifications may have run as local activities instead). */
export function scheduledActivityTypes(events: readonly HistoryEvent[]): Set<string> {
  return new Set(
    events.flatMap((e) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : [],
    ),
  );
}

function closeOf(event: HistoryEvent): Close | undefined {
  const eventId = String(event.eventId);
  const completed = event.activityTaskCompletedEventAttributes;
  if (completed) return { eventId, scheduledEventId: String(completed.scheduledEventId), result: completed.result };
  const failed = event.activityTaskFailedEventAttributes;
  if (failed) return { eventId, scheduledEventId: String(failed.scheduledEventId), failure: failureText(failed.failure) };
  const timedOut = event.activityTaskTimedOutEventAttributes;
  if (timedOut)
    return {
      eventId,
      scheduledEventId: String(timedOut.scheduledEventId),
      failure: `timed out${timedOut.failure?.message ? `: ${failureText(timedOut.failure)}` : ''}`,
    };
  const canceled = event.activityTaskCanceledEventAttributes;
  if (canceled) return { eventId, scheduledEventId: String(canceled.scheduledEventId), failure: 'canceled' };
  return undefined;
}

type Failure = { message?: string | null; cause?: { message?: string | null } | null } | null | undefined;

function failureText(failure: Failure): string {
  if (!failure) return 'failed';
  return failure.cause?.message ? `${failure.message}: ${failure.cause.message}` : (failure.message ?? 'failed');
}
