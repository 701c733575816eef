import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isUserFacingError } from '../../dsl/user-facing-error';
import { KeyRingError, keyRingFromEnvironment, readKeyRing } from '../../codec/key-ring';

const dir = mkdtempSync(join(tmpdir(), 'remediate-keys-'));
const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');
let n = 0;

function keyFile(text: string, mode = 0o600): string {
  const file = join(dir, `keys-${n++}.yaml`);
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

function errorOf(file: string): KeyRingError {
  try {
    readKeyRing(file);
  } catch (error) {
    expect(error).toBeInstanceOf(KeyRingError);
    expect(isUserFacingError(error)).toBe(true);
    return error as KeyRingError;
  }
  throw new Error(`${file} was accepted`);
}

describe('the key ring', () => {
  it('reads YAML and JSON key files', () => {
    const yaml = readKeyRing(keyFile(`current: b\nkeys:\n  a: ${KEY_A}\n  b: ${KEY_B}\n`));
    expect(yaml.current().id).toBe('b');
    expect(yaml.current().key.equals(Buffer.alloc(32, 2))).toBe(true);
    expect(yaml.key('a')?.equals(Buffer.alloc(32, 1))).toBe(true);
    const json = readKeyRing(keyFile(JSON.stringify({ current: '2026-01.k1', keys: { '2026-01.k1': KEY_A } })));
    expect(json.ids).toEqual(['2026-01.k1']);
  });

  it('is off without the variable, and reads the file it names', () => {
    expect(keyRingFromEnvironment({})).toBeUndefined();
    expect(keyRingFromEnvironment({ REMEDIATE_ENCRYPTION_KEYS_FILE: '' })).toBeUndefined();
    const file = keyFile(`current: a\nkeys:\n  a: ${KEY_A}\n`);
    expect(keyRingFromEnvironment({ REMEDIATE_ENCRYPTION_KEYS_FILE: file })?.currentId).toBe('a');
  });

  it('never prints a key', () => {
    const ring = readKeyRing(keyFile(`current: a\nkeys:\n  a: ${KEY_A}\n`));
    for (const text of [JSON.stringify(ring), inspect(ring), String(ring), inspect({ nested: ring }, { depth: 5 })]) {
      expect(text).toContain('a');
      expect(text).not.toContain(KEY_A);
      expect(text).not.toContain(Buffer.alloc(32, 1).toString('hex'));
      expect(text).not.toMatch(/01 01 01/);
    }
  });

  it.each([
    ['an unknown field', `current: a\nkeys:\n  a: ${KEY_A}\nalgorithm: aes\n`, /: algorithm: unknown field/],
    [
      'a key of 16 bytes',
      `current: a\nkeys:\n  a: ${Buffer.alloc(16).toString('base64')}\n`,
      /: keys\.a: expected 32 bytes in base64.*found 16 bytes/,
    ],
    ['a key of 33 bytes', `current: a\nkeys:\n  a: ${Buffer.alloc(33).toString('base64')}\n`, /: keys\.a: .*found 33 bytes/],
    ['a key that is not base64', `current: a\nkeys:\n  a: "not a key!"\n`, /: keys\.a: expected 32 bytes in base64/],
    ['a key that is a number', `current: a\nkeys:\n  a: 12\n`, /: keys\.a: expected 32 bytes/],
    ['a current id not in keys', `current: c\nkeys:\n  a: ${KEY_A}\n`, /: current: "c" is not one of keys \(a\)/],
    ['no current', `keys:\n  a: ${KEY_A}\n`, /: current: expected a key id/],
    ['no keys', `current: a\n`, /: keys: expected a mapping/],
    ['empty keys', `current: a\nkeys: {}\n`, /: keys: expected a mapping/],
    ['a bad key id', `current: a\nkeys:\n  a: ${KEY_A}\n  "a b": ${KEY_B}\n`, /: keys\."a b": not a key id/],
    ['a key id too long', `current: a\nkeys:\n  a: ${KEY_A}\n  ${'x'.repeat(65)}: ${KEY_B}\n`, /not a key id/],
    ['a list', `- a\n`, /: file: expected a mapping/],
    ['invalid YAML', `current: [a\n`, /: file: not valid YAML or JSON/],
    ['a duplicate key id', `current: a\nkeys:\n  a: ${KEY_A}\n  a: ${KEY_B}\n`, /: file: not valid YAML or JSON/],
  ])('refuses %s, naming the file and the field', (_, text, message) => {
    const file = keyFile(text);
    const error = errorOf(file);
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(`${file}: `)).toBe(true);
    expect(error.message).toContain('REMEDIATE_ENCRYPTION_KEYS_FILE');
    expect(error.message).not.toContain(KEY_B);
  });

  it.each([0o640, 0o604, 0o644, 0o660])('refuses a file of mode %s (readable by group or others)', (mode) => {
    const file = keyFile(`current: a\nkeys:\n  a: ${KEY_A}\n`, mode);
    expect(errorOf(file).message).toMatch(
      new RegExp(`^${file}: file: readable by group or others \\(mode ${mode.toString(8)}\\); make it private with chmod 600`),
    );
  });

  it('refuses a missing file and a folder', () => {
    expect(errorOf(join(dir, 'absent.yaml')).message).toMatch(/absent\.yaml: file: cannot read it \(ENOENT\)/);
    expect(errorOf(dir).message).toMatch(/: file: not a regular file/);
  });
});
