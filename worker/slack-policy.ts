/**
 * The `slack:` section of the operator policy (docs/slack.md): the Slack app's signing secret and bot
 * token (from files, read at load, held as Secrets that never print), the channel approval requests go
 * to, the Web API's base URL, the gateway the app signs as (a `gateways` entry of the same policy) and
 * which Slack user is which principal. Paths are relative to the policy file.
 */
import { dirname, isAbsolute, join } from 'node:path';
import type { Diagnostics } from '../dsl/diagnostics';
import type { ApprovalGateway } from '../dsl/trust/types';
import { Secret } from '../activities/prometheus-servers';
import type { RawOperatorPolicy } from './operator-policy-schema';

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api';

export interface SlackPolicy {
  signingSecret: Secret;
  botToken: Secret;
  channel: string;
  apiUrl: string;
  gateway: { principal: string; signingKeyFile: string };
  /** Slack user id to principal; a Map, so a user id called `constructor` finds nothing. */
  users: ReadonlyMap<string, string>;
}

interface Context {
  policyFile: string;
  readFile: (path: string) => string;
  gateways: readonly ApprovalGateway[];
}

export function slackPolicyOf(raw: RawOperatorPolicy, context: Context, diag: Diagnostics): SlackPolicy | undefined {
  const section = raw.slack;
  if (section === undefined) return undefined;
  const resolve = (path: string) => (isAbsolute(path) ? path : join(dirname(context.policyFile), path));
  const secret = (key: 'signing_secret_file' | 'bot_token_file', what: string) => {
    const file = resolve(section[key]);
    try {
      const text = context.readFile(file).trim();
      if (text === '') diag.error(['slack', key], `the ${what} file ${file} is empty`);
      return new Secret(text);
    } catch (error) {
      // The error names the file, never what is in it.
      diag.error(['slack', key], `cannot read the ${what} file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
      return new Secret('');
    }
  };
  const gateway = context.gateways.find((g) => g.principal === section.gateway.principal);
  if (!gateway) {
    const listed = context.gateways.map((g) => g.principal).join(', ') || 'none';
    diag.error(['slack', 'gateway', 'principal'], `"${section.gateway.principal}" is not one of the policy's gateways (listed: ${listed})`);
  }
  const users = new Map(Object.entries(section.users ?? {}));
  for (const [user, principal] of users) {
    if (gateway && !gateway.vouchesFor.includes(principal))
      diag.error(['slack', 'users', user], `gateway "${gateway.principal}" does not vouch for "${principal}" (gateways[].vouches_for)`);
  }
  return {
    signingSecret: secret('signing_secret_file', 'signing secret'),
    botToken: secret('bot_token_file', 'bot token'),
    channel: section.channel,
    apiUrl: (section.api_url ?? DEFAULT_SLACK_API_URL).replace(/\/+$/, ''),
    gateway: { principal: section.gateway.principal, signingKeyFile: resolve(section.gateway.signing_key_file) },
    users,
  };
}
