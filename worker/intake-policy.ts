/**
 * The `intake:` section of the operator policy: where `remediate serve` listens, its body limit, TLS
 * files, and the sources allowed to post (each a bearer token stored as its sha256, a rate, the routes
 * it may use (`codec` only when listed) and, optionally, the key that signs its submissions). Paths are relative to the policy file.
 */
import { dirname, isAbsolute, join } from 'node:path';
import type { Diagnostics } from '../dsl/diagnostics';
import { INTAKE_ROUTE_NAMES, type RawOperatorPolicy } from './operator-policy-schema';

export type IntakeRouteName = (typeof INTAKE_ROUTE_NAMES)[number];

export interface IntakeSourcePolicy {
  name: string;
  /** sha256 of the bearer token, 32 bytes. */
  tokenSha256: Buffer;
  ratePerMinute: number;
  routes: ReadonlySet<IntakeRouteName>;
  /** SSH private key that signs this source's submissions (its principal in allowed_signers). */
  signingKeyFile?: string;
}

export interface IntakePolicy {
  listen: { host: string; port: number };
  maxBodyBytes: number;
  tls?: { certFile: string; keyFile: string };
  sources: IntakeSourcePolicy[];
}

export const DEFAULT_INTAKE_LISTEN = '127.0.0.1:8080';
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
const DEFAULT_RATE_PER_MINUTE = 600;
/**
 * A source that lists no routes may submit (incidents, alertmanager); the codec server hands out
 * decrypted payloads, so a source gets it only by naming `codec` (docs/encryption.md).
 */
export const DEFAULT_SOURCE_ROUTES: readonly IntakeRouteName[] = INTAKE_ROUTE_NAMES.filter((route) => route !== 'codec');

/** `HOST:PORT` (or `[V6]:PORT`); undefined when the port is out of range. */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const colon = text.lastIndexOf(':');
  const port = Number(text.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  const host = text.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return host ? { host, port } : undefined;
}

export function intakePolicyOf(raw: RawOperatorPolicy, policyFile: string | undefined, diag?: Diagnostics): IntakePolicy {
  const section = raw.intake ?? {};
  const resolve = (path: string) => (policyFile === undefined || isAbsolute(path) ? path : join(dirname(policyFile), path));
  const listenText = section.listen ?? DEFAULT_INTAKE_LISTEN;
  const listen = parseListen(listenText);
  if (!listen) diag?.error(['intake', 'listen'], `expected HOST:PORT with a port from 0 to 65535, found ${JSON.stringify(listenText)}`);
  const seen = new Map<string, string>();
  const sources = Object.entries(section.sources ?? {}).map(([name, source]): IntakeSourcePolicy => {
    const earlier = seen.get(source.token_sha256);
    if (earlier !== undefined)
      diag?.error(['intake', 'sources', name, 'token_sha256'], `the same token as source "${earlier}": each source needs its own token`);
    seen.set(source.token_sha256, name);
    return {
      name,
      tokenSha256: Buffer.from(source.token_sha256, 'hex'),
      ratePerMinute: source.rate_per_minute ?? DEFAULT_RATE_PER_MINUTE,
      routes: new Set(source.routes ?? DEFAULT_SOURCE_ROUTES),
      ...(source.signing_key_file === undefined ? {} : { signingKeyFile: resolve(source.signing_key_file) }),
    };
  });
  return {
    listen: listen ?? { host: '127.0.0.1', port: 8080 },
    maxBodyBytes: section.max_body_bytes ?? DEFAULT_MAX_BODY_BYTES,
    ...(section.tls ? { tls: { certFile: resolve(section.tls.cert_file), keyFile: resolve(section.tls.key_file) } } : {}),
    sources,
  };
}
