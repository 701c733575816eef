/**
 * Signing statements with the user's own OpenSSH key: `ssh-keygen -Y sign -n remediate`, so a
 * passphrase-protected key or one held by ssh-agent works exactly as it does for git. The text
 * signed is the statement's canonical JSON; the workflow verifies those exact bytes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { approvalStatementText, incidentSha256, submissionStatementText } from '../dsl/trust/statement';
import { SIGNATURE_NAMESPACE, type ApprovalStatement, type SignedStatement, type SubmissionStatement } from '../dsl/trust/types';
import type { Incident } from '../dsl/types';
import { EXIT, UserFacingError } from '../dsl/user-facing-error';

/** The key cannot be used to sign (missing, unreadable, ssh-keygen refused it). */
export class SigningError extends UserFacingError {
  override readonly name = 'SigningError';
  readonly exitCode = EXIT.USAGE;
}

const SSH_KEYGEN = process.env.REMEDIATE_SSH_KEYGEN_PATH ?? 'ssh-keygen';

export async function sshSign(keyPath: string, text: string): Promise<string> {
  await stat(keyPath).catch(() => {
    throw new SigningError(`--key ${keyPath}: no such file (make one with: ssh-keygen -t ed25519 -f ${keyPath})`);
  });
  const dir = await mkdtemp(join(tmpdir(), 'remediate-sign-'));
  try {
    const file = join(dir, 'statement');
    await writeFile(file, text, { mode: 0o600 });
    await new Promise<void>((resolve, reject) => {
      execFile(
        SSH_KEYGEN,
        ['-q', '-Y', 'sign', '-n', SIGNATURE_NAMESPACE, '-f', keyPath, file],
        { timeout: 120_000 },
        (error, _stdout, stderr) => {
          if (!error) return resolve();
          const code = (error as NodeJS.ErrnoException).code;
          reject(
            new SigningError(
              code === 'ENOENT'
                ? `${SSH_KEYGEN} not found: install OpenSSH (openssh-client)`
                : `ssh-keygen could not sign with ${keyPath}: ${stderr.trim() || error.message}`,
            ),
          );
        },
      );
    });
    return await readFile(`${file}.sig`, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function signApproval(keyPath: string, statement: ApprovalStatement): Promise<SignedStatement> {
  const text = approvalStatementText(statement);
  return { statement: text, signature: await sshSign(keyPath, text) };
}

export async function signSubmission(keyPath: string, incident: Incident, at = new Date()): Promise<SignedStatement> {
  const statement: SubmissionStatement = {
    kind: 'remediate.submission',
    version: 1,
    incidentId: incident.id,
    incidentSha256: incidentSha256(incident),
    at: at.toISOString(),
  };
  const text = submissionStatementText(statement);
  return { statement: text, signature: await sshSign(keyPath, text) };
}
