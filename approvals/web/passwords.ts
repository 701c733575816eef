/**
 * Local users' passwords, as scrypt hashes with a random salt and their parameters in the encoding:
 * `scrypt$N$r$p$SALT$HASH` (base64url). `remediate approvals hash-password` makes them; the
 * operator pastes the line into the policy. Verification compares in constant time, and an unknown
 * user costs the same scrypt as a known one, so neither timing nor message tells them apart.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const DEFAULTS = { N: 1 << 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const FORMAT = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,128})\$([A-Za-z0-9_-]{32,128})$/;

export interface PasswordHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  // Room for N up to 2^20 at r 8 (1 GiB would be refused by the default 32 MiB limit).
  const maxmem = 256 * (options.N ?? DEFAULTS.N) * (options.r ?? DEFAULTS.r) + 1024 * 1024;
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, keyLength, { ...options, maxmem }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export async function hashPassword(password: string, params: { N: number; r: number; p: number } = DEFAULTS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scrypt(password, salt, KEY_BYTES, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** The parsed hash, or why it is not one (for the policy's error at the field). */
export function parsePasswordHash(text: string): PasswordHash | string {
  const match = FORMAT.exec(text);
  if (!match) return 'expected a line printed by `remediate approvals hash-password` (scrypt$N$r$p$SALT$HASH)';
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (N < 1024 || N > 1 << 20 || (N & (N - 1)) !== 0) return 'scrypt N must be a power of two from 1024 to 1048576';
  if (r < 1 || r > 32 || p < 1 || p > 16) return 'scrypt r must be 1 to 32 and p 1 to 16';
  return { N, r, p, salt: Buffer.from(match[4] ?? '', 'base64url'), hash: Buffer.from(match[5] ?? '', 'base64url') };
}

/** A hash no password matches, checked against when the user is unknown: the same work, the same answer. */
const NOBODY: PasswordHash = { ...DEFAULTS, salt: randomBytes(SALT_BYTES), hash: randomBytes(KEY_BYTES) };

export async function verifyPassword(password: string, stored: PasswordHash | undefined): Promise<boolean> {
  const against = stored ?? NOBODY;
  const key = await scrypt(password, against.salt, against.hash.length, { N: against.N, r: against.r, p: against.p });
  return timingSafeEqual(key, against.hash) && stored !== undefined;
}
