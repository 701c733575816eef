/**
 * PromQL with placeholders. A value may only fill part of the double-quoted label value of an
 * equality matcher (`service="{service}"`, `service!="{service}"`), where it is escaped as PromQL
 * escapes strings, so no value can close the string, add a matcher or change the query. Not in a
 * regex matcher (`=~`, `!~`), where `.*` would match every service, nor in a function's string
 * argument; anywhere else a placeholder is refused at compile time: PromQL's own braces
 * (`up{job="x"}`) stay literal outside strings.
 */
import { parseTemplate, type TemplateParse } from '../template';
import type { TemplatePart } from '../types';

const PLACEHOLDER_LIKE = /^\{[A-Za-z_][A-Za-z0-9_.]*\}/;

/** What comes before a string that is the value of an equality matcher: a label name, then `=` or `!=`. */
const EQUALITY_MATCHER = /[A-Za-z0-9_]\s*!?=\s*$/;
const NOT_A_LABEL_VALUE =
  'a placeholder in PromQL may only fill the label value of an equality matcher (service="{service}" or service!="{service}"): in a regex matcher (=~, !~) or a function argument a value could change what the query selects';

type Lexed = { ok: true; parts: TemplatePart[]; offsets: number[] } | { ok: false; message: string; offset: number };

/** The query as a template: literal PromQL, and placeholders inside double-quoted strings. */
export function parsePromqlTemplate(text: string): TemplateParse {
  const lexed = lex(text);
  return lexed.ok ? { ok: true, template: { parts: merge(lexed.parts) }, offsets: lexed.offsets } : lexed;
}

type State = 'code' | 'double' | 'single' | 'raw' | 'comment';

const OPENS: Record<string, State> = { '"': 'double', "'": 'single', '`': 'raw', '#': 'comment' };

// eslint-disable-next-line max-lines-per-function -- one scanner: its state and position are shared by every branch.
function lex(text: string): Lexed {
  const parts: TemplatePart[] = [];
  const offsets: number[] = [];
  const literal = (chars: string) => parts.push({ kind: 'literal', text: chars });
  let state: State = 'code';
  let opened = 0;
  let labelValue = false; // the double-quoted string being read is an equality matcher's value
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (state === 'double') {
      if (ch === '\\') {
        literal(text.slice(i, i + 2));
        i += 2;
        continue;
      }
      if (ch === '"') state = 'code';
      if (ch === '\n') return { ok: false, offset: i, message: 'a PromQL string cannot span lines: write \\n' };
      if ((ch === '{' || ch === '}') && text[i + 1] === ch) {
        literal(ch);
        i += 2;
        continue;
      }
      if (ch === '}') return { ok: false, offset: i, message: 'unmatched "}" in a PromQL string: write "}}" for a literal brace' };
      if (ch === '{' && !labelValue && PLACEHOLDER_LIKE.test(text.slice(i))) return { ok: false, offset: i, message: NOT_A_LABEL_VALUE };
      if (ch === '{') {
        const close = text.indexOf('}', i);
        const inner = close < 0 ? '' : text.slice(i, close + 1);
        const parsed = close < 0 || /["\n]/.test(inner) ? undefined : parseTemplate(inner);
        if (!parsed) return { ok: false, offset: i, message: 'unclosed "{" in a PromQL string: write "{{" for a literal brace' };
        if (!parsed.ok) return { ok: false, offset: i + parsed.offset, message: parsed.message };
        parts.push(...parsed.template.parts);
        offsets.push(i);
        i = close + 1;
        continue;
      }
      literal(ch);
      i += 1;
      continue;
    }
    const placeholder = PLACEHOLDER_LIKE.exec(text.slice(i));
    if (placeholder) {
      return {
        ok: false,
        offset: i,
        message: `placeholder ${placeholder[0]} is outside a double-quoted string: in PromQL a value may only fill a string, such as a label value (service="${placeholder[0]}")`,
      };
    }
    if (state === 'code' && OPENS[ch]) {
      state = OPENS[ch];
      opened = i;
      labelValue = ch === '"' && EQUALITY_MATCHER.test(text.slice(0, i));
    } else if ((state === 'single' && ch === "'") || (state === 'raw' && ch === '`') || (state === 'comment' && ch === '\n')) {
      state = 'code';
    } else if (state === 'single' && ch === '\\') {
      literal(text.slice(i, i + 2));
      i += 2;
      continue;
    }
    literal(ch);
    i += 1;
  }
  if (state === 'double' || state === 'single' || state === 'raw')
    return { ok: false, offset: opened, message: 'unterminated PromQL string' };
  return { ok: true, parts, offsets };
}

/** Adjacent literal characters as one part, as parseTemplate makes them. */
function merge(parts: TemplatePart[]): TemplatePart[] {
  const out: TemplatePart[] = [];
  for (const part of parts) {
    const last = out.at(-1);
    if (part.kind === 'literal' && last?.kind === 'literal') last.text += part.text;
    else out.push(part.kind === 'literal' ? { ...part } : part);
  }
  return out;
}

/** A value as the inside of a double-quoted PromQL string (Go's escapes for backslash, quote and line breaks). */
export function promqlStringContent(value: string): string {
  return value.replace(/[\\"\n\r\t]/g, (ch) => ESCAPES[ch]!);
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** The query in source form: PromQL as written, placeholders as {path}. */
export function promqlSource(parts: readonly TemplatePart[]): string {
  return parts.map((part) => (part.kind === 'literal' ? part.text : `{${part.path.join('.')}}`)).join('');
}

/** A sample's value as Prometheus writes it ("0.5", "NaN", "+Inf", "-Inf") as a number. */
export function promqlNumber(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}
