/**
 * SSH keys for tests: in-process ed25519 keys (toolchain/ssh-test-key.ts, shared with the benchmark)
 * and real keys made and used by the real ssh-keygen.
 */
import { spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { approvalStatementText, submissionStatementText } from '../../dsl/trust/statement';
import type { ApprovalStatement, SignedStatement, SubmissionStatement } from '../../dsl/trust/types';
import type { TestKey } from '../../toolchain/ssh-test-key';

export { testKey, type TestKey } from '../../toolchain/ssh-test-key';

export const SSH_KEYGEN = '/usr/bin/ssh-keygen';

export interface SshKeygenKey {
  principal: string;
  privateKeyPath: string;
  publicKey: string;
  allowedSignersLine: string;
  /** The private key's 32-byte seed, read from the OpenSSH key file. */
  seed: Uint8Array;
  /** Runs `ssh-keygen -Y sign -n NAMESPACE [-O hashalg=…] -f privateKeyPath` and returns the `.sig` text. */
  sign(text: string, namespace?: string, hashAlgorithm?: 'sha512' | 'sha256'): Promise<string>;
}

let signCount = 0;

/** A real key, made by the real ssh-keygen in `dir` (the caller's temporary directory). */
export async function sshKeygenKey(dir: string, principal: string): Promise<SshKeygenKey> {
  const privateKeyPath = join(dir, principal);
  await run(['-q', '-t', 'ed25519', '-N', '', '-C', principal, '-f', privateKeyPath]);
  const [keyType, keyText] = (await readFile(`${privateKeyPath}.pub`, 'utf8')).trim().split(/\s+/);
  const publicKey = `${keyType} ${keyText}`;
  return {
    principal,
    privateKeyPath,
    publicKey,
    allowedSignersLine: `${principal} ${publicKey}`,
    seed: seedOf(await readFile(privateKeyPath, 'utf8')),
    async sign(text, namespace = 'remediate', hashAlgorithm) {
      const file = join(dir, `statement-${process.pid}-${++signCount}`);
      await writeFile(file, text);
      try {
        await run([
          '-q',
          '-Y',
          'sign',
          '-n',
          namespace,
          ...(hashAlgorithm ? ['-O', `hashalg=${hashAlgorithm}`] : []),
          '-f',
          privateKeyPath,
          file,
        ]);
        return await readFile(`${file}.sig`, 'utf8');
      } finally {
        await rm(file, { force: true });
        await rm(`${file}.sig`, { force: true });
      }
    },
  };
}

/** The ed25519 seed in an unencrypted openssh-key-v1 private key file (PROTOCOL.key). */
function seedOf(pem: string): Uint8Array {
  const body = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
  let at = 'openssh-key-v1\0'.length;
  const next = (): Buffer => {
    const n = body.readUInt32BE(at);
    const out = body.subarray(at + 4, at + 4 + n);
    at += 4 + n;
    return out;
  };
  const cipher = next().toString();
  if (cipher !== 'none') throw new Error(`the test key is encrypted (${cipher})`);
  next(); // kdf name
  next(); // kdf options
  at += 4; // number of keys: one
  next(); // public key
  const secret = next();
  let inner = 8; // two check integers
  const innerNext = (): Buffer => {
    const n = secret.readUInt32BE(inner);
    const out = secret.subarray(inner + 4, inner + 4 + n);
    inner += 4 + n;
    return out;
  };
  innerNext(); // key type
  innerNext(); // public key
  return new Uint8Array(innerNext().subarray(0, 32)); // seed || public key
}

/** `ssh-keygen -Y verify -f allowed_signers -I principal -n namespace -s sig < message`. */
export async function sshKeygenVerify(options: {
  dir: string;
  allowedSigners: string;
  principal: string;
  message: string;
  signature: string;
  namespace?: string;
}): Promise<{ ok: boolean; output: string }> {
  const id = `${process.pid}-${++signCount}`;
  const signersFile = join(options.dir, `allowed_signers-${id}`);
  const sigFile = join(options.dir, `verify-${id}.sig`);
  await writeFile(signersFile, options.allowedSigners);
  await writeFile(sigFile, options.signature);
  try {
    const result = await runWithInput(
      ['-Y', 'verify', '-f', signersFile, '-I', options.principal, '-n', options.namespace ?? 'remediate', '-s', sigFile],
      options.message,
    );
    return { ok: result.code === 0, output: result.output };
  } finally {
    await rm(signersFile, { force: true });
    await rm(sigFile, { force: true });
  }
}

async function run(args: string[]): Promise<void> {
  const result = await runWithInput(args, '');
  if (result.code !== 0) throw new Error(`ssh-keygen ${args.join(' ')} failed (${result.code}): ${result.output}`);
}

function runWithInput(args: string[], input: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(SSH_KEYGEN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    // ssh-keygen may exit (refusing a signature) before it reads its input: that is its answer, not an error.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.stdin.end(input);
  });
}

type ApprovalFields = Partial<ApprovalStatement> & Pick<ApprovalStatement, 'incidentId' | 'workflowId' | 'runId' | 'planHash' | 'at'>;

/** An approval statement with remediate's defaults (approve, empty reason) filled in. */
export function approvalStatement(fields: ApprovalFields): ApprovalStatement {
  return { kind: 'remediate.approval', version: 1, verdict: 'approve', reason: '', ...fields };
}

/** A signed approval, as the CLI would send it. */
export function signedApproval(key: Pick<TestKey, 'sign'>, fields: ApprovalFields): SignedStatement {
  const statement = approvalStatementText(approvalStatement(fields));
  return { statement, signature: key.sign(statement) };
}

/** A signed submission, as the CLI would send it. */
export function signedSubmission(key: Pick<TestKey, 'sign'>, fields: Omit<SubmissionStatement, 'kind' | 'version'>): SignedStatement {
  const statement = submissionStatementText({ kind: 'remediate.submission', version: 1, ...fields });
  return { statement, signature: key.sign(statement) };
}
