/**
 * The demo's approver: an ed25519 key for the person running it, made once with ssh-keygen in the
 * demo's data folder and trusted by the demo's own operator policy (allowed_signers names it
 * `alice`, the demo runbook's approver). Approving INC003 is then `remediate approve ... --key`, or
 * the approvals page: the policy's gateway `approvals-web` (a key of its own, vouching for alice)
 * signs for alice once she signs in with the password the demo writes beside the key.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { hashPassword } from '../approvals/web/passwords';

export const DEMO_APPROVER = 'alice';
/** The approvals page's gateway principal in the demo's policy. */
export const DEMO_GATEWAY = 'approvals-web';

export interface DemoApprover {
  principal: string;
  keyPath: string;
  policyFile: string;
  /** The bearer token of the policy's `alertmanager` intake source (0600; the policy holds its sha256). */
  alertmanagerTokenFile: string;
  /** The approver's approvals-page password (0600; the policy holds its scrypt hash). */
  pagePasswordFile: string;
}

/** The alert the demo's Prometheus raises over the worker's CPU, and the policy rule that maps it to high_cpu. */
export const DEMO_ALERT = 'WorkerCpuHigh';

export async function prepareDemoApprover(dataDir: string): Promise<DemoApprover> {
  const dir = join(dataDir, 'operator');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, 'approver_ed25519');
  const gatewayKeyPath = join(dir, 'approvals-web_ed25519');
  const approverKey = await ensureKey(keyPath, `${DEMO_APPROVER} (remediate demo)`);
  const gatewayKey = await ensureKey(gatewayKeyPath, `${DEMO_GATEWAY} (remediate demo)`);
  writeFileSync(
    join(dir, 'allowed_signers'),
    [
      "# The demo's approver and its approvals page's gateway; the operator lists each signer's key like this.",
      `${DEMO_APPROVER} namespaces="remediate" ${approverKey}`,
      `${DEMO_GATEWAY} namespaces="remediate" ${gatewayKey}`,
      '',
    ].join('\n'),
  );
  const policyFile = join(dir, 'policy.yaml');
  const alertmanagerTokenFile = join(dir, 'alertmanager.token');
  const token = randomBytes(32).toString('hex');
  writeFileSync(alertmanagerTokenFile, token, { mode: 0o600 });
  const pagePasswordFile = join(dir, `${DEMO_APPROVER}.password`);
  if (!existsSync(pagePasswordFile)) writeFileSync(pagePasswordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  const passwordHash = await hashPassword(readFileSync(pagePasswordFile, 'utf8').trim());
  writeFileSync(
    policyFile,
    stringify({
      allowed_signers: './allowed_signers',
      statement_max_age_minutes: 15,
      ...intakeSection(token),
      ...approvalsPageSection(gatewayKeyPath, passwordHash),
    }),
  );
  return { principal: DEMO_APPROVER, keyPath, policyFile, alertmanagerTokenFile, pagePasswordFile };
}

/** An ed25519 key made once with ssh-keygen; its public half as allowed_signers names it. */
async function ensureKey(path: string, comment: string): Promise<string> {
  if (!existsSync(path)) {
    await promisify(execFile)(process.env.REMEDIATE_SSH_KEYGEN_PATH ?? 'ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      comment,
      '-f',
      path,
    ]);
  }
  return readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

/** serve's approvals page: its gateway vouches only for the demo's approver, who signs in with a password. */
function approvalsPageSection(gatewayKeyPath: string, passwordHash: string) {
  return {
    gateways: [{ principal: DEMO_GATEWAY, vouches_for: [DEMO_APPROVER] }],
    approvals_page: {
      gateway: { principal: DEMO_GATEWAY, signing_key_file: gatewayKeyPath },
      users: { [DEMO_APPROVER]: { password_scrypt: passwordHash } },
    },
  };
}

/** serve's intake on a free loopback port, one source (Alertmanager), and the rule that maps the worker's CPU alert. */
function intakeSection(token: string) {
  return {
    intake: {
      listen: '127.0.0.1:0',
      sources: { alertmanager: { token_sha256: createHash('sha256').update(token).digest('hex'), routes: ['alertmanager'] } },
    },
    alertmanager: {
      rules: [
        {
          name: 'worker-cpu',
          match: { alertname: DEMO_ALERT },
          root_cause: 'high_cpu',
          service: { label: 'deployment' },
          // scale-up's minimum is 0.7: the alert is the evidence.
          confidence: { default: 0.8 },
          context: {
            deployment: { label: 'deployment', type: 'dns_subdomain' },
            namespace: { label: 'namespace', type: 'dns_label' },
            new_replicas: { annotation: 'new_replicas', type: 'int' },
          },
        },
      ],
    },
  };
}
