/**
 * The demo's approver: an ed25519 key for the person running it, made once with ssh-keygen in the
 * demo's data folder and trusted by the demo's own operator policy (allowed_signers names it
 * `alice`, the demo runbook's approver). Approving INC003 is then `remediate approve ... --key`.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';

export const DEMO_APPROVER = 'alice';

export interface DemoApprover {
  principal: string;
  keyPath: string;
  policyFile: string;
  /** The bearer token of the policy's `alertmanager` intake source (0600; the policy holds its sha256). */
  alertmanagerTokenFile: string;
}

/** The alert the demo's Prometheus raises over the worker's CPU, and the policy rule that maps it to high_cpu. */
export const DEMO_ALERT = 'WorkerCpuHigh';

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
  const alertmanagerTokenFile = join(dir, 'alertmanager.token');
  const token = randomBytes(32).toString('hex');
  writeFileSync(alertmanagerTokenFile, token, { mode: 0o600 });
  writeFileSync(policyFile, stringify({ allowed_signers: './allowed_signers', statement_max_age_minutes: 15, ...intakeSection(token) }));
  return { principal: DEMO_APPROVER, keyPath, policyFile, alertmanagerTokenFile };
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
