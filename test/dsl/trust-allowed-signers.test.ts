import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowedSigners, principalsFor, whyNoPrincipals } from '../../dsl/trust/allowed-signers';
import { sshKeygenVerify, testKey } from '../harness/ssh-keys';

const alice = testKey('alice');
const bob = testKey('bob');
const A = alice.publicKey;
const B = bob.publicKey;
const JAN_2025 = Date.UTC(2025, 0, 1);
const NS = 'remediate';

function only(text: string) {
  const parsed = parseAllowedSigners(text);
  expect(parsed.errors).toEqual([]);
  return parsed.signers;
}

function errorsOf(text: string) {
  const parsed = parseAllowedSigners(text);
  expect(parsed.signers).toEqual([]);
  return parsed.errors;
}

describe('parseAllowedSigners accepts', () => {
  it('one key a line, with comments, blank lines, CRLF and trailing key comments', () => {
    const signers = only(`# operators\n\n${alice.allowedSignersLine} alice@laptop\r\n   # indented comment\n  bob,carol ${B}\n`);
    expect(signers).toEqual([
      { principals: ['alice'], key: A, line: 3 },
      { principals: ['bob', 'carol'], key: B, line: 5 },
    ]);
  });

  it('quoted principals, as ssh-keygen does', () => {
    expect(only(`"alice,ops@example.com" ${A}`)[0]!.principals).toEqual(['alice', 'ops@example.com']);
  });

  it('the options namespaces, valid-after and valid-before, in any case', () => {
    const [signer] = only(`alice NAMESPACES="remediate,git",Valid-After="20250101Z",valid-before="20250201123045Z" ${A}`);
    expect(signer).toEqual({
      principals: ['alice'],
      key: A,
      namespaces: ['remediate', 'git'],
      validAfterMs: JAN_2025,
      validBeforeMs: Date.UTC(2025, 1, 1, 12, 30, 45),
      line: 1,
    });
  });
});

describe('parseAllowedSigners refuses, with line and column', () => {
  it.each([
    ['a principal pattern', `alice,*@example.com ${A}`, 1, 7, /principal patterns are not supported/],
    ['a negated principal', `!mallory ${A}`, 1, 1, /patterns/],
    ['a principal with a space in quotes', `"alice smith" ${A}`, 1, 2, /must be 1-128/],
    ['an rsa key', `alice ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 rsa`, 1, 7, /only ssh-ed25519 keys are accepted, not ssh-rsa/],
    ['an ecdsa key after options', `alice namespaces="remediate" ecdsa-sha2-nistp256 AAAA`, 1, 30, /not ecdsa-sha2-nistp256/],
    ['garbage', `this is not a key`, 1, 9, /expected the key type/],
    ['a lone word', `garbage`, 1, 8, /expected PRINCIPALS/],
    ['the key first', `${A} alice`, 1, 1, /put the principal/],
    ['a missing key', `alice namespaces="remediate"`, 1, 29, /no key/],
    ['a key type without the key', `alice ssh-ed25519`, 1, 18, /no key/],
    ['a corrupt key', `alice ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII5IiHcRho8`, 1, 19, /not an ssh-ed25519 public key/],
    ['an unknown option', `alice namespaces="remediate",cert-authority ${A}`, 1, 30, /option cert-authority is not supported/],
    ['an unknown option with a value', `alice principals="x" ${A}`, 1, 7, /option principals is not supported/],
    ['an unquoted value', `alice namespaces=remediate ${A}`, 1, 7, /double quotes/],
    ['a namespace pattern', `alice namespaces="rem*" ${A}`, 1, 7, /namespace patterns/],
    ['an option twice', `alice namespaces="a",namespaces="b" ${A}`, 1, 22, /given twice/],
    ['options separated by a space', `alice namespaces="remediate" valid-after="20250101Z" ${A}`, 1, 30, /one comma-separated list/],
    ['a local time (no Z)', `alice valid-after="20250101" ${A}`, 1, 7, /add Z/],
    ['an hour without minutes', `alice valid-before="2025010112Z" ${A}`, 1, 7, /YYYYMMDD/],
    ['February 30th', `alice valid-before="20250230Z" ${A}`, 1, 7, /not a valid date/],
    ['an interval that is never valid', `alice valid-after="20250201Z",valid-before="20250101Z" ${A}`, 1, 7, /never be valid/],
    ['an unterminated quote', `alice namespaces="remediate ${A}`, 1, 18, /unterminated quote/],
  ])('%s', (_name, text, line, column, message) => {
    const [error, ...more] = errorsOf(text);
    expect(more).toEqual([]);
    expect(error).toMatchObject({ line, column });
    expect(error!.message).toMatch(message);
  });

  it('reports every bad line and keeps the good ones', () => {
    const parsed = parseAllowedSigners(
      `${alice.allowedSignersLine}\n# fine\nbob ssh-rsa AAAA\n\n  carol,* ${B}\n${bob.allowedSignersLine}`,
    );
    expect(parsed.signers.map((s) => [s.line, s.principals])).toEqual([
      [1, ['alice']],
      [6, ['bob']],
    ]);
    expect(parsed.errors.map((e) => [e.line, e.column])).toEqual([
      [3, 5],
      [5, 9],
    ]);
  });
});

describe('principalsFor', () => {
  it('gives the principals of every line with the key, each once', () => {
    const signers = only(`alice ${A}\nalice,ops ${A}\nbob ${B}`);
    expect(principalsFor(signers, A, NS, JAN_2025)).toEqual(['alice', 'ops']);
    expect(principalsFor(signers, B, NS, JAN_2025)).toEqual(['bob']);
    expect(principalsFor(signers, testKey('mallory').publicKey, NS, JAN_2025)).toEqual([]);
    expect(principalsFor(signers, 'not a key', NS, JAN_2025)).toEqual([]);
  });

  it('honours namespaces', () => {
    const signers = only(`alice namespaces="git" ${A}\nalice-remediate namespaces="remediate,file" ${A}`);
    expect(principalsFor(signers, A, NS, JAN_2025)).toEqual(['alice-remediate']);
    expect(principalsFor(signers, A, 'git', JAN_2025)).toEqual(['alice']);
  });

  it('honours valid-after and valid-before as ssh-keygen does: whole seconds, both ends inclusive', () => {
    const signers = only(`alice valid-after="20250101Z",valid-before="20250201Z" ${A}`);
    const feb = Date.UTC(2025, 1, 1);
    expect(principalsFor(signers, A, NS, JAN_2025 - 1)).toEqual([]);
    expect(principalsFor(signers, A, NS, JAN_2025)).toEqual(['alice']);
    expect(principalsFor(signers, A, NS, feb + 999)).toEqual(['alice']);
    expect(principalsFor(signers, A, NS, feb + 1000)).toEqual([]);
  });

  it('explains why a key has no principals', () => {
    const signers = only(`alice namespaces="git" ${A}\nbob valid-after="20250101Z",valid-before="20250201Z" ${B}`);
    const mallory = testKey('mallory').publicKey;
    expect(whyNoPrincipals(signers, mallory, NS, JAN_2025)).toBe('is not in allowed_signers');
    expect(whyNoPrincipals(signers, A, NS, JAN_2025)).toBe('is in allowed_signers (line 1) but not for namespace "remediate"');
    expect(whyNoPrincipals(signers, B, NS, Date.UTC(2024, 5, 1))).toBe(
      'is in allowed_signers (line 2) but not valid yet at 2024-06-01T00:00:00.000Z',
    );
    expect(whyNoPrincipals(signers, B, NS, Date.UTC(2025, 5, 1))).toBe(
      'is in allowed_signers (line 2) but not valid at 2025-06-01T00:00:00.000Z (expired)',
    );
  });
});

describe('agreement with ssh-keygen -Y verify', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'remediate-allowed-signers-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const message = '{"kind":"remediate.approval"}';
  const signature = alice.sign(message);
  it.each([
    ['a plain line', `alice ${A}`],
    ['a quoted list', `"ops,alice" ${A}`],
    ['the remediate namespace', `alice namespaces="remediate" ${A}`],
    ['another namespace only', `alice namespaces="git,file" ${A}`],
    ['a key valid since 2020', `alice valid-after="20200101Z" ${A}`],
    ['an expired key', `alice valid-before="20200101Z" ${A}`],
    ['a key not valid until 2999', `alice valid-after="29990101Z" ${A}`],
    ['another key', `alice ${B}`],
    ['another principal', `bob ${A}`],
  ])('on %s', async (_name, line) => {
    const ours = principalsFor(only(line), A, NS, Date.now()).includes('alice');
    const theirs = await sshKeygenVerify({ dir, allowedSigners: `${line}\n`, principal: 'alice', message, signature });
    expect(ours).toBe(theirs.ok);
  });
});
