import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecord } from '../../client/history';
import { AesGcmCodec, PayloadDecryptionError } from '../../codec/aes-gcm-codec';
import { dataConverterFromEnvironment } from '../../codec/data-converter';
import { decodeHistory } from '../../codec/decode-history';
import { KeyRing, KeyRingError } from '../../codec/key-ring';
import { parseOperatorPolicy } from '../../worker/operator-policy';

const HISTORY = join(import.meta.dirname, '../histories/inc001-remediated.json');
const codec = new AesGcmCodec(new KeyRing('k', new Map([['k', Buffer.alloc(32, 3)]]), 'keys.yaml'));

/** A recorded history with every payload encrypted, as a worker with the codec would have written it. */
async function encryptedHistory() {
  const history = historyFromJSON(JSON.parse(readFileSync(HISTORY, 'utf8')));
  const payloads: { metadata?: unknown; data?: unknown }[] = [];
  const walk = (value: unknown) => {
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return;
    const metadata = Reflect.get(value, 'metadata');
    if (typeof metadata === 'object' && metadata !== null && 'encoding' in metadata) payloads.push(value);
    else for (const child of Object.values(value)) walk(child);
  };
  walk(history);
  for (const payload of payloads) Object.assign(payload, (await codec.encode([payload as never]))[0]);
  return { history, count: payloads.length };
}

describe('decrypting a history', () => {
  it('decrypts every payload in place, so the synchronous readers read it as before', async () => {
    const expected = readRecord(historyFromJSON(JSON.parse(readFileSync(HISTORY, 'utf8'))));
    const { history, count } = await encryptedHistory();
    expect(count).toBeGreaterThan(5);
    expect(historyToJSON(history)).not.toContain(Buffer.from('api-server-abc123').toString('base64').slice(0, 12));
    expect(() => readRecord(history)).toThrow();
    await decodeHistory(history, [codec]);
    expect(readRecord(history)).toEqual(expected);
  });

  it('leaves a plaintext history alone, codec or not, and refuses an encrypted one without a codec', async () => {
    const plain = historyFromJSON(JSON.parse(readFileSync(HISTORY, 'utf8')));
    const before = historyToJSON(plain);
    await decodeHistory(plain, []);
    await decodeHistory(plain, [codec]);
    expect(historyToJSON(plain)).toBe(before);
    const { history } = await encryptedHistory();
    await expect(decodeHistory(history, [])).rejects.toThrow(PayloadDecryptionError);
    await expect(decodeHistory(history, [])).rejects.toThrow(
      /key "k": encryption is off in this process\. Set REMEDIATE_ENCRYPTION_KEYS_FILE/,
    );
  });
});

describe('the wiring', () => {
  it('turns encryption on only with REMEDIATE_ENCRYPTION_KEYS_FILE, and a bad file stops it', () => {
    expect(dataConverterFromEnvironment({})).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'remediate-wiring-'));
    const file = join(dir, 'keys.json');
    writeFileSync(file, JSON.stringify({ current: 'k', keys: { k: Buffer.alloc(32).toString('base64') } }));
    chmodSync(file, 0o600);
    expect(dataConverterFromEnvironment({ REMEDIATE_ENCRYPTION_KEYS_FILE: file })?.payloadCodecs[0]).toBeInstanceOf(AesGcmCodec);
    chmodSync(file, 0o644);
    expect(() => dataConverterFromEnvironment({ REMEDIATE_ENCRYPTION_KEYS_FILE: file })).toThrow(KeyRingError);
  });

  it('gives a source the codec route only when it names it', () => {
    const policy = parseOperatorPolicy(
      '/p/policy.yaml',
      [
        'intake:',
        '  sources:',
        `    plain: { token_sha256: "${'a'.repeat(64)}" }`,
        `    ui: { token_sha256: "${'b'.repeat(64)}", routes: [codec] }`,
      ].join('\n'),
      () => '',
      {},
    );
    const routes = Object.fromEntries(policy.intake.sources.map((source) => [source.name, [...source.routes].sort()]));
    expect(routes).toEqual({ plain: ['alertmanager', 'incidents'], ui: ['codec'] });
  });
});

describe('remediate dev with encryption on', () => {
  it("points the Web UI at serve's codec server where the policy says serve listens", async () => {
    const { devCodecEndpoint } = await import('../../cli/dev');
    const dir = mkdtempSync(join(tmpdir(), 'remediate-dev-codec-'));
    const keys = join(dir, 'keys.yaml');
    writeFileSync(keys, `current: k\nkeys:\n  k: ${Buffer.alloc(32).toString('base64')}\n`);
    chmodSync(keys, 0o600);
    const policy = (listen: string) => {
      const file = join(dir, `policy-${listen.replace(/[^0-9]/g, '')}.yaml`);
      writeFileSync(file, `intake:\n  listen: "${listen}"\n`);
      return file;
    };
    const on = { REMEDIATE_ENCRYPTION_KEYS_FILE: keys };
    expect(await devCodecEndpoint(policy('127.0.0.1:9090'), on)).toBe('http://127.0.0.1:9090/codec');
    expect(await devCodecEndpoint(policy('0.0.0.0:9091'), on)).toBe('http://localhost:9091/codec');
    expect(await devCodecEndpoint(policy('127.0.0.1:0'), on)).toBeUndefined();
    expect(await devCodecEndpoint(policy('127.0.0.1:9090'), {})).toBeUndefined();
  });
});
