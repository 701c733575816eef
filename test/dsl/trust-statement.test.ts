import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stableStringify } from '../../dsl/hash';
import { parseAllowedSigners } from '../../dsl/trust/allowed-signers';
import {
  approvalStatementText,
  canonicalJson,
  incidentSha256,
  isoTimestampMs,
  parseApprovalStatement,
  parseSubmissionStatement,
  verifyApproval,
  verifySubmission,
} from '../../dsl/trust/statement';
import type { ApprovalStatement, SignedStatement, TrustPolicy } from '../../dsl/trust/types';
import { approvalStatement, signedApproval, signedSubmission, sshKeygenKey, testKey, type TestKey } from '../harness/ssh-keys';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const hex = (text: string) => createHash('sha256').update(text).digest('hex');
const PLAN = hex('the plan');
const NEW_PLAN = hex('the plan, changed');
const IDS = { incidentId: 'inc-1', workflowId: 'remediate-inc-1', runId: 'run-1', planHash: PLAN };
const EXPECT = { ...IDS, nowMs: NOW };

const alice = testKey('alice');
const bob = testKey('bob');
const ops = testKey('ops'); // listed as carol,ops
const gateway = testKey('approvals-page');
const gitOnly = testKey('gita');
const expired = testKey('old');
const mallory = testKey('mallory'); // not listed

const ALLOWED_SIGNERS = [
  alice.allowedSignersLine,
  bob.allowedSignersLine,
  `carol,ops ${ops.publicKey}`,
  gateway.allowedSignersLine,
  `gita namespaces="git" ${gitOnly.publicKey}`,
  `old valid-before="20250101Z" ${expired.publicKey}`,
].join('\n');

function trustOf(allowedSigners: string, overrides: Partial<TrustPolicy> = {}): TrustPolicy {
  const parsed = parseAllowedSigners(allowedSigners);
  expect(parsed.errors).toEqual([]);
  return {
    allowedSigners: parsed.signers,
    gateways: [{ principal: 'approvals-page', vouchesFor: ['dave', 'erin'] }],
    statementMaxAgeMs: 10 * MINUTE,
    ...overrides,
  };
}

const TRUST = trustOf(ALLOWED_SIGNERS);

function approve(key: Pick<TestKey, 'sign'>, fields: Partial<ApprovalStatement> = {}): SignedStatement {
  return signedApproval(key, { ...IDS, at: iso(NOW - MINUTE), ...fields });
}

/** Signs arbitrary statement text, for statements remediate would never make. */
function signText(key: TestKey, statement: string): SignedStatement {
  return { statement, signature: key.sign(statement) };
}

function reasonOf(signed: unknown, expectation = EXPECT, trust = TRUST): string {
  const verified = verifyApproval(signed, expectation, trust);
  expect(verified.ok).toBe(false);
  return verified.ok ? '' : verified.reason;
}

function fingerprintOf(key: TestKey): string {
  return `SHA256:${createHash('sha256')
    .update(Buffer.from(key.publicKey.split(' ')[1]!, 'base64'))
    .digest('base64')
    .replace(/=+$/, '')}`;
}

describe('canonicalJson', () => {
  it('sorts keys at every level and leaves out whitespace and undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' }, u: undefined })).toBe(
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
  });

  it('is JSON that parses back to the same value, whatever the key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(text).not.toMatch(/^\s|\s$/);
      }),
    );
  });

  it('agrees with stableStringify (the plan hash encoding) on JSON data', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(stableStringify(value));
      }),
    );
  });

  it('never throws: JSON.stringify rules for odd values, null for cycles and bigints as digits', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(canonicalJson(cyclic)).toBe('{"a":1,"self":null}');
    expect(canonicalJson([NaN, Infinity, undefined, () => 1])).toBe('[null,null,null,null]');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson({ n: 12345678901234567890n })).toBe('{"n":12345678901234567890}');
    expect(canonicalJson({ when: new Date(0) })).toBe('{"when":"1970-01-01T00:00:00.000Z"}');
  });
});

describe('incidentSha256', () => {
  it('is the lowercase hex sha256 of the canonical JSON, independent of key order', () => {
    const incident = { id: 'inc-1', labels: { team: 'payments', env: 'prod' }, summary: 'pods crash — ünïcödé' };
    expect(incidentSha256(incident)).toBe(hex(canonicalJson(incident)));
    expect(incidentSha256({ summary: incident.summary, labels: { env: 'prod', team: 'payments' }, id: 'inc-1' })).toBe(
      incidentSha256(incident),
    );
    expect(incidentSha256({ ...incident, summary: 'other' })).not.toBe(incidentSha256(incident));
  });
});

describe('parseApprovalStatement', () => {
  const statement = approvalStatement({ ...IDS, at: iso(NOW), principal: 'alice', onBehalfOf: 'dave' });

  it('reads back exactly what approvalStatementText writes', () => {
    expect(parseApprovalStatement(approvalStatementText(statement))).toEqual({ ok: true, value: statement });
    const plain = approvalStatement({ ...IDS, at: iso(NOW), verdict: 'reject', reason: 'not now\nthe database is migrating' });
    expect(parseApprovalStatement(approvalStatementText(plain))).toEqual({ ok: true, value: plain });
  });

  const text = (changes: Record<string, unknown>) => JSON.stringify({ ...statement, ...changes });
  it.each([
    ['not JSON', 'approve', /^not JSON$/],
    ['an array', '[1]', /must be a JSON object/],
    ['null', 'null', /must be a JSON object/],
    ['a submission', text({ kind: 'remediate.submission' }), /not a remediate.approval statement/],
    ['an unknown key', text({ expires: 'never' }), /^unknown key "expires"$/],
    ['an inherited name as key', text({ toString: 'x' }), /^unknown key "toString"$/],
    ['__proto__ as key', `{"__proto__":{},${text({}).slice(1)}`, /^unknown key "__proto__"$/],
    ['a missing key', JSON.stringify({ ...statement, runId: undefined }), /^missing runId$/],
    ['version 2', text({ version: 2 }), /^version must be 1$/],
    ['another verdict', text({ verdict: 'maybe' }), /^verdict must be/],
    ['an empty id', text({ incidentId: '' }), /^incidentId must be a non-empty string$/],
    ['a long id', text({ workflowId: 'w'.repeat(257) }), /^workflowId must be at most 256/],
    ['an id with a newline', text({ runId: 'run\n1' }), /^runId must not contain control/],
    ['a numeric id', text({ runId: 1 }), /^runId must be a non-empty string$/],
    ['an uppercase plan hash', text({ planHash: PLAN.toUpperCase() }), /^planHash must be 64 lowercase hex/],
    ['a short plan hash', text({ planHash: PLAN.slice(0, 12) }), /^planHash must be 64 lowercase hex/],
    ['a long reason', text({ reason: 'r'.repeat(2001) }), /^reason must be at most 2000/],
    ['a reason with an escape character', text({ reason: 'a\u001b[31m' }), /^reason must not contain control/],
    ['a principal with a space', text({ principal: 'alice smith' }), /^principal must be/],
    ['a long onBehalfOf', text({ onBehalfOf: 'd'.repeat(129) }), /^onBehalfOf must be/],
    ['a date without a time', text({ at: '2025-06-01' }), /^at must be an ISO 8601 timestamp/],
    ['a time without a zone', text({ at: '2025-06-01T12:00:00' }), /^at must be an ISO 8601 timestamp/],
    ['an impossible date', text({ at: '2025-02-29T12:00:00Z' }), /^at must be an ISO 8601 timestamp/],
    ['words', text({ at: 'yesterday' }), /^at must be an ISO 8601 timestamp/],
    ['a duplicate key', `{"verdict":"reject",${text({}).slice(1)}`, /^key "verdict" appears twice$/],
    ['a lone surrogate', text({}).replace('"reason":""', '"reason":"\ud800"'), /well-formed Unicode/],
    ['an escaped lone surrogate', text({ reason: '\ud800' }), /well-formed Unicode/],
    ['too much text', `${text({})}${' '.repeat(8192)}`, /at most 8192/],
  ])('refuses %s', (_name, input, error) => {
    const parsed = parseApprovalStatement(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(error);
  });

  it('accepts whitespace and any key order (the signature is over the exact text)', () => {
    const spaced = `{\n  "version": 1, "kind": "remediate.approval", "verdict": "approve", "reason": "", ${Object.entries(IDS)
      .map(([k, v]) => `"${k}": "${v}"`)
      .join(', ')}, "at": "2025-06-01T12:00:00Z"\n}\n`;
    expect(parseApprovalStatement(spaced)).toMatchObject({ ok: true, value: { ...IDS, at: '2025-06-01T12:00:00Z' } });
  });
});

describe('parseSubmissionStatement', () => {
  it('reads a submission and refuses an approval', () => {
    const submission = { kind: 'remediate.submission', version: 1, incidentId: 'inc-1', incidentSha256: PLAN, at: iso(NOW) };
    expect(parseSubmissionStatement(canonicalJson(submission))).toEqual({ ok: true, value: submission });
    expect(parseSubmissionStatement(canonicalJson({ ...submission, by: 'alice' }))).toEqual({ ok: false, error: 'unknown key "by"' });
    expect(parseSubmissionStatement(approvalStatementText(approvalStatement({ ...IDS, at: iso(NOW) })))).toMatchObject({
      ok: false,
      error: /not a remediate.submission statement/,
    });
  });
});

describe('isoTimestampMs', () => {
  it('agrees with Date for every toISOString output', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        (date) => {
          expect(isoTimestampMs(date.toISOString())).toBe(date.getTime());
        },
      ),
    );
  });

  it('reads zones and fractions', () => {
    expect(isoTimestampMs('2025-01-01T01:30:00+01:30')).toBe(Date.UTC(2025, 0, 1));
    expect(isoTimestampMs('2024-12-31T19:00:00-05:00')).toBe(Date.UTC(2025, 0, 1));
    expect(isoTimestampMs('2025-01-01T00:00:00.5Z')).toBe(Date.UTC(2025, 0, 1) + 500);
    expect(isoTimestampMs('2025-01-01T00:00:00.123456789Z')).toBe(Date.UTC(2025, 0, 1) + 123);
    expect(isoTimestampMs('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
  });

  it.each([
    '2025-02-29T00:00:00Z',
    '2025-04-31T00:00:00Z',
    '2025-13-01T00:00:00Z',
    '2025-01-01T24:00:00Z',
    '2025-01-01T00:60:00Z',
    '2025-01-01T00:00:60Z',
    '2025-01-01 00:00:00Z',
    '2025-01-01t00:00:00z',
    '0099-01-01T00:00:00Z',
    '+002025-01-01T00:00:00Z',
    '2025-01-01T00:00:00+24:00',
    '2025-01-01T00:00:00.Z',
    '',
  ])('refuses %j', (text) => {
    expect(isoTimestampMs(text)).toBeUndefined();
  });
});

describe('verifyApproval accepts', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'remediate-statement-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('an approval signed with the real ssh-keygen -Y sign', async () => {
    const frank = await sshKeygenKey(dir, 'frank');
    const statement = approvalStatementText(approvalStatement({ ...IDS, at: iso(NOW - MINUTE) }));
    const signed = { statement, signature: await frank.sign(statement) };
    const verified = verifyApproval(signed, EXPECT, trustOf(`${ALLOWED_SIGNERS}\n${frank.allowedSignersLine}`));
    expect(verified).toEqual({ ok: true, principal: 'frank', statement: JSON.parse(statement) });
    expect(verifyApproval(signed, EXPECT, TRUST)).toMatchObject({ ok: false, reason: /is not in allowed_signers/ });
  });

  it("an approval by a listed key, as the key's only principal", () => {
    const verified = verifyApproval(approve(alice), EXPECT, TRUST);
    expect(verified).toEqual({ ok: true, principal: 'alice', statement: approvalStatement({ ...IDS, at: iso(NOW - MINUTE) }) });
  });

  it('a claimed principal that is the key’s', () => {
    expect(verifyApproval(approve(alice, { principal: 'alice' }), EXPECT, TRUST)).toMatchObject({ ok: true, principal: 'alice' });
    expect(verifyApproval(approve(ops, { principal: 'carol' }), EXPECT, TRUST)).toMatchObject({ ok: true, principal: 'carol' });
  });

  it('a gateway vouching for a user it may vouch for: the approver is the user, via the gateway', () => {
    const verified = verifyApproval(approve(gateway, { onBehalfOf: 'dave' }), EXPECT, TRUST);
    expect(verified).toMatchObject({ ok: true, principal: 'dave', via: 'approvals-page', statement: { onBehalfOf: 'dave' } });
  });

  it('a rejection with a reason', () => {
    expect(verifyApproval(approve(bob, { verdict: 'reject', reason: 'the migration is running' }), EXPECT, TRUST)).toMatchObject({
      ok: true,
      principal: 'bob',
      statement: { verdict: 'reject' },
    });
  });

  it('a statement exactly at the maximum age, or signed by a clock up to 5 minutes ahead', () => {
    expect(verifyApproval(approve(alice, { at: iso(NOW - 10 * MINUTE) }), EXPECT, TRUST).ok).toBe(true);
    expect(verifyApproval(approve(alice, { at: iso(NOW + 5 * MINUTE) }), EXPECT, TRUST).ok).toBe(true);
  });
});

describe('verifyApproval refuses', () => {
  it.each([
    ['null', null, 'malformed: expected {statement, signature}, got null'],
    ['a number', 42, 'malformed: expected {statement, signature}, got a number'],
    ['a string', 'approve', 'malformed: expected {statement, signature}, got a string'],
    ['an array', [], 'malformed: expected {statement, signature}, got an array'],
    ['an object without a statement', { by: 1 }, 'malformed: no statement'],
    ['a numeric statement', { statement: 5, signature: '' }, 'malformed: statement must be a string'],
    ['a numeric signature', { statement: '{}', signature: 5 }, 'malformed: signature must be a string'],
    ['a statement that is not JSON', { statement: 'x' }, 'malformed statement: not JSON'],
    [
      'an oversize statement',
      { statement: 'x'.repeat(8193), signature: '' },
      'malformed: the statement is 8193 characters; at most 8192 are accepted',
    ],
    [
      'a huge statement',
      { statement: 'x'.repeat(20_000_000), signature: '' },
      'malformed: the statement is 20000000 characters; at most 8192 are accepted',
    ],
    [
      'an oversize signature',
      { statement: '{}', signature: 's'.repeat(4097) },
      'malformed: the signature is 4097 characters; at most 4096 are accepted',
    ],
  ])('%s', (_name, signed, reason) => {
    expect(reasonOf(signed)).toBe(reason);
  });

  it('a statement with an unknown key, even if signed', () => {
    const text = canonicalJson({ ...approvalStatement({ ...IDS, at: iso(NOW) }), quorum: 0 });
    expect(reasonOf(signText(alice, text))).toBe('malformed statement: unknown key "quorum"');
  });

  it('a statement with a bad `at`', () => {
    const text = canonicalJson(approvalStatement({ ...IDS, at: '2025-06-01 12:00' }));
    expect(reasonOf(signText(alice, text))).toMatch(/^malformed statement: at must be an ISO 8601 timestamp/);
  });

  it('an unsigned statement', () => {
    const { statement } = approve(alice);
    expect(reasonOf({ statement })).toBe('unsigned');
    expect(reasonOf({ statement, signature: null })).toBe('unsigned');
    expect(reasonOf({ statement, signature: ' \n' })).toBe('unsigned');
  });

  it('a signature that is not an SSH signature', () => {
    const { statement } = approve(alice);
    expect(reasonOf({ statement, signature: 'signed, alice' })).toMatch(/^not an SSH signature: /);
  });

  it('a signature in another namespace', () => {
    const { statement } = approve(alice);
    expect(reasonOf({ statement, signature: alice.sign(statement, 'git') })).toBe(
      'wrong namespace: signed for namespace "git", not "remediate" (sign with ssh-keygen -Y sign -n remediate)',
    );
  });

  it('a statement changed after it was signed, by one character', () => {
    const signed = approve(alice);
    const changed = { ...signed, statement: signed.statement.replace('"run-1"', '"run-2"') };
    expect(reasonOf(changed)).toBe('the signature does not match the statement');
    expect(reasonOf({ ...signed, statement: `${signed.statement} ` })).toBe('the signature does not match the statement');
  });

  it('a signature with a flipped byte', () => {
    const signed = approve(alice);
    const envelope = Buffer.from(signed.signature.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    envelope[envelope.length - 10] = envelope[envelope.length - 10]! ^ 0x20;
    const signature = `-----BEGIN SSH SIGNATURE-----\n${envelope.toString('base64')}\n-----END SSH SIGNATURE-----\n`;
    expect(reasonOf({ ...signed, signature })).toBe('the signature does not match the statement');
  });

  it('a forgery: a listed key named in a signature another key made', () => {
    const signed = approve(mallory);
    const envelope = Buffer.from(signed.signature.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const malloryBlob = Buffer.from(mallory.publicKey.split(' ')[1]!, 'base64');
    const at = envelope.indexOf(malloryBlob);
    expect(at).toBeGreaterThan(0);
    Buffer.from(alice.publicKey.split(' ')[1]!, 'base64').copy(envelope, at);
    const signature = `-----BEGIN SSH SIGNATURE-----\n${envelope.toString('base64')}\n-----END SSH SIGNATURE-----\n`;
    expect(reasonOf({ ...signed, signature })).toBe('the signature does not match the statement');
  });

  it('a key that is not in allowed_signers, by its fingerprint', () => {
    expect(reasonOf(approve(mallory))).toBe(`the key ${fingerprintOf(mallory)} is not in allowed_signers`);
  });

  it('a key listed only for another namespace, or no longer valid', () => {
    expect(reasonOf(approve(gitOnly))).toBe(
      `the key ${fingerprintOf(gitOnly)} is in allowed_signers (line 5) but not for namespace "remediate"`,
    );
    expect(reasonOf(approve(expired))).toBe(
      `the key ${fingerprintOf(expired)} is in allowed_signers (line 6) but not valid at 2025-06-01T12:00:00.000Z (expired)`,
    );
  });

  it('a claimed principal that is not the key’s', () => {
    expect(reasonOf(approve(alice, { principal: 'bob' }))).toBe(
      `the statement claims principal bob, but allowed_signers gives the key ${fingerprintOf(alice)} only alice`,
    );
  });

  it('a key with several principals that names none', () => {
    expect(reasonOf(approve(ops))).toBe('the key has several principals; name one with principal (carol, ops)');
  });

  it('a gateway vouching for a user it may not vouch for', () => {
    expect(reasonOf(approve(gateway, { onBehalfOf: 'mallory' }))).toBe('gateway approvals-page may not vouch for mallory');
  });

  it('a gateway that names no user', () => {
    expect(reasonOf(approve(gateway))).toBe('approvals-page is a gateway: a gateway must name the user it vouches for (onBehalfOf)');
  });

  it('a user who is not a gateway signing on behalf of another', () => {
    expect(reasonOf(approve(alice, { onBehalfOf: 'dave' }))).toBe('alice is not a gateway, so it may not sign on behalf of dave');
  });

  it('an approval for another incident, workflow or run', () => {
    expect(reasonOf(approve(alice, { incidentId: 'inc-0' }))).toBe('for incident inc-0, not inc-1');
    expect(reasonOf(approve(alice, { workflowId: 'remediate-inc-0' }))).toBe('for workflow remediate-inc-0, not remediate-inc-1');
    expect(reasonOf(approve(alice), { ...EXPECT, runId: 'run-2' })).toBe('for run run-1, not run-2');
  });

  it('an approval of another plan', () => {
    expect(reasonOf(approve(alice), { ...EXPECT, planHash: NEW_PLAN })).toBe(
      `for plan ${PLAN.slice(0, 12)}, the plan is now ${NEW_PLAN.slice(0, 12)}`,
    );
  });

  it('a statement older than the policy allows', () => {
    expect(reasonOf(approve(alice, { at: iso(NOW - 20 * MINUTE) }))).toBe('signed 20 min ago; statements older than 10 min are refused');
    expect(reasonOf(approve(alice, { at: iso(NOW - 10 * MINUTE - 1000) }))).toBe(
      'signed 11 min ago; statements older than 10 min are refused',
    );
  });

  it('a statement signed in the future', () => {
    expect(reasonOf(approve(alice, { at: iso(NOW + 6 * MINUTE) }))).toMatch(/^signed in the future/);
  });

  it('a rejection without a reason', () => {
    expect(reasonOf(approve(alice, { verdict: 'reject' }))).toBe('a rejection must give a reason');
    expect(reasonOf(approve(alice, { verdict: 'reject', reason: ' \n\t' }))).toBe('a rejection must give a reason');
  });

  it('everything when the policy has no usable maximum age (fails closed)', () => {
    expect(reasonOf(approve(alice), EXPECT, { ...TRUST, statementMaxAgeMs: Number.NaN })).toBe(
      'the trust policy has no valid statementMaxAgeMs',
    );
  });

  it('in order: the signature and key before what the statement says', () => {
    const { statement } = approve(alice, { incidentId: 'inc-0' });
    expect(reasonOf({ statement })).toBe('unsigned');
    expect(reasonOf(approve(mallory, { incidentId: 'inc-0', at: iso(0) }))).toMatch(/is not in allowed_signers/);
  });

  it('anything at all, without throwing', () => {
    const valid = approve(alice);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({ statement: fc.string(), signature: fc.string() }),
          fc.record({ statement: fc.constant(valid.statement), signature: fc.string() }),
          fc.record({ statement: fc.string(), signature: fc.constant(valid.signature) }),
        ),
        (signed) => {
          expect(verifyApproval(signed, EXPECT, TRUST).ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('verifySubmission', () => {
  const incident = { id: 'inc-1', service: 'checkout', labels: { team: 'payments', env: 'prod' }, observedAt: '2025-06-01T11:58:00Z' };
  const submit = (key: TestKey, fields: Partial<{ incidentId: string; incidentSha256: string; at: string }> = {}) =>
    signedSubmission(key, { incidentId: 'inc-1', incidentSha256: incidentSha256(incident), at: iso(NOW - MINUTE), ...fields });
  const reason = (signed: unknown, forIncident: unknown = incident) => {
    const verified = verifySubmission(signed, forIncident, TRUST, NOW);
    return verified.ok ? '' : verified.reason;
  };

  it('accepts a submission of this incident, whatever its key order', () => {
    const statement = {
      kind: 'remediate.submission',
      version: 1,
      incidentId: 'inc-1',
      incidentSha256: incidentSha256(incident),
      at: iso(NOW - MINUTE),
    };
    expect(verifySubmission(submit(alice), incident, TRUST, NOW)).toEqual({ ok: true, principal: 'alice', statement });
    const reordered = { observedAt: incident.observedAt, labels: { env: 'prod', team: 'payments' }, service: 'checkout', id: 'inc-1' };
    expect(verifySubmission(submit(alice), reordered, TRUST, NOW).ok).toBe(true);
  });

  it('accepts a submission signed with the real ssh-keygen -Y sign', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'remediate-submission-'));
    try {
      const grace = await sshKeygenKey(dir, 'grace');
      const statement = canonicalJson({
        kind: 'remediate.submission',
        version: 1,
        incidentId: 'inc-1',
        incidentSha256: incidentSha256(incident),
        at: iso(NOW),
      });
      const signed = { statement, signature: await grace.sign(statement) };
      expect(verifySubmission(signed, incident, trustOf(grace.allowedSignersLine), NOW)).toMatchObject({ ok: true, principal: 'grace' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('treats a gateway as an ordinary submitter', () => {
    expect(verifySubmission(submit(gateway), incident, TRUST, NOW)).toMatchObject({ ok: true, principal: 'approvals-page' });
    expect(verifySubmission(submit(gateway), incident, TRUST, NOW)).not.toHaveProperty('via');
  });

  it('refuses an incident changed after it was signed', () => {
    const changed = { ...incident, service: 'payments' };
    expect(reason(submit(alice), changed)).toBe(
      `for incident content ${incidentSha256(incident).slice(0, 12)}, the incident's is ${incidentSha256(changed).slice(0, 12)}: it differs from what was signed`,
    );
  });

  it('refuses a submission of another incident', () => {
    expect(reason(submit(alice), { ...incident, id: 'inc-2' })).toBe('for incident inc-1, not inc-2');
    expect(reason(submit(alice), 'inc-1')).toBe('for incident inc-1, but the incident has no id');
  });

  it('refuses the signature, key and age problems an approval would', () => {
    expect(reason(submit(mallory))).toBe(`the key ${fingerprintOf(mallory)} is not in allowed_signers`);
    expect(reason(submit(alice, { at: iso(NOW - 30 * MINUTE) }))).toBe('signed 30 min ago; statements older than 10 min are refused');
    expect(reason(submit(alice, { at: iso(NOW + 30 * MINUTE) }))).toMatch(/^signed in the future/);
    expect(reason(submit(ops))).toMatch(/several principals \(carol, ops\)/);
    const signed = submit(alice);
    expect(reason({ statement: signed.statement })).toBe('unsigned');
    expect(reason({ ...signed, statement: signed.statement.replace('inc-1', 'inc-2') })).toBe('the signature does not match the statement');
    expect(reason(approve(alice))).toMatch(/^malformed statement: not a remediate.submission statement/);
    expect(reason(null)).toMatch(/^malformed/);
  });
});
