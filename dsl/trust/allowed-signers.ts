/**
 * OpenSSH's allowed_signers file (`ssh-keygen -Y verify -f`, git's gpg.ssh.allowedSignersFile):
 * one key a line, `PRINCIPALS [OPTIONS] KEYTYPE BASE64 [COMMENT]`. Only what remediate can honour
 * is accepted; anything else is an error with its line and column, never silently ignored: exact
 * principal names (no patterns), ssh-ed25519 keys, and the options `namespaces`, `valid-after`,
 * `valid-before`, written as ssh-keygen requires them (one comma-separated list, values in quotes).
 */
import { parsePublicKey } from './sshsig';

export interface AllowedSigner {
  principals: string[];
  /** `ssh-ed25519 BASE64`, canonical base64 (as SshSignature.publicKey has it). */
  key: string;
  namespaces?: string[];
  validAfterMs?: number;
  validBeforeMs?: number;
  line: number;
}

export interface AllowedSignersError {
  line: number;
  column: number;
  message: string;
}

const PRINCIPAL = /^[A-Za-z0-9._@+-]{1,128}$/;
const PATTERN = /[*?!]/;
const KEY_TYPE = /^(?:ssh-|ecdsa-|sk-)/;

interface Token {
  text: string;
  /** 1-based. */
  column: number;
}

type LineError = { error: string; column: number };
type Signer = Omit<AllowedSigner, 'line'>;

export function parseAllowedSigners(text: string): { signers: AllowedSigner[]; errors: AllowedSignersError[] } {
  const signers: AllowedSigner[] = [];
  const errors: AllowedSignersError[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const parsed = parseLine(raw.replace(/\r$/, ''));
    if ('error' in parsed) errors.push({ line, column: parsed.column, message: parsed.error });
    else signers.push({ ...parsed, line });
  });
  return { signers, errors };
}

function parseLine(raw: string): Signer | LineError {
  const tokens = tokenize(raw);
  if ('error' in tokens) return tokens;
  const [principalToken, second] = tokens.tokens;
  if (principalToken && KEY_TYPE.test(principalToken.text))
    return { error: 'the line starts with the key: put the principal(s) first', column: principalToken.column };
  if (!principalToken || !second)
    return {
      error: 'expected PRINCIPALS [OPTIONS] ssh-ed25519 KEY',
      column: (principalToken?.column ?? 1) + (principalToken?.text.length ?? 0),
    };
  const principals = parsePrincipals(principalToken);
  if ('error' in principals) return principals;

  const optionsToken = KEY_TYPE.test(second.text) ? undefined : second;
  const keyAt = optionsToken ? 2 : 1;
  const keyType = tokens.tokens[keyAt];
  const keyText = tokens.tokens[keyAt + 1];
  const endColumn = raw.length + 1;
  if (!keyType) return { error: 'no key: expected ssh-ed25519 and the base64 key', column: endColumn };
  if (!KEY_TYPE.test(keyType.text))
    return {
      error: `expected the key type (ssh-ed25519), found "${clip(keyType.text)}"; options are one comma-separated list without spaces`,
      column: keyType.column,
    };
  if (keyType.text !== 'ssh-ed25519')
    return { error: `only ssh-ed25519 keys are accepted, not ${clip(keyType.text)}`, column: keyType.column };
  if (!keyText) return { error: 'no key: expected the base64 key after ssh-ed25519', column: endColumn };
  const key = parsePublicKey(`ssh-ed25519 ${keyText.text}`);
  if (!key.ok) return { error: `the key is not an ssh-ed25519 public key (${key.error})`, column: keyText.column };

  const signer: Signer = { principals: principals.principals, key: key.value.publicKey };
  return optionsToken ? applyOptions(signer, optionsToken) : signer;
}

function parsePrincipals(token: Token): { principals: string[] } | LineError {
  const quoted = token.text.length >= 2 && token.text.startsWith('"') && token.text.endsWith('"');
  const text = quoted ? token.text.slice(1, -1) : token.text;
  const principals: string[] = [];
  let offset = token.column + (quoted ? 1 : 0);
  for (const principal of text.split(',')) {
    if (PATTERN.test(principal))
      return { error: `principal patterns are not supported (${clip(principal)}): list each principal by name`, column: offset };
    if (!PRINCIPAL.test(principal))
      return { error: `principal "${clip(principal)}" must be 1-128 letters, digits or . _ @ + -`, column: offset };
    principals.push(principal);
    offset += principal.length + 1;
  }
  return { principals };
}

function applyOptions(signer: Signer, token: Token): Signer | LineError {
  const seen = new Set<string>();
  for (const option of splitOptions(token)) {
    const equals = option.text.indexOf('=');
    const name = (equals < 0 ? option.text : option.text.slice(0, equals)).toLowerCase();
    const value = equals < 0 ? undefined : option.text.slice(equals + 1);
    const at = (error: string): LineError => ({ error, column: option.column });
    if (name !== 'namespaces' && name !== 'valid-after' && name !== 'valid-before') {
      return at(`option ${clip(name)} is not supported (namespaces, valid-after and valid-before are)`);
    }
    if (seen.has(name)) return at(`option ${name} is given twice`);
    seen.add(name);
    if (value === undefined) return at(`${name} needs a value: ${name}="..."`);
    if (!(value.length >= 2 && value.startsWith('"') && value.endsWith('"')))
      return at(`${name}: the value must be in double quotes, as ssh-keygen requires`);
    const unquoted = value.slice(1, -1);
    if (name === 'namespaces') {
      const namespaces = unquoted.split(',');
      const bad = namespaces.find((ns) => ns === '' || PATTERN.test(ns));
      if (bad !== undefined)
        return at(
          bad === '' ? 'namespaces: empty namespace' : `namespace patterns are not supported (${clip(bad)}): list each namespace by name`,
        );
      signer.namespaces = namespaces;
      continue;
    }
    const ms = timestampOf(unquoted);
    if (typeof ms === 'string') return at(`${name}: ${ms}`);
    if (name === 'valid-after') signer.validAfterMs = ms;
    else signer.validBeforeMs = ms;
  }
  if (signer.validAfterMs !== undefined && signer.validBeforeMs !== undefined && signer.validAfterMs > signer.validBeforeMs) {
    return { error: 'valid-after is later than valid-before: the key would never be valid', column: token.column };
  }
  return signer;
}

/** Whitespace-separated tokens; whitespace inside double quotes does not separate (as in ssh-keygen). */
function tokenize(raw: string): { tokens: Token[] } | LineError {
  const tokens: Token[] = [];
  let current: Token | undefined;
  let quoteColumn = 0;
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!;
    if (!quoteColumn && /\s/.test(char)) {
      if (current) tokens.push(current);
      current = undefined;
      continue;
    }
    if (char === '"') quoteColumn = quoteColumn ? 0 : i + 1;
    current = current ? { text: current.text + char, column: current.column } : { text: char, column: i + 1 };
  }
  if (quoteColumn) return { error: 'unterminated quote', column: quoteColumn };
  if (current) tokens.push(current);
  return { tokens };
}

/** The options token split at commas outside quotes, each part with its column. */
function splitOptions(token: Token): Token[] {
  const out: Token[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i <= token.text.length; i++) {
    const char = token.text[i];
    if (char === '"') quoted = !quoted;
    if (char === undefined || (char === ',' && !quoted)) {
      out.push({ text: token.text.slice(start, i), column: token.column + start });
      start = i + 1;
    }
  }
  return out;
}

/**
 * ssh-keygen's time form YYYYMMDD[HHMM[SS]], required to end in Z (UTC): without Z ssh-keygen reads
 * local time, which differs between the machines that check a statement, so it is refused.
 */
function timestampOf(value: string): number | string {
  const match = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z?)$/.exec(value);
  if (!match) return 'expected YYYYMMDD[HHMM[SS]]Z';
  const [, y, mo, d, h = '0', mi = '0', s = '0', zulu] = match;
  if (!zulu) return `add Z (UTC) to "${value}": without it ssh-keygen reads local time, which differs between machines`;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(ms);
  const exact =
    back.getUTCFullYear() === year &&
    back.getUTCMonth() === month - 1 &&
    back.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60;
  return exact ? ms : `"${value}" is not a valid date and time`;
}

const clip = (text: string): string => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

/** Whether a line admits `namespace` and the time, compared in whole seconds as ssh-keygen does (valid-before is inclusive). */
function admits(signer: AllowedSigner, namespace: string | undefined, atMs: number | undefined): boolean {
  if (namespace !== undefined && signer.namespaces && !signer.namespaces.includes(namespace)) return false;
  if (atMs === undefined) return true;
  const atSecondMs = Math.floor(atMs / 1000) * 1000;
  return (
    (signer.validAfterMs === undefined || atSecondMs >= signer.validAfterMs) &&
    (signer.validBeforeMs === undefined || atSecondMs <= signer.validBeforeMs)
  );
}

function linesFor(signers: readonly AllowedSigner[], key: string): AllowedSigner[] {
  const parsed = parsePublicKey(key);
  return parsed.ok ? signers.filter((s) => s.key === parsed.value.publicKey) : [];
}

/** The principals a key may sign as, in a namespace, at a time (each once, in file order). */
export function principalsFor(signers: readonly AllowedSigner[], key: string, namespace: string, atMs: number): string[] {
  const principals = linesFor(signers, key)
    .filter((s) => admits(s, namespace, atMs))
    .flatMap((s) => s.principals);
  return [...new Set(principals)];
}

/** Why principalsFor gave no principals, completing "the key SHA256:… ". */
export function whyNoPrincipals(signers: readonly AllowedSigner[], key: string, namespace: string, atMs: number): string {
  const lines = linesFor(signers, key);
  if (lines.length === 0) return 'is not in allowed_signers';
  const inNamespace = lines.filter((s) => admits(s, namespace, undefined));
  const where = `line${lines.length > 1 ? 's' : ''} ${lines.map((s) => s.line).join(', ')}`;
  if (inNamespace.length === 0) return `is in allowed_signers (${where}) but not for namespace "${namespace}"`;
  const at = Number.isFinite(atMs) ? new Date(atMs).toISOString() : String(atMs);
  if (inNamespace.every((s) => s.validAfterMs !== undefined && atMs < s.validAfterMs))
    return `is in allowed_signers (${where}) but not valid yet at ${at}`;
  return `is in allowed_signers (${where}) but not valid at ${at} (expired)`;
}
