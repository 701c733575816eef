/**
 * The operator policy a submission carries, from the environment:
 *   REMEDIATE_APPROVERS        alice,bob            approvers for runbooks that name none
 *   REMEDIATE_APPROVER_GROUPS  sre=alice,bob;dba=carol   members of `group:NAME`
 *   REMEDIATE_WEB_UI_URL       http://127.0.0.1:8233     links in notifications
 */
import type { OperatorPolicy } from '../workflows/types';
import { defaultPolicy } from './submit';

export class PolicyEnvError extends Error {
  override readonly name = 'PolicyEnvError';
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
  }
}

function names(list: string): string[] {
  return list
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
}

export function parseApproverGroups(raw: string): Record<string, string[]> {
  const groups: Record<string, string[]> = {};
  for (const entry of raw.split(';').map((e) => e.trim()).filter(Boolean)) {
    const match = /^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/.exec(entry);
    if (!match) throw new PolicyEnvError('REMEDIATE_APPROVER_GROUPS', `expected GROUP=name,name;... but found "${entry}"`);
    const members = names(match[2]!);
    if (members.length === 0) throw new PolicyEnvError('REMEDIATE_APPROVER_GROUPS', `group ${match[1]} has no members`);
    groups[match[1]!] = members;
  }
  return groups;
}

export function policyFromEnv(namespace: string, env: NodeJS.ProcessEnv = process.env): OperatorPolicy {
  const webUiUrl = env.REMEDIATE_WEB_UI_URL?.trim();
  if (webUiUrl && !URL.canParse(webUiUrl)) throw new PolicyEnvError('REMEDIATE_WEB_UI_URL', `not a URL: ${webUiUrl}`);
  return defaultPolicy({
    namespace,
    defaultApprovers: names(env.REMEDIATE_APPROVERS ?? ''),
    approverGroups: parseApproverGroups(env.REMEDIATE_APPROVER_GROUPS ?? ''),
    ...(webUiUrl ? { webUiUrl: webUiUrl.replace(/\/+$/, '') } : {}),
  });
}
