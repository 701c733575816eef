import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  base64Decode,
  base64DecodeStrict,
  base64Encode,
  bytesOf,
  fingerprint,
  parsePublicKey,
  parseSignature,
  verifySignature,
} from '../../dsl/trust/sshsig';
import { SSH_KEYGEN, sshKeygenKey, sshKeygenVerify, testKey, type SshKeygenKey } from '../harness/ssh-keys';

const STATEMENT = '{"kind":"remediate.approval","note":"ünïcödé ✓","version":1}';

let dir: string;
let alice: SshKeygenKey;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remediate-sshsig-'));
  alice = await sshKeygenKey(dir, 'alice');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function verifies(armored: string, message: string, namespace = 'remediate'): { ok: boolean; error?: string } {
  const parsed = parseSignature(armored);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  const verified = verifySignature(parsed.value, bytesOf(message), namespace);
  return verified.ok ? { ok: true } : { ok: false, error: verified.error };
}

/** Re-armors a signature whose decoded envelope has been changed by `edit`. */
function tamper(armored: string, edit: (envelope: Buffer) => void): string {
  const body = armored.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const envelope = Buffer.from(body, 'base64');
  edit(envelope);
  return `-----BEGIN SSH SIGNATURE-----\n${(envelope.toString('base64').match(/.{1,70}/g) ?? []).join('\n')}\n-----END SSH SIGNATURE-----\n`;
}

describe('signatures made by the real ssh-keygen -Y sign', () => {
  it('verify over the exact bytes that were signed, naming the signing key', async () => {
    const signature = await alice.sign(STATEMENT);
    const parsed = parseSignature(signature);
    expect(parsed).toMatchObject({ ok: true, value: { publicKey: alice.publicKey, namespace: 'remediate', hashAlgorithm: 'sha512' } });
    expect(verifies(signature, STATEMENT)).toEqual({ ok: true });
  });

  it('verify with -O hashalg=sha256 too', async () => {
    const signature = await alice.sign(STATEMENT, 'remediate', 'sha256');
    expect(parseSignature(signature)).toMatchObject({ ok: true, value: { hashAlgorithm: 'sha256' } });
    expect(verifies(signature, STATEMENT)).toEqual({ ok: true });
  });

  it('are refused for another message: a changed character, an added newline', async () => {
    const signature = await alice.sign(STATEMENT);
    expect(verifies(signature, STATEMENT.replace('1', '2'))).toEqual({ ok: false, error: 'the signature does not match the statement' });
    expect(verifies(signature, `${STATEMENT}\n`).ok).toBe(false);
  });

  it('are refused in another namespace (ssh-keygen -Y sign -n other)', async () => {
    const signature = await alice.sign(STATEMENT, 'other');
    expect(verifies(signature, STATEMENT)).toEqual({ ok: false, error: 'signed for namespace "other", not "remediate"' });
    expect(verifies(signature, STATEMENT, 'other')).toEqual({ ok: true });
  });

  it('are refused after any single-bit change anywhere in the signature', async () => {
    const signature = await alice.sign(STATEMENT);
    const length = Buffer.from(signature.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64').length;
    for (let at = 0; at < length; at++) {
      for (const bit of [0x01, 0x80]) {
        const changed = tamper(signature, (envelope) => {
          envelope[at] = envelope[at]! ^ bit;
        });
        expect(verifies(changed, STATEMENT).ok, `byte ${at} ^ ${bit}`).toBe(false);
      }
    }
  });

  it('have the fingerprint ssh-keygen -l prints', () => {
    const printed = execFileSync(SSH_KEYGEN, ['-l', '-f', `${alice.privateKeyPath}.pub`], { encoding: 'utf8' }).split(' ')[1];
    expect(fingerprint(alice.publicKey)).toBe(printed);
  });
});

describe('the test signer', () => {
  it('writes byte-for-byte what ssh-keygen -Y sign writes with the same key', async () => {
    const same = testKey('alice', alice.seed);
    expect(same.publicKey).toBe(alice.publicKey);
    expect(same.sign(STATEMENT)).toBe(await alice.sign(STATEMENT));
    expect(same.sign(STATEMENT, 'other')).toBe(await alice.sign(STATEMENT, 'other'));
  });

  it('makes signatures the real ssh-keygen -Y verify accepts, and only for the signed message', async () => {
    const bob = testKey('bob');
    const signature = bob.sign(STATEMENT);
    const good = await sshKeygenVerify({
      dir,
      allowedSigners: `${bob.allowedSignersLine}\n`,
      principal: 'bob',
      message: STATEMENT,
      signature,
    });
    expect(good.output).toContain('Good "remediate" signature for bob');
    expect(good.ok).toBe(true);
    const tampered = await sshKeygenVerify({
      dir,
      allowedSigners: `${bob.allowedSignersLine}\n`,
      principal: 'bob',
      message: `${STATEMENT} `,
      signature,
    });
    expect(tampered.ok).toBe(false);
    const otherNamespace = await sshKeygenVerify({
      dir,
      allowedSigners: `${bob.allowedSignersLine}\n`,
      principal: 'bob',
      message: STATEMENT,
      signature,
      namespace: 'git',
    });
    expect(otherNamespace.ok).toBe(false);
  });

  it('signatures verify here for any text', () => {
    const carol = testKey('carol');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        expect(verifies(carol.sign(text), text)).toEqual({ ok: true });
      }),
      { numRuns: 50 },
    );
  });
});

describe('parseSignature refuses what is not an ed25519 SSHSIG', () => {
  const good = testKey('dave').sign(STATEMENT);

  it.each([
    ['empty', '', /armor/],
    ['a PGP signature', '-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----', /armor/],
    ['not base64', '-----BEGIN SSH SIGNATURE-----\n!!!!\n-----END SSH SIGNATURE-----', /not base64/],
    ['badly padded base64', '-----BEGIN SSH SIGNATURE-----\nU1NIU0lHA\n-----END SSH SIGNATURE-----', /not base64/],
    ['truncated', good.slice(0, 120) + '\n-----END SSH SIGNATURE-----', /./],
  ])('%s', (_name, armored, error) => {
    const parsed = parseSignature(armored);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(error);
  });

  it('trailing bytes after the signature', () => {
    const envelope = Buffer.concat([Buffer.from(good.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64'), Buffer.from([0])]);
    const armored = `-----BEGIN SSH SIGNATURE-----\n${envelope.toString('base64')}\n-----END SSH SIGNATURE-----`;
    expect(parseSignature(armored)).toEqual({ ok: false, error: 'the signature blob is truncated or has trailing bytes' });
  });

  it('accepts the armor with CRLF line ends and surrounding whitespace', () => {
    expect(verifies(`\n  ${good.replace(/\n/g, '\r\n')}  \n`, STATEMENT)).toEqual({ ok: true });
  });
});

describe('public keys', () => {
  const key = testKey('erin');

  it('parse to their canonical form and keep their fingerprint', () => {
    expect(parsePublicKey(`  ${key.publicKey}  `)).toMatchObject({ ok: true, value: { publicKey: key.publicKey } });
    const blob = Buffer.from(key.publicKey.split(' ')[1]!, 'base64');
    expect(fingerprint(key.publicKey)).toBe(`SHA256:${createHashBase64(blob)}`);
  });

  it.each([
    ['an rsa key', 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7', /only ssh-ed25519/],
    ['no base64', 'ssh-ed25519', /expected ssh-ed25519/],
    ['garbage base64', 'ssh-ed25519 @@@@', /not base64/],
    ['a comment', `${'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII5IiHcRho8A9+hnYYM8Ax82Cwaj+94vq4J6/SOh4ygE'} alice`, /expected ssh-ed25519/],
    [
      'a blob of another type under the ssh-ed25519 label',
      `ssh-ed25519 ${Buffer.concat([sshString('ssh-rsa'), sshString(Buffer.alloc(32))]).toString('base64')}`,
      /only ssh-ed25519/,
    ],
    [
      'a short key',
      `ssh-ed25519 ${Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.alloc(31))]).toString('base64')}`,
      /malformed/,
    ],
  ])('refuse %s', (_name, text, error) => {
    const parsed = parsePublicKey(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(error);
  });
});

describe('base64', () => {
  it('agrees with Buffer both ways', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const encoded = base64Encode(bytes);
        expect(encoded).toBe(Buffer.from(bytes).toString('base64'));
        expect(Buffer.from(base64Decode(encoded))).toEqual(Buffer.from(bytes));
        expect(Buffer.from(base64DecodeStrict(encoded)!)).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('strict decoding refuses what is not padded base64', () => {
    for (const text of ['A', 'AB', 'ABC', 'AB=C', 'AB C', 'A===', 'ABCD=']) expect(base64DecodeStrict(text), text).toBeUndefined();
  });
});

function createHashBase64(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64').replace(/=+$/, '');
}

function sshString(data: string | Buffer): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}
