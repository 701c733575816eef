/**
 * Slack's request signing (v0): `X-Slack-Signature` is `v0=` and the hex HMAC-SHA256, keyed with the
 * app's signing secret, of `v0:{X-Slack-Request-Timestamp}:{raw body}`. The body is the exact bytes
 * received, before any parsing; the timestamp bounds replays to five minutes either way.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const REPLAY_WINDOW_SECONDS = 5 * 60;

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'bad_signature' };

export interface SignedRequest {
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: Buffer;
}

/** The header value Slack would send for this body at this time. */
export function slackSignature(secret: string, timestamp: string, rawBody: Buffer | string): string {
  const mac = createHmac('sha256', secret).update(`v0:${timestamp}:`).update(rawBody);
  return `v0=${mac.digest('hex')}`;
}

/** Checks the timestamp's age, then the signature over the raw bytes in constant time. */
export function verifySlackRequest(secret: string, request: SignedRequest, nowMs: number): SignatureCheck {
  const { timestamp, signature } = request;
  if (timestamp === undefined || signature === undefined) return { ok: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'stale' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > REPLAY_WINDOW_SECONDS) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(slackSignature(secret, timestamp, request.rawBody), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
  return { ok: true };
}
