/** Durations: "500ms", "30s", "5m", "1h", or a number of seconds. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds; the schema has already checked the shape. */
export function durationMs(raw: string | number): number {
  if (typeof raw === 'number') return Math.round(raw * 1000);
  const match = /^([0-9]+)(ms|s|m|h)$/.exec(raw);
  if (!match) throw new RangeError(`not a duration: ${raw}`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
