/**
 * The demo's approver: an ed25519 key for the person running it, made once with ssh-keygen in the
 * demo's data folder and trusted by the demo's own operator policy (allowed_signers names it
 * `alice`, the demo runbook's approver). Approving INC003 is then `remediate approve ... --key`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';

export const DEMO_APPROVER = 'alice';

export interface DemoApprover {
  principal: string;
  keyPath: string;
  policyFile: string;
}

export async function prepareDemoApprover(dataDir: string): Promise<DemoApprover> {
  const dir = join(dataDir, 'operator');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, 'approver_ed25519');
  if (!existsSync(keyPath)) {
    await promisify(execFile)(process.env.REMEDIATE_SSH_KEYGEN_PATH ?? 'ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      `${DEMO_APPROVER} (remediate demo)`,
      '-f',
      keyPath,
    ]);
  }
  const publicKey = readFileSync(`${keyPath}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  writeFileSync(
    join(dir, 'allowed_signers'),
    `# The demo's approver; the operator lists each approver's key like this.\n${DEMO_APPROVER} namespaces="remediate" ${publicKey}\n`,
  );
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, stringify({ allowed_signers: './allowed_signers', statement_max_age_minutes: 15 }));
  return { principal: DEMO_APPROVER, keyPath, policyFile };
}
