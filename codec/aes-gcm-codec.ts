/**
 * The payload codec (docs/encryption.md): every payload the worker and the clients send to Temporal
 * is encrypted with AES-256-GCM under the key ring's current key; the key id travels in the
 * payload's metadata, so payloads written under an older key still decrypt after a rotation.
 * The plaintext is the whole original Payload, proto-encoded, so its own metadata (the encoding
 * the payload converter chose) is encrypted too and comes back exactly.
 *
 * Runs in the data converter (worker and client processes), never in workflow code.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
// A CommonJS package: Node's ES module loader (the compiled CLI) sees only its default export.
import proto from '@temporalio/proto';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { EXIT, UserFacingError } from '../dsl/user-facing-error';
import { KEYS_FILE_VARIABLE, type KeyRing } from './key-ring';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const { Payload: PayloadProto } = proto.temporal.api.common.v1;
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** An encrypted payload this process cannot decrypt: never garbage, always this. */
export class PayloadDecryptionError extends UserFacingError {
  override readonly name = 'PayloadDecryptionError';
  readonly exitCode = EXIT.USAGE;
  constructor(
    readonly keyId: string,
    problem: string,
    ring: Pick<KeyRing, 'source'> | undefined,
  ) {
    super(
      `cannot decrypt a payload encrypted with key "${keyId}": ${problem}. ` +
        (ring
          ? `Check the key file ${ring.source} (${KEYS_FILE_VARIABLE}): an old key must stay in \`keys\` as long as histories encrypted with it are read.`
          : `Set ${KEYS_FILE_VARIABLE} to the key file the payloads were encrypted with.`),
    );
  }
}

export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly ring: KeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => decryptPayload(payload, this.ring));
  }

  encrypt(payload: Payload): Payload {
    const { id, key } = this.ring.current();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    // The key id is authenticated too: a payload relabelled with another key id fails, it is not tried.
    cipher.setAAD(utf8.encode(id));
    const plaintext = PayloadProto.encode(payload).finish();
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: { encoding: utf8.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8.encode(id) },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }
}

/** Whether a payload is one of ours, encrypted (its metadata may be bytes, or base64 text in JSON). */
export function isEncryptedPayload(payload: Payload): boolean {
  const encoding = payload.metadata?.encoding;
  return encoding !== undefined && encoding !== null && textOf(encoding) === ENCRYPTED_ENCODING;
}

/**
 * The original payload; one that is not encrypted passes through unchanged (histories written
 * before encryption was turned on keep reading). With no key ring, an encrypted payload is an error.
 */
export function decryptPayload(payload: Payload, ring: KeyRing | undefined): Payload {
  if (!isEncryptedPayload(payload)) return payload;
  const rawId = payload.metadata?.[KEY_ID_METADATA];
  const keyId = rawId ? textOf(rawId) : undefined;
  if (keyId === undefined) throw new PayloadDecryptionError('(none)', `the payload has no ${KEY_ID_METADATA} metadata`, ring);
  const key = ring?.key(keyId);
  if (!ring || !key)
    throw new PayloadDecryptionError(
      keyId,
      ring ? `no key "${keyId}" in the key ring (it has ${ring.ids.join(', ')})` : 'encryption is off',
      ring,
    );
  const data = payload.data ?? new Uint8Array();
  if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(keyId, 'the payload is cut short', ring);
  const decipher = createDecipheriv(ALGORITHM, key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(utf8.encode(keyId));
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  let plaintext: Buffer;
  try {
    plaintext = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new PayloadDecryptionError(
      keyId,
      `it fails authentication: the key "${keyId}" in the key ring is not the one it was encrypted with, or the payload was altered`,
      ring,
    );
  }
  const decoded = PayloadProto.decode(plaintext);
  return { metadata: decoded.metadata, data: decoded.data };
}

/** Metadata values are bytes; a history read from JSON may still hold them as base64 text. */
function textOf(value: Uint8Array | string): string | undefined {
  try {
    return fromUtf8.decode(typeof value === 'string' ? Buffer.from(value, 'base64') : value);
  } catch {
    return undefined;
  }
}
