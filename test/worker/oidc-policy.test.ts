/** The operator policy's approvals_page.oidc object (worker/oidc-policy.ts): strict, located errors, the secret never printed. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Diagnostics } from '../../dsl/diagnostics';
import { parseYaml } from '../../dsl/yaml-source';
import { parseOidcPolicy } from '../../worker/oidc-policy';

const SECRET = 'oidc-client-secret-do-not-print';
const dir = mkdtempSync(join(tmpdir(), 'oidc-policy-'));
const FILE = join(dir, 'policy.yaml');
writeFileSync(join(dir, 'oidc-secret'), `${SECRET}\n`);
writeFileSync(join(dir, 'empty-secret'), '\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GOOD = `approvals_page:
  oidc:
    issuer: https://login.example.com/realms/ops
    client_id: remediate-approvals
    client_secret_file: ./oidc-secret
    redirect_url: https://remediate.example.com/login/oidc/callback
    principals:
      alice@example.com: alice
      bob@example.com: bob
`;

function parse(text: string) {
  const parsed = parseYaml(text);
  if (!parsed.ok) throw new Error('test YAML does not parse');
  const diag = new Diagnostics(FILE, parsed.source);
  const root = parsed.value as { approvals_page: { oidc: unknown } };
  const policy = parseOidcPolicy(root.approvals_page.oidc, ['approvals_page', 'oidc'], FILE, diag);
  const errors = diag.errors.map((e) => `${e.line}:${e.column}: ${e.path}: ${e.message}`);
  for (const error of errors) expect(error).not.toContain(SECRET);
  return { policy, errors };
}

describe('approvals_page.oidc', () => {
  it('reads the provider, the client, its secret from a file next to the policy, and the claim mapping', () => {
    const { policy, errors } = parse(GOOD);
    expect(errors).toEqual([]);
    expect(policy).toMatchObject({
      issuer: 'https://login.example.com/realms/ops',
      clientId: 'remediate-approvals',
      clientSecret: SECRET,
      redirectUrl: 'https://remediate.example.com/login/oidc/callback',
      claim: 'email',
    });
    expect([...policy!.principals]).toEqual([
      ['alice@example.com', 'alice'],
      ['bob@example.com', 'bob'],
    ]);
  });

  it('never prints the client secret: not in JSON, inspect, or a spread copy', () => {
    const { policy } = parse(GOOD);
    for (const printed of [JSON.stringify(policy), inspect(policy, { depth: 5, showHidden: true }), inspect({ ...policy }), String(policy)])
      expect(printed).not.toContain(SECRET);
    expect(JSON.stringify(policy)).toContain('remediate-approvals');
  });

  it('takes plain http only on a loopback host', () => {
    const loopback = GOOD.replace('https://login.example.com/realms/ops', 'http://127.0.0.1:9000').replace(
      'https://remediate.example.com',
      'http://localhost:8080',
    );
    expect(parse(loopback).errors).toEqual([]);
    const { policy, errors } = parse(GOOD.replace('https://login.example.com', 'http://login.example.com'));
    expect(policy).toBeUndefined();
    expect(errors).toEqual([
      '3:13: approvals_page.oidc.issuer: "http://login.example.com/realms/ops" must be https:// (plain http:// only on a loopback host such as 127.0.0.1)',
    ]);
  });

  it('locates each mistake at its field: unknown key, bad claim, bad principal, wrong callback path, missing key', () => {
    const text = `approvals_page:
  oidc:
    issuer: https://login.example.com
    client_id: remediate-approvals
    client_secret_file: ./oidc-secret
    redirect_url: https://remediate.example.com/callback
    claim: "bad claim"
    scopes: [openid]
    principals:
      alice@example.com: "alice smith"
`;
    expect(parse(text).errors).toEqual([
      '8:5: approvals_page.oidc.scopes: unknown key "scopes"; expected one of issuer, client_id, client_secret_file, redirect_url, claim, principals',
      '6:19: approvals_page.oidc.redirect_url: expected the page\'s /login/oidc/callback as the provider knows it, found "https://remediate.example.com/callback"',
      '7:12: approvals_page.oidc.claim: expected the name of an ID-token claim such as email, preferred_username or sub, found "bad claim"',
      '10:26: approvals_page.oidc.principals.alice@example.com: expected a principal name (1-128 letters, digits or . _ @ + -), found "alice smith"',
    ]);
    const missing = parse('approvals_page:\n  oidc:\n    issuer: https://login.example.com\n');
    expect(missing.policy).toBeUndefined();
    expect(missing.errors).toEqual([
      '3:5: approvals_page.oidc: missing required key "client_id"',
      '3:5: approvals_page.oidc: missing required key "client_secret_file"',
      '3:5: approvals_page.oidc: missing required key "redirect_url"',
      '3:5: approvals_page.oidc: missing required key "principals"',
    ]);
  });

  it('names an unreadable or empty secret file without its content', () => {
    const unreadable = parse(GOOD.replace('./oidc-secret', './no-such-file'));
    expect(unreadable.errors).toEqual([
      `5:25: approvals_page.oidc.client_secret_file: cannot read the client secret file ${join(dir, 'no-such-file')}: ENOENT`,
    ]);
    const empty = parse(GOOD.replace('./oidc-secret', './empty-secret'));
    expect(empty.errors).toEqual([
      `5:25: approvals_page.oidc.client_secret_file: the client secret in ${join(dir, 'empty-secret')} is empty`,
    ]);
  });

  it('refuses an empty mapping: nobody could sign in', () => {
    expect(parse(GOOD.replace(/ {4}principals:[\s\S]*$/, '    principals: {}\n')).errors).toEqual([
      '7:17: approvals_page.oidc.principals: expected a mapping from claim values to principals, with at least one entry (nobody could sign in otherwise)',
    ]);
  });
});
