/**
 * The data converter every Temporal client and worker of remediate uses: the payload codec when the
 * operator configured a key ring (REMEDIATE_ENCRYPTION_KEYS_FILE), otherwise none, and payloads are
 * written as today (plaintext JSON on the server).
 */
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm-codec';
import { keyRingFromEnvironment, type KeyRing } from './key-ring';

export type EncryptingDataConverter = DataConverter & { payloadCodecs: PayloadCodec[] };

export function dataConverterOf(ring: KeyRing | undefined): EncryptingDataConverter | undefined {
  return ring ? { payloadCodecs: [new AesGcmCodec(ring)] } : undefined;
}

/** Reads (and checks) the key file on each call: a bad one stops the command before it connects. */
export function dataConverterFromEnvironment(env: NodeJS.ProcessEnv = process.env): EncryptingDataConverter | undefined {
  return dataConverterOf(keyRingFromEnvironment(env));
}

/** `{ dataConverter }` to spread into client or worker options, or nothing when encryption is off. */
export function dataConverterOption(converter: DataConverter | undefined): { dataConverter?: DataConverter } {
  return converter ? { dataConverter: converter } : {};
}
