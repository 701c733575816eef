import type { Notification, Severity } from './types';

/** Per-piece caps, in characters: enough to act on, too little to bury the message. */
const LIMITS = { title: 150, text: 1500, id: 128, fieldKey: 40, fieldValue: 300, fields: 20, command: 300 } as const;

const SEVERITY_ICON: Record<Severity, string> = {
  info: ':information_source:',
  warning: ':warning:',
  critical: ':rotating_light:',
};

// C0/C1 controls and line separators, newlines included: untrusted text must not forge extra lines of the message.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
// Invisible and direction-changing characters, which can hide or reorder what a reader sees.
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
// `@here`, `@channel`, `@someone` at a word start (not inside an e-mail address).
const MENTION = /(^|\W)@(?=\w)/g;

/**
 * Makes untrusted text safe to embed in Slack mrkdwn: no control or invisible
 * characters, at most `max` characters, no mention that notifies anyone, and
 * `& < >` escaped so `<!channel>`, `<@U123>` and `<http://evil|label>` stay text.
 */
export function sanitizeForSlack(value: unknown, max: number): string {
  const flat = String(value).replace(CONTROL, ' ').replace(INVISIBLE, '').trim();
  const chars = Array.from(flat); // by code point, so a surrogate pair is never split
  const capped = chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : flat;
  return capped.replace(MENTION, '$1@\u200b').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The Slack `text` of a notification: a bold title line, the text, then one line per field. */
export function slackText(n: Notification): string {
  const lines = [
    `${SEVERITY_ICON[n.severity] ?? ''} *${sanitizeForSlack(n.title, LIMITS.title)}*`,
    sanitizeForSlack(n.text, LIMITS.text),
    `incident ${code(n.incidentId, LIMITS.id)} · runbook ${n.runbookId === null ? 'none' : code(n.runbookId, LIMITS.id)} · ${n.kind}`,
  ];
  const fields = Object.entries(n.fields);
  for (const [key, value] of fields.slice(0, LIMITS.fields)) {
    lines.push(`• ${sanitizeForSlack(key, LIMITS.fieldKey)}: ${sanitizeForSlack(value, LIMITS.fieldValue)}`);
  }
  if (fields.length > LIMITS.fields) lines.push(`• … ${fields.length - LIMITS.fields} more fields`);
  if (n.approveCommand !== undefined) lines.push(`Approve: ${code(n.approveCommand, LIMITS.command)}`);
  const link = n.webUrl === undefined ? null : slackLink(n.webUrl);
  if (link !== null) lines.push(`<${link}|Open in the web UI>`);
  return lines.join('\n');
}

/** Inline code; a backtick would end the span early, so it becomes a quote. */
function code(value: string, max: number): string {
  return `\`${sanitizeForSlack(value.replace(/`/g, "'"), max)}\``;
}

/** http(s) only; `|` and `>` would end Slack's `<url|label>` syntax early. */
function slackLink(raw: string): string | null {
  if (!URL.canParse(raw)) return null;
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return url.href.replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E');
}
