import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { AesGcmCodec, ENCRYPTED_ENCODING, PayloadDecryptionError } from '../../codec/aes-gcm-codec';
import { KeyRing } from '../../codec/key-ring';
import { isUserFacingError } from '../../dsl/user-facing-error';

const KEY_A = Buffer.alloc(32, 0xa1);
const KEY_B = Buffer.alloc(32, 0xb2);
const ring = (current: string, keys: Record<string, Buffer>) =>
  new KeyRing(current, new Map(Object.entries(keys)), '/etc/remediate/keys.yaml');
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const SECRET = { incident: 'INC-7781', service: 'billing-api', context: { customer: 'ACME Corp' } };

async function rejection(promise: Promise<unknown>): Promise<PayloadDecryptionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PayloadDecryptionError);
  expect(isUserFacingError(error)).toBe(true);
  return error as PayloadDecryptionError;
}

describe('the AES-256-GCM payload codec', () => {
  it('round-trips payloads, metadata included, with nothing of them in the ciphertext', async () => {
    const codec = new AesGcmCodec(ring('a', { a: KEY_A }));
    const payloads = [
      defaultPayloadConverter.toPayload(SECRET),
      defaultPayloadConverter.toPayload(null),
      { metadata: {}, data: new Uint8Array() },
    ];
    const encoded = await codec.encode(payloads);
    expect(encoded).toHaveLength(3);
    for (const payload of encoded) {
      expect(text(payload.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(text(payload.metadata?.['encryption-key-id'])).toBe('a');
      expect(Object.keys(payload.metadata ?? {}).sort()).toEqual(['encoding', 'encryption-key-id']);
    }
    const raw = Buffer.from(encoded[0]!.data!).toString('latin1');
    for (const plain of ['INC-7781', 'billing-api', 'ACME', 'json/plain']) expect(raw).not.toContain(plain);
    const decoded = await codec.decode(encoded);
    expect(defaultPayloadConverter.fromPayload(decoded[0]!)).toEqual(SECRET);
    expect(text(decoded[0]!.metadata?.encoding)).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(decoded[1]!)).toBeNull();
    expect(Buffer.from(decoded[2]!.data ?? []).length).toBe(0);
  });

  it('uses a fresh IV for each payload: the same value encrypts differently each time', async () => {
    const codec = new AesGcmCodec(ring('a', { a: KEY_A }));
    const payload = defaultPayloadConverter.toPayload(SECRET);
    const [one, two] = await codec.encode([payload, payload]);
    expect(Buffer.from(one!.data!).subarray(0, 12).equals(Buffer.from(two!.data!).subarray(0, 12))).toBe(false);
    expect(Buffer.from(one!.data!).equals(Buffer.from(two!.data!))).toBe(false);
  });

  it('passes payloads that are not encrypted through unchanged (histories from before encryption)', async () => {
    const codec = new AesGcmCodec(ring('a', { a: KEY_A }));
    const plain = defaultPayloadConverter.toPayload(SECRET);
    const [out] = await codec.decode([plain]);
    expect(out).toBe(plain);
  });

  it('still decrypts payloads of an older key after a rotation, and encrypts with the new current one', async () => {
    const before = new AesGcmCodec(ring('a', { a: KEY_A }));
    const [old] = await before.encode([defaultPayloadConverter.toPayload(SECRET)]);
    const after = new AesGcmCodec(ring('b', { a: KEY_A, b: KEY_B }));
    expect(defaultPayloadConverter.fromPayload((await after.decode([old!]))[0]!)).toEqual(SECRET);
    const [fresh] = await after.encode([defaultPayloadConverter.toPayload(SECRET)]);
    expect(text(fresh!.metadata?.['encryption-key-id'])).toBe('b');
  });

  it('gives a clear error for an unknown key id, naming it and the key file', async () => {
    const [old] = await new AesGcmCodec(ring('a', { a: KEY_A })).encode([defaultPayloadConverter.toPayload(SECRET)]);
    const error = await rejection(new AesGcmCodec(ring('b', { b: KEY_B })).decode([old!]));
    expect(error.message).toMatch(
      /key "a": no key "a" in the key ring \(it has b\).*\/etc\/remediate\/keys\.yaml \(REMEDIATE_ENCRYPTION_KEYS_FILE\)/,
    );
    expect(error.keyId).toBe('a');
  });

  it('gives a clear error for the wrong key under the same id, never garbage', async () => {
    const [old] = await new AesGcmCodec(ring('a', { a: KEY_A })).encode([defaultPayloadConverter.toPayload(SECRET)]);
    const error = await rejection(new AesGcmCodec(ring('a', { a: KEY_B })).decode([old!]));
    expect(error.message).toMatch(
      /key "a": it fails authentication: the key "a" in the key ring is not the one it was encrypted with, or the payload was altered/,
    );
  });

  it('refuses tampered ciphertext, tag, IV, a relabelled key id and a cut-short payload', async () => {
    const codec = new AesGcmCodec(ring('a', { a: KEY_A, b: KEY_A }));
    const [good] = await codec.encode([defaultPayloadConverter.toPayload(SECRET)]);
    const flip = (index: number): Payload => {
      const data = Buffer.from(good!.data!);
      data[index < 0 ? data.length + index : index]! ^= 1;
      return { metadata: good!.metadata, data };
    };
    for (const tampered of [flip(0), flip(20), flip(-1)])
      expect((await rejection(codec.decode([tampered]))).message).toMatch(/fails authentication/);
    // The same key under another id: the key id is authenticated, so the relabelled payload fails.
    const relabelled = { metadata: { ...good!.metadata, 'encryption-key-id': Buffer.from('b') }, data: good!.data };
    expect((await rejection(codec.decode([relabelled]))).message).toMatch(/key "b": it fails authentication/);
    expect((await rejection(codec.decode([{ metadata: good!.metadata, data: Buffer.alloc(10) }]))).message).toMatch(/cut short/);
    const unlabelled = { metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING) }, data: good!.data };
    expect((await rejection(codec.decode([unlabelled]))).message).toMatch(/no encryption-key-id metadata/);
  });
});
