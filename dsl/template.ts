/**
 * Templates with `{placeholders}` and command-line splitting.
 *
 * A command string is split into words at compile time, and placeholders are
 * bound inside one word each, so a value can never become a second argument or
 * a second command. `{{` and `}}` are literal braces (as in Python's format,
 * which the seed's engine used).
 */
import type { Template, TemplatePart } from './types';

const INCIDENT_PLACEHOLDER_FIELDS = ['id', 'service', 'root_cause', 'confidence'] as const;

/** `offsets[i]`: where the i-th placeholder starts in the text. */
export type TemplateParse = { ok: true; template: Template; offsets: number[] } | { ok: false; message: string; offset: number };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Secrets are never spliced into text, where a description or an error would show their value. */
const SECRET_IN_TEXT =
  'a secret cannot be part of a text: write { secret: NAME } as the whole value of a header, a query: parameter, an env variable or an argv element (docs/secrets.md)';

export function parseTemplate(text: string): TemplateParse {
  const parts: TemplatePart[] = [];
  const offsets: number[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '{' && text[i + 1] === '{') {
      literal += '{';
      i += 2;
    } else if (ch === '}' && text[i + 1] === '}') {
      literal += '}';
      i += 2;
    } else if (ch === '}') {
      return { ok: false, offset: i, message: 'unmatched "}": write "}}" for a literal brace' };
    } else if (ch === '{') {
      const close = text.indexOf('}', i + 1);
      if (close < 0) return { ok: false, offset: i, message: 'unclosed "{": write "{{" for a literal brace' };
      const inner = text.slice(i + 1, close);
      const path = inner.split('.');
      if (/^secrets?[.:]/.test(inner.trim())) return { ok: false, offset: i, message: SECRET_IN_TEXT };
      if (!path.every((segment) => IDENT.test(segment))) {
        return {
          ok: false,
          offset: i,
          message: `invalid placeholder {${inner}}: expected a name like {pod_name} or a path like {steps.capture.replicas}; write "{{" for a literal brace`,
        };
      }
      const shape = placeholderShapeError(path);
      if (shape) return { ok: false, offset: i, message: shape };
      if (literal) parts.push({ kind: 'literal', text: literal });
      literal = '';
      // The seed's bare `{pod_name}` means the context field; store one canonical path.
      parts.push({ kind: 'placeholder', path: path.length === 1 ? ['context', path[0]!] : path });
      offsets.push(i);
      i = close + 1;
    } else {
      literal += ch;
      i += 1;
    }
  }
  if (literal) parts.push({ kind: 'literal', text: literal });
  return { ok: true, template: { parts }, offsets };
}

function placeholderShapeError(path: string[]): string | undefined {
  const [root, ...rest] = path;
  const shown = `{${path.join('.')}}`;
  if (path.length === 1) {
    return root === 'context' || root === 'incident' || root === 'steps' ? `placeholder ${shown} needs a field: {${root}.NAME}` : undefined;
  }
  if (root === 'context' && rest.length === 1) return undefined;
  if (root === 'incident' && rest.length === 1) {
    return (INCIDENT_PLACEHOLDER_FIELDS as readonly string[]).includes(rest[0]!)
      ? undefined
      : `unknown incident field in ${shown}: expected one of ${INCIDENT_PLACEHOLDER_FIELDS.map((f) => `{incident.${f}}`).join(', ')}`;
  }
  if (root === 'steps' && rest.length === 2) return undefined;
  return `unknown placeholder ${shown}: expected {NAME}, {context.NAME}, {incident.FIELD} or {steps.STEP.OUTPUT}`;
}

export function isLiteral(template: Template): boolean {
  return template.parts.every((part) => part.kind === 'literal');
}

export function placeholders(template: Template): string[][] {
  return template.parts.flatMap((part) => (part.kind === 'placeholder' ? [part.path] : []));
}

/** The template written back in source form (for descriptions and plans). */
export function templateSource(template: Template): string {
  return template.parts
    .map((part) => (part.kind === 'literal' ? part.text.replace(/[{}]/g, (brace) => brace + brace) : `{${part.path.join('.')}}`))
    .join('');
}

export interface Word {
  text: string;
  /** Offset of the word in the command string. */
  offset: number;
}

export type SplitResult = { ok: true; words: Word[] } | { ok: false; message: string; offset: number };

/** Characters a shell would interpret; here they would silently mean something else. */
const SHELL_SYNTAX: Record<string, string> = {
  ';': 'command separators',
  '|': 'pipes',
  '&': 'background jobs and &&',
  '<': 'redirections',
  '>': 'redirections',
  '`': 'command substitution',
  $: 'variables and command substitution (use {placeholders})',
  '*': 'glob patterns',
  '?': 'glob patterns',
};

/**
 * Split a command line into words: whitespace separates, '...' is literal,
 * "..." allows \" and \\, a backslash outside quotes escapes one character.
 * Unquoted shell syntax is an error: there is no shell, so it would not do
 * what it looks like it does.
 */
export function splitCommand(command: string): SplitResult {
  const words: Word[] = [];
  let current = '';
  let inWord = false;
  let start = 0;
  let i = 0;
  const begin = () => {
    if (!inWord) {
      inWord = true;
      current = '';
      start = i;
    }
  };
  while (i < command.length) {
    const ch = command[i]!;
    if (/\s/.test(ch)) {
      if (inWord) words.push({ text: current, offset: start });
      inWord = false;
      i += 1;
    } else if (ch === "'") {
      begin();
      const close = command.indexOf("'", i + 1);
      if (close < 0) return { ok: false, offset: i, message: "unterminated ' quote" };
      current += command.slice(i + 1, close);
      i = close + 1;
    } else if (ch === '"') {
      begin();
      i += 1;
      while (i < command.length && command[i] !== '"') {
        if (command[i] === '\\' && (command[i + 1] === '"' || command[i + 1] === '\\')) i += 1;
        current += command[i];
        i += 1;
      }
      if (i >= command.length) return { ok: false, offset: start, message: 'unterminated " quote' };
      i += 1;
    } else if (ch === '\\') {
      begin();
      if (i + 1 >= command.length) return { ok: false, offset: i, message: 'trailing backslash' };
      current += command[i + 1];
      i += 2;
    } else if (ch in SHELL_SYNTAX) {
      return {
        ok: false,
        offset: i,
        message: `unquoted "${ch}": commands run without a shell, so ${SHELL_SYNTAX[ch]} do not work; quote it if you mean a literal "${ch}"`,
      };
    } else {
      begin();
      current += ch;
      i += 1;
    }
  }
  if (inWord) words.push({ text: current, offset: start });
  if (words.length === 0) return { ok: false, offset: 0, message: 'empty command' };
  return { ok: true, words };
}

// ---------------------------------------------------------------------------
// URLs: where a placeholder may stand.

/** What a URL placeholder fills: a whole path segment, or a whole query value. */
export type UrlRole = 'segment' | 'query';

export type UrlLayout =
  | { ok: true; origin: string; roles: UrlRole[] }
  /** `placeholder`: index of the offending placeholder, or -1 for the URL as a whole. */
  | { ok: false; placeholder: number; authority: boolean; message: string };

/** A complete literal `http(s)://host[:port]`, then where the path, query or fragment starts (or the end). */
const AUTHORITY = /^(https?:\/\/[^/?#\\\s{}@]+(?:@[^/?#\\\s{}@]+)?)([/?#]|$)/i;

/**
 * Scheme, host and port must be literal and complete, so incident data can never
 * choose (or extend) where a request goes: `https://api.internal{p}` is refused because
 * `p = ".attacker.example"` would move the host. After the authority, a placeholder
 * must be a whole path segment (so it cannot be `..` next to literal dots or `%2e`s)
 * or a whole query value (so it cannot add parameters). The compiler reports the
 * problems; the renderer uses the roles and the origin.
 */
// eslint-disable-next-line max-lines-per-function -- one left-to-right scan whose state (section, last character, current query parameter) every branch reads; kept whole so the security rule reads in one place.
export function urlLayout(template: Template): UrlLayout {
  const [first] = template.parts;
  const leading = first?.kind === 'literal' ? first.text : '';
  const hasPlaceholder = template.parts.some((part) => part.kind === 'placeholder');
  const authority = AUTHORITY.exec(leading);
  // A placeholder may only come after the authority has ended in the leading literal.
  if (!authority || (hasPlaceholder && authority[2] === '')) {
    return { ok: false, placeholder: hasPlaceholder ? 0 : -1, authority: true, message: 'scheme and host' };
  }
  let origin: string;
  try {
    origin = new URL(authority[1]!).origin;
  } catch {
    return { ok: false, placeholder: -1, authority: true, message: 'scheme and host' };
  }
  const roles: UrlRole[] = [];
  let state: 'path' | 'query' | 'fragment' = 'path';
  let prev = ''; // the last literal character; '' after a placeholder
  let param = ''; // the current query parameter's literal text so far
  let placeholderInParam = false;
  const advance = (text: string) => {
    for (const ch of text) {
      if (state === 'path' && ch === '?') state = 'query';
      else if (state !== 'fragment' && ch === '#') state = 'fragment';
      if (state === 'query' && (ch === '&' || ch === '?')) {
        param = '';
        placeholderInParam = false;
      } else if (state === 'query') param += ch;
      prev = ch;
    }
  };
  advance(leading.slice(authority[1]!.length));
  for (let i = first?.kind === 'literal' ? 1 : 0, index = 0; i < template.parts.length; i++) {
    const part = template.parts[i]!;
    if (part.kind === 'literal') {
      advance(part.text);
      continue;
    }
    const nextPart = template.parts[i + 1];
    const next = nextPart === undefined ? '' : nextPart.kind === 'literal' ? nextPart.text[0]! : '{';
    if (state === 'path') {
      if (prev !== '/' || !['', '/', '?', '#'].includes(next)) {
        return {
          ok: false,
          placeholder: index,
          authority: false,
          message: 'a placeholder in a URL path must be a whole segment, between "/" and the next "/", "?", "#" or the end',
        };
      }
      roles.push('segment');
    } else if (state === 'query') {
      const wholeValue = prev === '=' && !placeholderInParam && param.indexOf('=') === param.length - 1 && param.length > 1;
      if (!wholeValue || !['', '&', '#'].includes(next)) {
        return {
          ok: false,
          placeholder: index,
          authority: false,
          message: 'a placeholder in a URL query must be a whole value, after "NAME=" and before the next "&", "#" or the end',
        };
      }
      roles.push('query');
      placeholderInParam = true;
    } else {
      return { ok: false, placeholder: index, authority: false, message: 'a URL fragment (after "#") cannot contain placeholders' };
    }
    prev = '';
    index += 1;
  }
  return { ok: true, origin, roles };
}
