/**
 * An in-process ed25519 key whose signatures are byte-for-byte what `ssh-keygen -Y sign` writes, built
 * independently of dsl/trust (with Node's Buffer and hashes, so a shared mistake cannot hide). The
 * tests sign approvals with it, and so does the benchmark's approver: it lives here, not in test/harness/,
 * so bench/ does not depend on the tests.
 */
import { createHash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';

export interface TestKey {
  principal: string;
  /** `ssh-ed25519 BASE64`. */
  publicKey: string;
  /** `${principal} ${publicKey}`. */
  allowedSignersLine: string;
  seed: Uint8Array;
  /** An armored SSHSIG (sha512), exactly as `ssh-keygen -Y sign -n NAMESPACE` writes it. */
  sign(text: string, namespace?: string): string;
}

export function testKey(principal: string, seed: Uint8Array = ed25519.utils.randomSecretKey()): TestKey {
  const publicKeyBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(ed25519.getPublicKey(seed))]);
  const publicKey = `ssh-ed25519 ${publicKeyBlob.toString('base64')}`;
  return {
    principal,
    publicKey,
    allowedSignersLine: `${principal} ${publicKey}`,
    seed,
    sign(text, namespace = 'remediate') {
      const digest = createHash('sha512').update(text, 'utf8').digest();
      const signed = Buffer.concat([Buffer.from('SSHSIG'), sshString(namespace), sshString(''), sshString('sha512'), sshString(digest)]);
      const signatureBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(ed25519.sign(signed, seed))]);
      const envelope = Buffer.concat([
        Buffer.from('SSHSIG'),
        uint32(1),
        sshString(publicKeyBlob),
        sshString(namespace),
        sshString(''),
        sshString('sha512'),
        sshString(signatureBlob),
      ]);
      return armor(envelope);
    },
  };
}

/** PROTOCOL.sshsig's armor, as ssh-keygen writes it: base64 in 70-column lines, trailing newline. */
function armor(envelope: Buffer): string {
  const lines = envelope.toString('base64').match(/.{1,70}/g) ?? [];
  return ['-----BEGIN SSH SIGNATURE-----', ...lines, '-----END SSH SIGNATURE-----', ''].join('\n');
}

function uint32(n: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n);
  return out;
}

function sshString(data: string | Uint8Array): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  return Buffer.concat([uint32(bytes.length), bytes]);
}
