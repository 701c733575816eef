/**
 * Change windows (operator policy): when a runbook may act without a human, in a time zone.
 * Pure: uses Intl (deterministic for a given instant) and no clock of its own, so the guardrail
 * coordinator can evaluate it with workflow time.
 */
import type { CompiledRunbook } from './types';
import { EXIT, UserFacingError } from './user-facing-error';

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export interface ChangeWindow {
  name: string;
  /** IANA time zone, e.g. "Europe/Berlin". */
  timeZone: string;
  days: Weekday[];
  /** "HH:MM"; an end before the start spans midnight (22:00-06:00 is the seed's off-peak). */
  start: string;
  end: string;
  /** Which runbooks the window restricts: by risk and/or by id. */
  appliesTo: { risks?: CompiledRunbook['risk'][]; runbooks?: string[] };
  /** Outside the window: wait for it to open (durable timer), or ask a human instead. */
  outside: 'wait' | 'approval';
}

export class ChangeWindowError extends UserFacingError {
  override readonly name = 'ChangeWindowError';
  readonly exitCode = EXIT.USAGE;
}

function minutesOf(hhmm: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!match) throw new ChangeWindowError(`expected a time "HH:MM", found "${hhmm}"`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** Checks a window's fields; throws ChangeWindowError naming what is wrong. */
export function validateChangeWindow(window: ChangeWindow): void {
  minutesOf(window.start);
  minutesOf(window.end);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: window.timeZone });
  } catch {
    throw new ChangeWindowError(`window ${window.name}: unknown time zone "${window.timeZone}"`);
  }
  for (const day of window.days) if (!WEEKDAYS.includes(day)) throw new ChangeWindowError(`window ${window.name}: unknown day "${day}"`);
}

/** A runbook of unknown risk is restricted only by windows that name it. */
export function windowApplies(
  window: ChangeWindow,
  runbook: Pick<CompiledRunbook, 'id'> & Partial<Pick<CompiledRunbook, 'risk'>>,
): boolean {
  const byRisk = runbook.risk !== undefined && (window.appliesTo.risks ?? []).includes(runbook.risk);
  return byRisk || (window.appliesTo.runbooks ?? []).includes(runbook.id);
}

/** Formatters are costly to build and hold no time of their own, so one per zone is kept. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function localTime(window: ChangeWindow, atMs: number): { day: number; minute: number } {
  const parts = formatterFor(window.timeZone).formatToParts(new Date(atMs));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = WEEKDAYS.indexOf(get('weekday').toLowerCase().slice(0, 3) as Weekday);
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

export function isWindowOpen(window: ChangeWindow, atMs: number): boolean {
  const { day, minute } = localTime(window, atMs);
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  const listed = (d: number) => window.days.includes(WEEKDAYS[(d + 7) % 7]!);
  if (start < end) return listed(day) && minute >= start && minute < end;
  // Spans midnight: the evening part belongs to a listed day, the early-morning part to the day after one.
  return (listed(day) && minute >= start) || (listed(day - 1) && minute < end);
}

const MINUTE_MS = 60_000;

/** When the window next opens (at or after `fromMs`), to the minute; undefined if it never does within 8 days. */
export function nextOpening(window: ChangeWindow, fromMs: number): number | undefined {
  if (isWindowOpen(window, fromMs)) return fromMs;
  let t = Math.ceil(fromMs / MINUTE_MS) * MINUTE_MS;
  for (let i = 0; i < 8 * 24 * 60; i++, t += MINUTE_MS) if (isWindowOpen(window, t)) return t;
  return undefined;
}
