/**
 * Decrypting a fetched or exported history in place, so that the synchronous readers
 * (client/history-decode.ts, which decode with the default payload converter) and replay see the
 * payloads the workflow wrote. `fetchHistory` returns payloads as stored; this is the one step that
 * turns them back. Payloads that are not encrypted are left alone; an encrypted one that the
 * configured codecs cannot decrypt is a PayloadDecryptionError, never a garbled value.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { isEncryptedPayload, KEY_ID_METADATA, PayloadDecryptionError } from './aes-gcm-codec';

/** A history as fetched from the server or read back with historyFromJSON: any proto-shaped object. */
type Walkable = object;

/** Every encrypted payload in the history, replaced in place by what the codecs decode it to. */
export async function decodeHistory<H extends Walkable | null | undefined>(history: H, codecs: readonly PayloadCodec[]): Promise<H> {
  if (!history) return history;
  const found = encryptedPayloads(history);
  if (found.length === 0) return history;
  if (codecs.length === 0) throw new PayloadDecryptionError(keyIdOf(found[0]!), 'encryption is off in this process', undefined);
  let decoded: Payload[] = found.map((payload) => ({ metadata: payload.metadata, data: payload.data }));
  // Codecs decode in the reverse order they encode (the SDK's convention).
  for (const codec of [...codecs].reverse()) decoded = await codec.decode(decoded);
  found.forEach((payload, index) => {
    const plain = decoded[index]!;
    if (isEncryptedPayload(plain)) throw new PayloadDecryptionError(keyIdOf(plain), 'no configured codec decrypts it', undefined);
    payload.metadata = plain.metadata ?? {};
    payload.data = plain.data ?? new Uint8Array();
  });
  return history;
}

/** The handle's history, decrypted with the codecs of the client it came from. */
export async function fetchDecodedHistory<H>(handle: {
  fetchHistory(): Promise<H>;
  client: { options: { loadedDataConverter: { payloadCodecs: PayloadCodec[] } } };
}): Promise<H> {
  const history = await handle.fetchHistory();
  return await decodeHistory(history as H & Walkable, handle.client.options.loadedDataConverter.payloadCodecs);
}

function encryptedPayloads(root: Walkable): Payload[] {
  const found: Payload[] = [];
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || seen.has(value)) continue;
    seen.add(value);
    if (isPayloadLike(value) && isEncryptedPayload(value)) {
      found.push(value);
      continue;
    }
    for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push(child);
  }
  // The walk is depth-first from the end; the order decoded does not matter, only that each is.
  return found;
}

function isPayloadLike(value: object): value is Payload {
  const metadata = (value as { metadata?: unknown }).metadata;
  return typeof metadata === 'object' && metadata !== null && 'encoding' in metadata;
}

function keyIdOf(payload: Payload): string {
  const id = payload.metadata?.[KEY_ID_METADATA];
  return id ? Buffer.from(id).toString('utf8') : '(none)';
}
