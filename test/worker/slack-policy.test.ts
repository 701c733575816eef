import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseOperatorPolicy, PolicyFileError } from '../../worker/operator-policy';

const FIXTURES = fileURLToPath(new URL('./fixtures/operator-policy/', import.meta.url));
const SIGNERS_TEXT = readFileSync(`${FIXTURES}allowed_signers`, 'utf8');
const FILE = 'conf/policy.yaml';
const SECRET = 'slack-signing-secret-0123456789';
const TOKEN = 'xoxb-not-a-real-token-42';

const files: Record<string, string> = {
  'conf/allowed_signers': SIGNERS_TEXT,
  'conf/slack/signing-secret': `${SECRET}\n`,
  'conf/slack/bot-token': TOKEN,
};
const readFile = (path: string) => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return text;
};

const base = (slack: string) =>
  [
    'allowed_signers: ./allowed_signers',
    'gateways:',
    '  - { principal: approvals-web, vouches_for: [alice] }',
    'slack:',
    '  signing_secret_file: slack/signing-secret',
    '  bot_token_file: slack/bot-token',
    '  channel: C0123ABCD',
    slack,
  ].join('\n');

function errorsOf(text: string) {
  try {
    parseOperatorPolicy(FILE, text, readFile);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyFileError);
    return (error as PolicyFileError).errors;
  }
  throw new Error('expected the policy to be refused');
}

describe('the slack policy section', () => {
  it('reads the secrets from files, resolves paths and keeps the user mapping in a Map', () => {
    const policy = parseOperatorPolicy(
      FILE,
      base('  gateway: { principal: approvals-web, signing_key_file: keys/gw }\n  users: { U0ALICE: alice }\n'),
      readFile,
    );
    const slack = policy.slack!;
    expect(slack.signingSecret.reveal()).toBe(SECRET);
    expect(slack.botToken.reveal()).toBe(TOKEN);
    expect(slack.apiUrl).toBe('https://slack.com/api');
    expect(slack.gateway).toEqual({ principal: 'approvals-web', signingKeyFile: 'conf/keys/gw' });
    expect(slack.users.get('U0ALICE')).toBe('alice');
    expect(slack.users.get('constructor')).toBeUndefined();
    // The secrets never print.
    const shown = `${inspect(policy, { depth: 10 })}${JSON.stringify(policy)}`;
    expect(shown).not.toContain(SECRET);
    expect(shown).not.toContain(TOKEN);
  });

  it('refuses a gateway that is not one of the policy gateways, at its line', () => {
    const [error, ...rest] = errorsOf(base('  gateway: { principal: slack-app, signing_key_file: gw }\n'));
    expect(rest).toEqual([]);
    expect(error).toMatchObject({ line: 8, path: 'slack.gateway.principal' });
    expect(error!.message).toContain("not one of the policy's gateways");
  });

  it('refuses a user the gateway does not vouch for, unknown keys and bad user ids', () => {
    const errors = errorsOf(base('  gateway: { principal: approvals-web, signing_key_file: gw }\n  users: { U0BOB: bob }\n'));
    expect(errors).toMatchObject([{ path: 'slack.users.U0BOB' }]);
    expect(errorsOf(base('  gateway: { principal: approvals-web, signing_key_file: gw }\n  chanel: x\n'))[0]!.path).toContain('slack');
    expect(
      errorsOf(base('  gateway: { principal: approvals-web, signing_key_file: gw }\n  users: { alice: alice }\n'))[0]!.message,
    ).toContain('Slack user id');
  });

  it('names an unreadable secret file, never a secret', () => {
    delete files['conf/slack/bot-token'];
    try {
      const [error] = errorsOf(base('  gateway: { principal: approvals-web, signing_key_file: gw }\n'));
      expect(error).toMatchObject({ path: 'slack.bot_token_file' });
      expect(error!.message).toContain('conf/slack/bot-token');
    } finally {
      files['conf/slack/bot-token'] = TOKEN;
    }
  });
});
