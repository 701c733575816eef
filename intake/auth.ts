/**
 * Bearer-token authentication of intake sources. Tokens are stored as their sha256 only; the
 * presented token is hashed and compared with every source's hash in constant time (no early exit),
 * so neither a token nor which source it is close to leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IntakeSourcePolicy } from '../worker/intake-policy';

export type Authentication = { kind: 'missing' } | { kind: 'unknown' } | { kind: 'ok'; source: IntakeSourcePolicy };

/** RFC 6750's `Authorization: Bearer <token>`; the scheme is case-insensitive. */
function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  return match?.[1];
}

export function authenticate(header: string | undefined, sources: readonly IntakeSourcePolicy[]): Authentication {
  const token = bearerToken(header);
  if (token === undefined) return { kind: header === undefined ? 'missing' : 'unknown' };
  const presented = createHash('sha256').update(token, 'utf8').digest();
  let found: IntakeSourcePolicy | undefined;
  for (const source of sources) {
    // Every hash is compared; `found` is set without branching out of the loop.
    if (timingSafeEqual(presented, source.tokenSha256) && found === undefined) found = source;
  }
  return found ? { kind: 'ok', source: found } : { kind: 'unknown' };
}
