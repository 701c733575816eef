/** Text layouts the commands share: audit event lines and aligned tables. */
import type { AuditEvent } from '../workflows/types';

/** `12:00:01  APPROVED           approved by alice (1/1)`: time of day (UTC), event type, message. */
export function formatEvent(event: AuditEvent): string {
  return `${event.at.slice(11, 19)}  ${event.type.padEnd(18)} ${event.message}`;
}

/** Columns padded to their widest cell; the last column is left ragged. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
