/**
 * The timing of a check: `timeout` (one evaluation), `settle` (wait before the first), `hold_for`
 * (how long the condition must stay true over consecutive polls), `interval` (between polls) and
 * `deadline` (bounds the whole check, settle included). Checked here together, because the rules
 * relate the fields to one another.
 */
import { durationMs, formatDuration } from './duration';
import { positiveDuration, type Report } from './compile-steps';
import type { PathSegment } from './yaml-source';

export type CheckPhase = 'pre' | 'post';

/** The timing fields as written (a definition's, overridden by the entry's). */
export interface Timing {
  timeout?: string | number;
  deadline?: string | number;
  interval?: string | number;
  settle?: string | number;
  hold_for?: string | number;
}

const TIMING_FIELDS = ['timeout', 'deadline', 'interval', 'settle', 'hold_for'] as const;

export interface CompiledTiming {
  timeoutMs: number;
  deadlineMs: number;
  intervalMs: number;
  settleMs: number;
  holdForMs: number;
}

const DEFAULTS = {
  /** A post-check polls for a minute; a pre-check runs once (or over its settle and hold_for). */
  postDeadlineMs: 60_000,
  intervalMs: 5_000,
  timeoutMs: 10_000,
};

/** The timing fields an entry itself declares, to lay over its definition's. */
export function definedTiming(entry: Timing): Timing {
  const out: Timing = {};
  for (const field of TIMING_FIELDS) if (entry[field] !== undefined) out[field] = entry[field];
  return out;
}

/**
 * The compiled timing, reporting what does not fit. `path` is the check entry; `own` says which
 * fields the entry itself declares, so an error points at the field when it is there.
 */
export function compileTiming(
  timing: Timing,
  phase: CheckPhase,
  path: readonly PathSegment[],
  own: Timing,
  report: Report,
): CompiledTiming {
  const at = (field: keyof Timing) => (own[field] !== undefined ? [...path, field] : path);
  const settleMs = orZero(timing.settle);
  const holdForMs = orZero(timing.hold_for);
  const declared = timing.deadline === undefined ? undefined : durationMs(timing.deadline);
  const usual = declared ?? (phase === 'post' ? DEFAULTS.postDeadlineMs : settleMs + holdForMs);
  const intervalMs =
    timing.interval !== undefined ? durationMs(timing.interval) : usual > 0 ? Math.min(DEFAULTS.intervalMs, holdForMs || usual) : 0;
  // Polls run on a fixed schedule, so a hold is proven by the first poll at or after hold_for.
  const provenMs = holdForMs > 0 && intervalMs > 0 ? Math.ceil(holdForMs / intervalMs) * intervalMs : holdForMs;
  const deadlineMs = declared ?? (phase === 'post' ? DEFAULTS.postDeadlineMs : settleMs + provenMs);
  const timeoutMs = positiveDuration(timing.timeout, DEFAULTS.timeoutMs, at('timeout'), report);
  const show = formatDuration;
  if (holdForMs > 0 && (intervalMs <= 0 || intervalMs > holdForMs)) {
    report(
      at(own.interval !== undefined ? 'interval' : 'hold_for'),
      `hold_for: a held condition is polled, so it needs 0 < interval <= hold_for, found interval ${show(intervalMs)} and hold_for ${show(holdForMs)}`,
    );
  } else if (settleMs + provenMs > deadlineMs) {
    const field =
      own.deadline !== undefined || (own.settle === undefined && own.hold_for === undefined)
        ? 'deadline'
        : own.hold_for !== undefined
          ? 'hold_for'
          : 'settle';
    const rounded = provenMs === holdForMs ? '' : ` (with polls every ${show(intervalMs)}, the hold is proven after ${show(provenMs)})`;
    report(
      at(field),
      `${field}: the deadline bounds the whole check, so it needs settle + hold_for <= deadline, ` +
        `found settle ${show(settleMs)} + hold_for ${show(holdForMs)}${rounded} > deadline ${show(deadlineMs)}` +
        (declared === undefined ? ` (the default for a ${phase}-check); declare a longer deadline` : ''),
    );
  } else if (deadlineMs > 0 && (intervalMs <= 0 || intervalMs > deadlineMs)) {
    report(path, `a polled check needs 0 < interval <= deadline, found interval ${intervalMs}ms and deadline ${deadlineMs}ms`);
  }
  return { timeoutMs, deadlineMs, intervalMs, settleMs, holdForMs };
}

function orZero(raw: string | number | undefined): number {
  return raw === undefined ? 0 : durationMs(raw);
}
