/**
 * The operator's payload encryption keys (docs/encryption.md): one current key that encrypts, and
 * older ones that still decrypt, so keys rotate without losing old histories. Read from the file
 * REMEDIATE_ENCRYPTION_KEYS_FILE names (YAML or JSON); without the variable, encryption is off.
 * The file is checked strictly, and the keys never leave this module in printable form.
 */
import { statSync, readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { parse } from 'yaml';
import { EXIT, UserFacingError } from '../dsl/user-facing-error';

export const KEYS_FILE_VARIABLE = 'REMEDIATE_ENCRYPTION_KEYS_FILE';
export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const KEY_BYTES = 32;
/** A key file is a few lines; anything larger is not one. */
const MAX_FILE_BYTES = 64 * 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The key file cannot be used: names the file and the field. */
export class KeyRingError extends UserFacingError {
  override readonly name = 'KeyRingError';
  readonly exitCode = EXIT.USAGE;
  constructor(file: string, field: string, problem: string) {
    super(`${file}: ${field}: ${problem} (the encryption key file named by ${KEYS_FILE_VARIABLE}; see docs/encryption.md)`);
  }
}

export class KeyRing {
  readonly #keys: ReadonlyMap<string, Buffer>;

  constructor(
    /** The key new payloads are encrypted with. */
    readonly currentId: string,
    keys: ReadonlyMap<string, Buffer>,
    /** Where the keys came from, for error messages. */
    readonly source: string,
  ) {
    if (!keys.has(currentId)) throw new KeyRingError(source, 'current', `"${currentId}" is not one of keys`);
    this.#keys = new Map(keys);
  }

  get ids(): string[] {
    return [...this.#keys.keys()];
  }

  key(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  current(): { id: string; key: Buffer } {
    return { id: this.currentId, key: this.#keys.get(this.currentId)! };
  }

  /** Never the key material, whichever way the ring is printed. */
  toJSON(): { current: string; keys: string[]; source: string } {
    return { current: this.currentId, keys: this.ids, source: this.source };
  }

  [inspect.custom](): string {
    return `KeyRing { current: ${this.currentId}, keys: [${this.ids.join(', ')}] (redacted), source: ${this.source} }`;
  }

  toString(): string {
    return this[inspect.custom]();
  }
}

/** The key ring the environment configures, or undefined when encryption is off. */
export function keyRingFromEnvironment(env: NodeJS.ProcessEnv = process.env): KeyRing | undefined {
  const file = env[KEYS_FILE_VARIABLE];
  if (file === undefined || file === '') return undefined;
  return readKeyRing(file);
}

export function readKeyRing(file: string): KeyRing {
  let info;
  try {
    info = statSync(file);
  } catch (error) {
    throw new KeyRingError(file, 'file', `cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (!info.isFile()) throw new KeyRingError(file, 'file', 'not a regular file');
  if (info.size > MAX_FILE_BYTES) throw new KeyRingError(file, 'file', `larger than ${MAX_FILE_BYTES} bytes`);
  // POSIX modes only: on Windows the mode bits say nothing about who may read the file.
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0)
    throw new KeyRingError(
      file,
      'file',
      `readable by group or others (mode ${(info.mode & 0o777).toString(8)}); make it private with chmod 600`,
    );
  return parseKeyRing(readFileSync(file, 'utf8'), file);
}

/** The key file's text (YAML, which includes JSON), checked field by field. */
export function parseKeyRing(text: string, file: string): KeyRing {
  let raw: unknown;
  try {
    // Maps, not objects: a key id such as `__proto__` stays a key id.
    raw = parse(text, { uniqueKeys: true, strict: true, schema: 'core', maxAliasCount: 0, mapAsMap: true });
  } catch (error) {
    throw new KeyRingError(file, 'file', `not valid YAML or JSON (${(error as Error).message.split('\n')[0]})`);
  }
  if (!(raw instanceof Map)) throw new KeyRingError(file, 'file', 'expected a mapping with `current` and `keys`');
  for (const field of raw.keys())
    if (field !== 'current' && field !== 'keys')
      throw new KeyRingError(file, String(field), 'unknown field; expected only `current` and `keys`');
  const current: unknown = raw.get('current');
  if (typeof current !== 'string' || !KEY_ID_PATTERN.test(current))
    throw new KeyRingError(file, 'current', 'expected a key id (1 to 64 of A-Z a-z 0-9 . _ -)');
  const keys: unknown = raw.get('keys');
  if (!(keys instanceof Map) || keys.size === 0)
    throw new KeyRingError(file, 'keys', 'expected a mapping of key id to a base64 key of 32 bytes');
  const ring = new Map<string, Buffer>();
  for (const [id, value] of keys as Map<unknown, unknown>) {
    if (typeof id !== 'string' || !KEY_ID_PATTERN.test(id))
      throw new KeyRingError(file, `keys.${JSON.stringify(String(id)).slice(0, 80)}`, 'not a key id (1 to 64 of A-Z a-z 0-9 . _ -)');
    ring.set(id, decodeKey(value, file, id));
  }
  if (!ring.has(current)) throw new KeyRingError(file, 'current', `"${current}" is not one of keys (${[...ring.keys()].join(', ')})`);
  return new KeyRing(current, ring, file);
}

function decodeKey(value: unknown, file: string, id: string): Buffer {
  // The value is never echoed: a near-miss key is still mostly a key.
  const expected = `expected ${KEY_BYTES} bytes in base64 (\`openssl rand -base64 32\`)`;
  if (typeof value !== 'string' || !BASE64.test(value.trim())) throw new KeyRingError(file, `keys.${id}`, expected);
  const key = Buffer.from(value.trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new KeyRingError(file, `keys.${id}`, `${expected}, found ${key.length} bytes`);
  return key;
}
