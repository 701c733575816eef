/** The `approvals_page` policy section: strict, located errors; defaults; the gateway must be a `gateways` entry. */
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../../approvals/web/passwords';
import { parseOperatorPolicy, PolicyFileError } from '../../worker/operator-policy';

const SIGNERS = 'approvals-web ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n';

function parse(text: string) {
  return parseOperatorPolicy('/etc/remediate/policy.yaml', text, () => SIGNERS, {});
}

function errorOf(text: string): string {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof PolicyFileError) return error.message;
    throw error;
  }
  throw new Error('expected a PolicyFileError');
}

const HEAD = ['allowed_signers: signers', 'gateways:', '  - { principal: approvals-web, vouches_for: [alice, bob] }'];

describe('approvals_page', () => {
  it('reads the gateway, users (principal defaulting to the name) and session length', async () => {
    const hash = await hashPassword('pw-alice-1', { N: 1024, r: 8, p: 1 });
    const policy = parse(
      [
        ...HEAD,
        'approvals_page:',
        '  gateway: { principal: approvals-web, signing_key_file: keys/web }',
        '  users:',
        `    alice: { password_scrypt: "${hash}" }`,
        `    bobby: { password_scrypt: "${hash}", principal: bob }`,
      ].join('\n'),
    );
    const page = policy.approvalsPage;
    expect(page?.gateway).toEqual({ principal: 'approvals-web', signingKeyFile: '/etc/remediate/keys/web' });
    expect(page?.users.get('alice')?.principal).toBe('alice');
    expect(page?.users.get('bobby')?.principal).toBe('bob');
    expect(page?.users.get('constructor')).toBeUndefined();
    expect(page?.sessionMinutes).toBe(60);
  });

  it('local users beside oidc are an error at users: sign-in goes through the provider only', async () => {
    const hash = await hashPassword('pw-alice-1', { N: 1024, r: 8, p: 1 });
    const message = errorOf(
      [
        ...HEAD,
        'approvals_page:',
        '  gateway: { principal: approvals-web, signing_key_file: k }',
        '  users:',
        `    alice: { password_scrypt: "${hash}" }`,
        '  oidc:',
        '    issuer: https://login.example.com',
        '    client_id: remediate',
        '    client_secret_file: /nonexistent/secret',
        '    redirect_url: https://remediate.example.com/login/oidc/callback',
        '    principals: { alice@example.com: alice }',
      ].join('\n'),
    );
    expect(message).toMatch(/policy\.yaml:7:\d+: approvals_page\.users: local users are not signed in when approvals_page\.oidc is set/);
  });

  it('no section: no page', () => {
    expect(parse(HEAD.join('\n')).approvalsPage).toBeUndefined();
  });

  it('a gateway principal that is not under gateways is an error at its line and column', () => {
    const message = errorOf([...HEAD, 'approvals_page:', '  gateway: { principal: nobody, signing_key_file: k }'].join('\n'));
    expect(message).toMatch(/policy\.yaml:5:\d+: approvals_page\.gateway\.principal: "nobody" must be a principal under gateways/);
    expect(message).toContain('approvals-web');
  });

  it('a password that is not a hash is an error naming the field, and does not echo it', () => {
    const message = errorOf(
      [
        ...HEAD,
        'approvals_page:',
        '  gateway: { principal: approvals-web, signing_key_file: k }',
        '  users:',
        '    alice: { password_scrypt: hunter2 }',
      ].join('\n'),
    );
    expect(message).toMatch(
      /policy\.yaml:7:\d+: approvals_page\.users\.alice\.password_scrypt: expected a line printed by `remediate approvals hash-password`/,
    );
    expect(message).not.toContain('hunter2');
  });

  it('unknown keys and bad values are refused', () => {
    expect(
      errorOf(
        [...HEAD, 'approvals_page:', '  gateway: { principal: approvals-web, signing_key_file: k }', '  session_minute: 5'].join('\n'),
      ),
    ).toMatch(/policy\.yaml:6:\d+: .*session_minute/);
    expect(
      errorOf(
        [...HEAD, 'approvals_page:', '  gateway: { principal: approvals-web, signing_key_file: k }', '  session_minutes: 0'].join('\n'),
      ),
    ).toMatch(/policy\.yaml:6:\d+: approvals_page\.session_minutes/);
    expect(errorOf([...HEAD, 'approvals_page:', '  users: {}'].join('\n'))).toMatch(/approvals_page.*gateway/);
  });
});
