/**
 * SSH signatures (OpenSSH's PROTOCOL.sshsig), as `ssh-keygen -Y sign` makes them and
 * `ssh-keygen -Y verify` checks them, verified in pure JavaScript so that workflow code can do it
 * deterministically: ed25519 keys only, sha512 or sha256 message hashes. Errors are values.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';

const MAGIC = 'SSHSIG';
const ARMOR_BEGIN = '-----BEGIN SSH SIGNATURE-----';
const ARMOR_END = '-----END SSH SIGNATURE-----';
const KEY_TYPE = 'ssh-ed25519';

export interface SshSignature {
  /** The signer's public key, as `ssh-ed25519 BASE64` (the allowed_signers form, canonical base64). */
  publicKey: string;
  namespace: string;
  hashAlgorithm: 'sha512' | 'sha256';
  signature: Uint8Array;
  keyBytes: Uint8Array;
}

export interface SshPublicKey {
  /** `ssh-ed25519 BASE64`, re-encoded canonically so that equal keys compare equal as strings. */
  publicKey: string;
  /** The wire blob: string "ssh-ed25519", string key. */
  blob: Uint8Array;
  keyBytes: Uint8Array;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

/** Decodes an armored signature (the `.sig` file `ssh-keygen -Y sign` writes). */
export function parseSignature(armored: string): Parsed<SshSignature> {
  const text = armored.trim();
  if (!text.startsWith(ARMOR_BEGIN) || !text.endsWith(ARMOR_END))
    return fail('no -----BEGIN SSH SIGNATURE----- ... -----END SSH SIGNATURE----- armor');
  const blob = base64DecodeStrict(text.slice(ARMOR_BEGIN.length, text.length - ARMOR_END.length).replace(/\s+/g, ''));
  if (!blob) return fail('the signature is not base64');
  const reader = new Reader(blob);
  if (textOf(reader.bytes(6)) !== MAGIC) return fail('the signature does not start with SSHSIG');
  if (reader.uint32() !== 1) return fail('unsupported SSHSIG version');
  const publicKeyBlob = reader.string();
  const namespace = textOf(reader.string());
  reader.string(); // reserved: ignored, as ssh-keygen does (the signed data always has it empty)
  const hashAlgorithm = textOf(reader.string());
  const signatureBlob = reader.string();
  if (reader.failed || !reader.done()) return fail('the signature blob is truncated or has trailing bytes');
  if (hashAlgorithm !== 'sha512' && hashAlgorithm !== 'sha256') return fail(`unsupported hash algorithm ${hashAlgorithm}`);

  const key = publicKeyOfBlob(publicKeyBlob);
  if (!key.ok) return key;
  const sig = new Reader(signatureBlob);
  const sigType = textOf(sig.string());
  const signature = sig.string();
  if (sig.failed || !sig.done() || sigType !== KEY_TYPE || signature.length !== 64) return fail('malformed ed25519 signature');
  return { ok: true, value: { publicKey: key.value.publicKey, namespace, hashAlgorithm, signature, keyBytes: key.value.keyBytes } };
}

/** Whether `signature` is a valid signature of `message` in `namespace` by its own key. */
export function verifySignature(signature: SshSignature, message: Uint8Array, namespace: string): Parsed<true> {
  if (signature.namespace !== namespace) return fail(`signed for namespace ${quote(signature.namespace)}, not ${quote(namespace)}`);
  const digest = signature.hashAlgorithm === 'sha512' ? sha512(message) : sha256(message);
  const signed = concat(
    bytesOf(MAGIC),
    sshString(bytesOf(namespace)),
    sshString(new Uint8Array(0)),
    sshString(bytesOf(signature.hashAlgorithm)),
    sshString(digest),
  );
  try {
    // Strict RFC 8032 decoding (not ZIP-215): ssh-keygen never makes the encodings it would admit.
    return ed25519.verify(signature.signature, signed, signature.keyBytes, { zip215: false })
      ? { ok: true, value: true }
      : fail('the signature does not match the statement');
  } catch {
    return fail('the signature does not match the statement');
  }
}

/** Reads `ssh-ed25519 BASE64` (a `.pub` line without its comment, or an allowed_signers key). */
export function parsePublicKey(text: string): Parsed<SshPublicKey> {
  const [keyType, keyText, ...rest] = text.trim().split(/\s+/);
  if (rest.length > 0 || keyText === undefined) return fail('expected ssh-ed25519 followed by the base64 key');
  if (keyType !== KEY_TYPE) return fail(`only ssh-ed25519 keys are accepted, not ${keyType}`);
  const blob = base64DecodeStrict(keyText);
  if (!blob) return fail('the key is not base64');
  return publicKeyOfBlob(blob);
}

/** The fingerprint `ssh-keygen -l` prints: SHA256 of the key blob, unpadded base64. */
export function fingerprint(publicKey: string): string {
  const key = parsePublicKey(publicKey);
  return key.ok ? `SHA256:${base64Encode(sha256(key.value.blob)).replace(/=+$/, '')}` : 'SHA256:?';
}

function publicKeyOfBlob(blob: Uint8Array): Parsed<SshPublicKey> {
  const reader = new Reader(blob);
  const keyType = textOf(reader.string());
  const keyBytes = reader.string();
  if (reader.failed || !reader.done()) return fail('malformed public key');
  if (keyType !== KEY_TYPE) return fail(`only ssh-ed25519 keys are accepted, not ${keyType}`);
  if (keyBytes.length !== 32) return fail('malformed ed25519 public key');
  return { ok: true, value: { publicKey: `${KEY_TYPE} ${base64Encode(blob)}`, blob, keyBytes } };
}

/** Untrusted text in a message: bounded, and with control characters escaped. */
function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

class Reader {
  private offset = 0;
  failed = false;
  constructor(private readonly data: Uint8Array) {}

  bytes(n: number): Uint8Array {
    if (this.failed || this.offset + n > this.data.length) {
      this.failed = true;
      return new Uint8Array(0);
    }
    const out = this.data.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  uint32(): number {
    const b = this.bytes(4);
    return b.length === 4 ? ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0 : 0;
  }

  string(): Uint8Array {
    return this.bytes(this.uint32());
  }

  done(): boolean {
    return this.offset === this.data.length;
  }
}

function sshString(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  return concat(new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]), bytes);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** UTF-8, as `ssh-keygen -Y sign` reads the file (TextEncoder exists in Temporal's workflow sandbox). */
export function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function textOf(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

// Base64 by hand: workflow code has no Buffer, and atob/btoa are not guaranteed in the sandbox.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PADDED_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Padded standard base64, or undefined: unlike base64Decode, never guesses at bad input. */
export function base64DecodeStrict(text: string): Uint8Array | undefined {
  return PADDED_BASE64.test(text) ? base64Decode(text) : undefined;
}

/** Lenient: characters outside the alphabet are skipped. Check the input first (base64DecodeStrict does). */
export function base64Decode(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const char of clean) {
    const digit = ALPHABET.indexOf(char);
    if (digit < 0) continue;
    value = ((value << 6) | digit) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >>> bits) & 0xff;
    }
  }
  return out.subarray(0, at);
}

export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out +=
      ALPHABET[(n >>> 18) & 63]! +
      ALPHABET[(n >>> 12) & 63]! +
      (i + 1 < bytes.length ? ALPHABET[(n >>> 6) & 63]! : '=') +
      (i + 2 < bytes.length ? ALPHABET[n & 63]! : '=');
  }
  return out;
}
