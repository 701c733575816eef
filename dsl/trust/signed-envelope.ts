/**
 * The steps every signed statement goes through, whatever it says: the envelope read from untrusted
 * data, the signature checked over exactly the statement's text, its key looked up in
 * allowed_signers, and the statement's time checked against the trust policy's maximum age.
 */
import { principalsFor, whyNoPrincipals } from './allowed-signers';
import { isoTimestampMs, MAX_STATEMENT_CHARS } from './read-statement';
import { bytesOf, fingerprint, parseSignature, verifySignature, type SshSignature } from './sshsig';
import { SIGNATURE_NAMESPACE, type SignedStatement, type TrustPolicy } from './types';

export const MAX_SIGNATURE_CHARS = 4096;
/** Clock skew tolerated between the signer's machine and the worker. */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

export type Refusal = { ok: false; reason: string };
export const refuse = (reason: string): Refusal => ({ ok: false, reason });

/** The signer of a statement whose signature verified, with the principals allowed_signers gives its key. */
export interface SigningKey {
  fingerprint: string;
  principals: string[];
}

export function readEnvelope(signed: unknown): ({ ok: true } & Partial<SignedStatement> & { statement: string }) | Refusal {
  if (typeof signed !== 'object' || signed === null || Array.isArray(signed)) {
    return refuse(
      `malformed: expected {statement, signature}, got ${signed === null ? 'null' : Array.isArray(signed) ? 'an array' : `a ${typeof signed}`}`,
    );
  }
  const { statement, signature } = signed as Record<string, unknown>;
  if (statement === undefined) return refuse('malformed: no statement');
  if (typeof statement !== 'string') return refuse('malformed: statement must be a string');
  // An absent signature is not malformed but unsigned, which is reported after the statement is read.
  if (signature !== undefined && signature !== null && typeof signature !== 'string')
    return refuse('malformed: signature must be a string');
  if (statement.length > MAX_STATEMENT_CHARS)
    return refuse(`malformed: the statement is ${statement.length} characters; at most ${MAX_STATEMENT_CHARS} are accepted`);
  if (typeof signature === 'string' && signature.length > MAX_SIGNATURE_CHARS)
    return refuse(`malformed: the signature is ${signature.length} characters; at most ${MAX_SIGNATURE_CHARS} are accepted`);
  return typeof signature === 'string' ? { ok: true, statement, signature } : { ok: true, statement };
}

/** The signature's key, if the signature is over exactly this statement and allowed_signers lists the key now. */
export function signingKey(
  envelope: Partial<SignedStatement> & { statement: string },
  trust: TrustPolicy,
  nowMs: number,
): ({ ok: true } & SigningKey) | Refusal {
  if (envelope.signature === undefined || envelope.signature.trim() === '') return refuse('unsigned');
  const signature = parseSignature(envelope.signature);
  if (!signature.ok) return refuse(`not an SSH signature: ${signature.error}`);
  const verified = verifySignature(signature.value, bytesOf(envelope.statement), SIGNATURE_NAMESPACE);
  if (!verified.ok)
    return refuse(
      signature.value.namespace === SIGNATURE_NAMESPACE
        ? verified.error
        : `wrong namespace: ${verified.error} (sign with ssh-keygen -Y sign -n ${SIGNATURE_NAMESPACE})`,
    );
  return listedKey(signature.value, trust, nowMs);
}

function listedKey(signature: SshSignature, trust: TrustPolicy, nowMs: number): ({ ok: true } & SigningKey) | Refusal {
  const print = fingerprint(signature.publicKey);
  const principals = principalsFor(trust.allowedSigners, signature.publicKey, SIGNATURE_NAMESPACE, nowMs);
  if (principals.length === 0)
    return refuse(`the key ${print} ${whyNoPrincipals(trust.allowedSigners, signature.publicKey, SIGNATURE_NAMESPACE, nowMs)}`);
  return { ok: true, fingerprint: print, principals };
}

/** Too old (a replay) or from the future (a wrong clock); fails closed on a policy without a usable maximum age. */
export function timeProblem(at: string, maxAgeMs: number, nowMs: number): string | undefined {
  if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0) return 'the trust policy has no valid statementMaxAgeMs';
  if (!Number.isFinite(nowMs)) return 'the current time is not known';
  const ageMs = nowMs - isoTimestampMs(at)!;
  if (ageMs > maxAgeMs) return `signed ${Math.ceil(ageMs / 60_000)} min ago; statements older than ${minutes(maxAgeMs)} min are refused`;
  if (-ageMs > MAX_FUTURE_SKEW_MS)
    return `signed in the future (${Math.ceil(-ageMs / 60_000)} min ahead of this worker's clock; at most ${minutes(MAX_FUTURE_SKEW_MS)} min is tolerated)`;
  return undefined;
}

const minutes = (ms: number): number => Math.round(ms / 6_000) / 10;
