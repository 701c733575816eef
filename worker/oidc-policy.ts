/**
 * The operator policy's `approvals_page.oidc:` object (docs/operator-policy.md): the OpenID provider the
 * approvals page signs people in with, the client registered there, and which ID-token claim value maps
 * to which principal. The client secret is read from its file when the policy loads, so a missing secret
 * stops `remediate serve` at start rather than failing every sign-in; no message and no printed form of
 * the policy carries it. Strict: an unknown key or a bad value is an error at its FILE:LINE:COL.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { inspect } from 'node:util';
import type { Diagnostics } from '../dsl/diagnostics';
import { obj, record, str, type Static } from '../dsl/schema-builder';
import { didYouMean } from '../dsl/suggest';
import type { PathSegment } from '../dsl/yaml-source';
import { PRINCIPAL_PATTERN } from './operator-policy-schema';

export interface OidcPolicy {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  claim: string;
  principals: ReadonlyMap<string, string>;
}

/** The object's shape, for the operator policy's schema; the rules that need more than a type are checked below. */
export const OIDC_POLICY_SCHEMA = obj(
  {
    issuer: str({ minLength: 1, maxLength: 2048 }),
    client_id: str({ minLength: 1, maxLength: 256 }),
    client_secret_file: str({ minLength: 1, maxLength: 4096 }),
    redirect_url: str({ minLength: 1, maxLength: 2048 }),
    claim: str({ minLength: 1, maxLength: 64 }),
    principals: record(str({ pattern: PRINCIPAL_PATTERN })),
  },
  { required: ['issuer', 'client_id', 'client_secret_file', 'redirect_url', 'principals'] },
);
export type RawOidcPolicy = Static<typeof OIDC_POLICY_SCHEMA>;

/** The page's callback route (approvals/web): the provider must send people back exactly there. */
export const OIDC_CALLBACK_PATH = '/login/oidc/callback';
const DEFAULT_CLAIM = 'email';
const KEYS = ['issuer', 'client_id', 'client_secret_file', 'redirect_url', 'claim', 'principals'] as const;
const REQUIRED: readonly string[] = ['issuer', 'client_id', 'client_secret_file', 'redirect_url', 'principals'];
const MAX_SECRET_BYTES = 64 * 1024;
const CLAIM_PATTERN = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
const PRINCIPAL = new RegExp(PRINCIPAL_PATTERN);

/** `localhost`, 127.0.0.0/8 and ::1: the only hosts plain http may name (a provider or page on this machine). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/** The secret lives in a private field: JSON, inspect and spreading the policy never show it. */
class ParsedOidcPolicy implements OidcPolicy {
  readonly #clientSecret: string;
  constructor(
    readonly issuer: string,
    readonly clientId: string,
    clientSecret: string,
    readonly redirectUrl: string,
    readonly claim: string,
    readonly principals: ReadonlyMap<string, string>,
  ) {
    this.#clientSecret = clientSecret;
  }
  get clientSecret(): string {
    return this.#clientSecret;
  }
  toJSON(): object {
    const { issuer, clientId, redirectUrl, claim } = this;
    return { issuer, clientId, clientSecret: '[redacted]', redirectUrl, claim, principals: Object.fromEntries(this.principals) };
  }
  [inspect.custom](): string {
    return `OidcPolicy ${JSON.stringify(this)}`;
  }
}

export function parseOidcPolicy(raw: unknown, at: (string | number)[], file: string, diag: Diagnostics): OidcPolicy | undefined {
  if (!isRecord(raw)) {
    diag.error(at, 'expected an object with issuer, client_id, client_secret_file, redirect_url and principals');
    return undefined;
  }
  const before = diag.count;
  for (const key of Object.keys(raw)) {
    if (!(KEYS as readonly string[]).includes(key))
      diag.error([...at, key], `unknown key "${key}"${didYouMean(key, KEYS)}; expected one of ${KEYS.join(', ')}`, { key: true });
  }
  for (const key of REQUIRED) if (!Object.hasOwn(raw, key)) diag.error(at, `missing required key "${key}"`);
  const field = (key: string) => (Object.hasOwn(raw, key) ? raw[key] : undefined);
  const issuer = urlField(field('issuer'), [...at, 'issuer'], diag);
  const clientId = textField(field('client_id'), [...at, 'client_id'], 256, diag);
  const redirectUrl = urlField(field('redirect_url'), [...at, 'redirect_url'], diag);
  if (redirectUrl !== undefined && !new URL(redirectUrl).pathname.endsWith(OIDC_CALLBACK_PATH))
    diag.error(
      [...at, 'redirect_url'],
      `expected the page's ${OIDC_CALLBACK_PATH} as the provider knows it, found ${JSON.stringify(redirectUrl)}`,
    );
  const claim = claimField(Object.hasOwn(raw, 'claim') ? raw.claim : DEFAULT_CLAIM, [...at, 'claim'], diag);
  const principals = principalsField(field('principals'), [...at, 'principals'], diag);
  const secret = secretField(field('client_secret_file'), [...at, 'client_secret_file'], file, diag);
  if (diag.count > before || !issuer || !clientId || !redirectUrl || !claim || !principals || !secret) return undefined;
  return new ParsedOidcPolicy(issuer, clientId, secret, redirectUrl, claim, principals);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A line of printable text (no control characters), 1 to `max` characters. */
function textField(value: unknown, path: PathSegment[], max: number, diag: Diagnostics): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > max || /[\x00-\x1f\x7f]/.test(value)) {
    diag.error(path, `expected a string of 1 to ${max} printable characters`);
    return undefined;
  }
  return value;
}

/** https, or http on a loopback host; no credentials, query or fragment. Kept as written: issuers compare exactly. */
function urlField(value: unknown, path: PathSegment[], diag: Diagnostics): string | undefined {
  const text = textField(value, path, 2048, diag);
  if (text === undefined) return undefined;
  const url = URL.canParse(text) ? new URL(text) : undefined;
  const problem = !url
    ? 'is not a URL'
    : url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))
      ? 'must be https:// (plain http:// only on a loopback host such as 127.0.0.1)'
      : url.username || url.password || url.search || url.hash
        ? 'must not carry a user name, password, query or fragment'
        : undefined;
  if (problem === undefined) return text;
  diag.error(path, `${JSON.stringify(text)} ${problem}`);
  return undefined;
}

function claimField(value: unknown, path: PathSegment[], diag: Diagnostics): string | undefined {
  if (typeof value === 'string' && CLAIM_PATTERN.test(value) && value !== 'email_verified') return value;
  diag.error(path, `expected the name of an ID-token claim such as email, preferred_username or sub, found ${JSON.stringify(value)}`);
  return undefined;
}

/** Claim value to principal; a null-prototype lookup is not needed, the result is a Map. */
function principalsField(value: unknown, path: PathSegment[], diag: Diagnostics): Map<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value) || Object.keys(value).length === 0) {
    diag.error(path, 'expected a mapping from claim values to principals, with at least one entry (nobody could sign in otherwise)');
    return undefined;
  }
  const principals = new Map<string, string>();
  for (const [claimValue, principal] of Object.entries(value)) {
    if (claimValue === '' || claimValue.length > 256 || /[\x00-\x1f\x7f]/.test(claimValue)) {
      diag.error([...path, claimValue], 'expected a claim value of 1 to 256 printable characters', { key: true });
    } else if (typeof principal !== 'string' || !PRINCIPAL.test(principal)) {
      diag.error(
        [...path, claimValue],
        `expected a principal name (1-128 letters, digits or . _ @ + -), found ${JSON.stringify(principal)}`,
      );
    } else {
      principals.set(claimValue, principal);
    }
  }
  return principals;
}

/** The file's text without surrounding whitespace; messages name the file, never its content. */
function secretField(value: unknown, path: PathSegment[], policyFile: string, diag: Diagnostics): string | undefined {
  const name = textField(value, path, 4096, diag);
  if (name === undefined) return undefined;
  const file = isAbsolute(name) ? name : join(dirname(policyFile), name);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    diag.error(path, `cannot read the client secret file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    return undefined;
  }
  const secret = text.trim();
  const problem =
    Buffer.byteLength(secret, 'utf8') > MAX_SECRET_BYTES
      ? 'is larger than 64 KiB'
      : secret === ''
        ? 'is empty'
        : /[\x00-\x1f\x7f]/.test(secret)
          ? 'holds a line break or another control character'
          : undefined;
  if (problem === undefined) return secret;
  diag.error(path, `the client secret in ${file} ${problem}`);
  return undefined;
}
