import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllowedSigners } from '../../dsl/trust/allowed-signers';
import { DEFAULT_GUARDRAIL_POLICY, loadGuardrailPolicy, PolicyFileError as ReexportedError } from '../../worker/guardrail-policy';
import {
  loadOperatorPolicy,
  operatorPolicyFile,
  parseOperatorPolicy,
  PolicyFileError,
  type PolicyError,
} from '../../worker/operator-policy';

const FIXTURES = fileURLToPath(new URL('./fixtures/operator-policy/', import.meta.url));
const FULL = `${FIXTURES}policy.yaml`;
const SIGNERS_TEXT = readFileSync(`${FIXTURES}allowed_signers`, 'utf8');
const ALICE_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIApWneRPR457trVwgPnTG0Q5rt+sCQg8az24H19dpRzi';

const FILE = 'conf/policy.yaml';

/** Reads only `conf/allowed_signers`, with the given text. */
function signersFile(text: string) {
  return (path: string) => {
    if (path !== 'conf/allowed_signers') throw new Error(`ENOENT: no such file ${path}`);
    return text;
  };
}

function errorsOf(text: string, readFile: (path: string) => string = signersFile(SIGNERS_TEXT)): PolicyError[] {
  try {
    parseOperatorPolicy(FILE, text, readFile);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyFileError);
    const failure = error as PolicyFileError;
    expect(failure.exitCode).toBe(1);
    // One line per error, each FILE:LINE:COL: PATH: MESSAGE.
    expect(failure.message.split('\n')).toEqual(failure.errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.path}: ${e.message}`));
    for (const e of failure.errors) {
      expect(e.line).toBeGreaterThan(0);
      expect(e.column).toBeGreaterThan(0);
      expect(e.path).not.toBe('');
    }
    return failure.errors;
  }
  throw new Error('expected a PolicyFileError');
}

function onlyError(text: string, readFile?: (path: string) => string): PolicyError {
  const errors = errorsOf(text, readFile);
  expect(errors).toHaveLength(1);
  return errors[0]!;
}

describe('operator policy: defaults', () => {
  it('without a file: the built-in limits, budget 5 per 60 min, nothing else, 15 min statements', () => {
    const policy = loadOperatorPolicy(undefined);
    expect(policy.guardrails).toEqual({
      limits: { maxConcurrent: 3, maxServices: 1 },
      failureBudget: { maxFailures: 5, windowMs: 3_600_000 },
      changeWindows: [],
    });
    expect(policy.approvers.defaults).toEqual([]);
    expect(Object.keys(policy.approvers.groups)).toEqual([]);
    expect(Object.getPrototypeOf(policy.approvers.groups)).toBeNull();
    expect(policy.trust).toEqual({ allowedSigners: [], gateways: [], statementMaxAgeMs: 15 * 60_000 });
    expect(policy.webUiUrl).toBeUndefined();
    expect(policy.file).toBeUndefined();
    expect(policy.version).toMatch(/^[0-9a-f]{64}$/);
    expect(DEFAULT_GUARDRAIL_POLICY).toEqual(policy.guardrails);
  });

  it('an empty file is every default, with its own version', () => {
    const policy = parseOperatorPolicy(FILE, '# nothing yet\n');
    expect(policy.guardrails).toEqual(loadOperatorPolicy(undefined).guardrails);
    expect(policy.file).toBe(FILE);
  });

  it('REMEDIATE_POLICY_FILE names the file; loadGuardrailPolicy reads its guardrails', () => {
    expect(operatorPolicyFile({})).toBeUndefined();
    expect(operatorPolicyFile({ REMEDIATE_POLICY_FILE: ' ' })).toBeUndefined();
    expect(operatorPolicyFile({ REMEDIATE_POLICY_FILE: FULL })).toBe(FULL);
    expect(loadGuardrailPolicy({})).toEqual(DEFAULT_GUARDRAIL_POLICY);
    expect(loadGuardrailPolicy({ REMEDIATE_POLICY_FILE: FULL }).limits).toEqual({ maxConcurrent: 4, maxServices: 2 });
    expect(ReexportedError).toBe(PolicyFileError);
  });
});

describe('operator policy: a full file', () => {
  it('parses every key, reading allowed_signers next to the policy file', () => {
    const policy = loadOperatorPolicy(FULL);
    expect(policy.file).toBe(FULL);
    expect(policy.guardrails).toEqual({
      limits: { maxConcurrent: 4, maxServices: 2 },
      failureBudget: { maxFailures: 7, windowMs: 30 * 60_000 },
      changeWindows: [
        {
          name: 'off-peak',
          timeZone: 'Europe/Berlin',
          days: ['mon', 'tue'],
          start: '22:00',
          end: '06:00',
          appliesTo: { risks: ['MEDIUM'], runbooks: ['restart-pod'] },
          outside: 'approval',
        },
        // Defaults: a name, UTC, every day, wait.
        {
          name: 'window-2',
          timeZone: 'UTC',
          days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
          start: '09:00',
          end: '17:00',
          appliesTo: { risks: ['LOW'] },
          outside: 'wait',
        },
      ],
    });
    expect(policy.approvers.defaults).toEqual(['alice', 'group:sre']);
    expect(Object.getPrototypeOf(policy.approvers.groups)).toBeNull();
    expect({ ...policy.approvers.groups }).toEqual({ sre: ['alice', 'bob'], dba: ['carol'] });
    expect(policy.trust.statementMaxAgeMs).toBe(10 * 60_000);
    expect(policy.trust.allowedSigners.map((s) => s.principals)).toEqual([['approvals-web'], ['alice', 'alice@example.com']]);
    expect(policy.trust.allowedSigners[0]!.namespaces).toEqual(['remediate']);
    expect(policy.trust.allowedSigners[1]!.key).toBe(ALICE_KEY);
    // group:sre is expanded, duplicates dropped.
    expect(policy.trust.gateways).toEqual([{ principal: 'approvals-web', vouchesFor: ['carol', 'alice', 'bob'] }]);
    expect(policy.webUiUrl).toBe('http://127.0.0.1:8233');
    const text = readFileSync(FULL, 'utf8');
    expect(policy.version).toBe(createHash('sha256').update(`${text}\0${SIGNERS_TEXT}`).digest('hex'));
  });

  it('the version changes with the allowed_signers file alone', () => {
    const text = 'allowed_signers: allowed_signers\n';
    const a = parseOperatorPolicy(FILE, text, signersFile(SIGNERS_TEXT));
    const b = parseOperatorPolicy(FILE, text, signersFile(SIGNERS_TEXT.split('\n').slice(0, 2).join('\n')));
    expect(a.version).not.toBe(b.version);
  });

  it('reads JSON too', () => {
    const policy = parseOperatorPolicy('policy.json', '{"limits": {"max_concurrent": 9}, "web_ui_url": "https://temporal.example/"}');
    expect(policy.guardrails.limits).toEqual({ maxConcurrent: 9, maxServices: 1 });
    expect(policy.webUiUrl).toBe('https://temporal.example');
  });
});

describe('operator policy: fails closed, located', () => {
  it('a misspelt limit key: at the key, with did-you-mean', () => {
    const e = onlyError('limits:\n  max_concurent: 3\n');
    expect(e).toMatchObject({ file: FILE, line: 2, column: 3, path: 'limits.max_concurent' });
    expect(e.message).toContain('did you mean "max_concurrent"');
  });

  it('change_window at the top level: at the key, with did-you-mean', () => {
    const e = onlyError('limits: { max_concurrent: 2 }\nchange_window: []\n');
    expect(e).toMatchObject({ line: 2, column: 1, path: 'change_window' });
    expect(e.message).toContain('did you mean "change_windows"');
  });

  it('outside: approvl is an error saying wait or approval', () => {
    const e = onlyError('change_windows:\n  - start: "22:00"\n    end: "06:00"\n    applies_to: { risks: [HIGH] }\n    outside: approvl\n');
    expect(e).toMatchObject({ line: 5, column: 14, path: 'change_windows[0].outside' });
    expect(e.message).toBe('expected one of "wait", "approval", found "approvl"');
  });

  it.each([
    ['-1', 'limits.max_concurrent', /between 1 and 1000000, found -1/],
    ['0', 'limits.max_concurrent', /between 1 and 1000000, found 0/],
    ['1.5', 'limits.max_concurrent', /expected an integer, found 1\.5/],
    ['"3"', 'limits.max_concurrent', /expected an integer, found "3"/],
  ])('limit %s is refused', (value, path, message) => {
    const e = onlyError(`limits:\n  max_concurrent: ${value}\n`);
    expect(e).toMatchObject({ line: 2, column: 19, path });
    expect(e.message).toMatch(message);
  });

  it('failure budget and statement age bounds', () => {
    const errors = errorsOf('failure_budget: { max_failures: 0, window_minutes: 2.5 }\nstatement_max_age_minutes: 1441\n');
    expect(errors.map((e) => [e.path, e.line, e.column])).toEqual([
      ['failure_budget.max_failures', 1, 33],
      ['failure_budget.window_minutes', 1, 52],
      ['statement_max_age_minutes', 2, 28],
    ]);
    expect(errors[2]!.message).toContain('between 1 and 1440');
  });

  it('a bad time zone is located at the time zone', () => {
    const e = onlyError(
      'change_windows:\n  - name: night\n    time_zone: Mars/Olympus\n    start: "22:00"\n    end: "06:00"\n    applies_to: { risks: [LOW] }\n',
    );
    expect(e).toMatchObject({ line: 3, column: 16, path: 'change_windows[0].time_zone' });
    expect(e.message).toContain('unknown time zone "Mars/Olympus"');
  });

  it('a bad start time and an unknown day are located at their values', () => {
    const errors = errorsOf(
      'change_windows:\n  - start: "25:00"\n    end: "06:00"\n    days: [mon, funday]\n    applies_to: { risks: [LOW] }\n',
    );
    expect(errors.map((e) => [e.path, e.line, e.column])).toEqual([
      ['change_windows[0].start', 2, 12],
      ['change_windows[0].days[1]', 4, 17],
    ]);
    expect(errors[0]!.message).toBe('expected a time "HH:MM" (00:00 to 23:59), found "25:00"');
    expect(errors[1]!.message).toContain('"sun"');
  });

  it('a window without start or applies_to is refused', () => {
    const errors = errorsOf('change_windows:\n  - end: "06:00"\n');
    expect(errors.map((e) => e.message).sort()).toEqual(['missing required field "applies_to"', 'missing required field "start"']);
    expect(errors.every((e) => e.path === 'change_windows[0]' && e.line === 2 && e.column === 5)).toBe(true);
  });

  it('an unknown group in approvers.default or vouches_for', () => {
    const text = [
      'approvers:',
      '  default: [alice, "group:sres"]',
      '  groups: { sre: [alice] }',
      'allowed_signers: allowed_signers',
      'gateways:',
      '  - principal: approvals-web',
      '    vouches_for: ["group:dba"]',
      '',
    ].join('\n');
    const errors = errorsOf(text);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ line: 2, column: 20, path: 'approvers.default[1]' });
    expect(errors[0]!.message).toBe('unknown group "sres" (did you mean "sre"?); groups defined: sre');
    expect(errors[1]).toMatchObject({ line: 7, column: 19, path: 'gateways[0].vouches_for[0]' });
  });

  it('a bad group name and a bad principal', () => {
    const errors = errorsOf('approvers:\n  groups:\n    "sre team": [alice]\n    ops: ["bob smith"]\n');
    expect(errors.map((e) => [e.path, e.line, e.column])).toEqual([
      ['approvers.groups.sre team', 3, 5],
      ['approvers.groups.ops[0]', 4, 11],
    ]);
  });

  it('a gateway principal absent from allowed_signers', () => {
    const e = onlyError('allowed_signers: ./allowed_signers\ngateways:\n  - { principal: approvals-webb, vouches_for: [alice] }\n');
    expect(e).toMatchObject({ line: 3, column: 18, path: 'gateways[0].principal' });
    expect(e.message).toContain('not a principal in conf/allowed_signers (did you mean "approvals-web"?)');
  });

  it('a gateway without any allowed_signers file', () => {
    const e = onlyError('gateways:\n  - { principal: approvals-web, vouches_for: [alice] }\n');
    expect(e.path).toBe('gateways[0].principal');
    expect(e.message).toContain('no allowed_signers file is named');
  });

  it("an allowed_signers file's bad line is reported at that file's line:col", () => {
    const signers = `${SIGNERS_TEXT}\n  bob ssh-rsa AAAAB3NzaC1yc2E bob\n`;
    const e = onlyError('allowed_signers: allowed_signers\n', signersFile(signers));
    const line = signers.split('\n').findIndex((l) => l.includes('ssh-rsa')) + 1;
    // Where parseAllowedSigners says, in that file's coordinates.
    const [expected] = parseAllowedSigners(signers).errors;
    expect(expected!.line).toBe(line);
    expect(e).toEqual({
      file: 'conf/allowed_signers',
      line,
      column: expected!.column,
      path: 'allowed_signers',
      message: expected!.message,
    });
    expect(e.message).toContain('only ssh-ed25519 keys are accepted');
  });

  it('an unreadable allowed_signers file: an error naming the file, at the key', () => {
    const e = onlyError('limits: {}\nallowed_signers: missing/allowed_signers\n');
    expect(e).toMatchObject({ file: FILE, line: 2, column: 18, path: 'allowed_signers' });
    expect(e.message).toContain('cannot read the allowed_signers file conf/missing/allowed_signers');
  });

  it('a YAML syntax error is located', () => {
    const e = onlyError('limits:\n  max_concurrent: 3\n max_services: 1\n');
    expect(e).toMatchObject({ file: FILE, line: 3, column: 1, path: '(root)' });
    expect(e.message).toMatch(/^bad indentation/);
    expect(onlyError('limits:\n\tmax_concurrent: 3\n')).toMatchObject({ line: 2, column: 1, path: '(root)' });
  });

  it('a duplicate key is an error, not a silent override', () => {
    const e = onlyError('limits:\n  max_concurrent: 3\n  max_concurrent: 30\n');
    expect(e.line).toBe(3);
    expect(e.message).toContain('duplicate key');
  });

  it('a file that is not a map, an unreadable or oversized policy file', () => {
    expect(onlyError('- limits\n')).toMatchObject({
      line: 1,
      column: 1,
      path: '(root)',
      message: 'expected a map of fields, found a list of 1 item',
    });
    expect(onlyError(`# ${'x'.repeat(1024 * 1024)}\n`).message).toContain('larger than 1 MiB');
    expect(onlyError('limits: {}\n# \0\n')).toMatchObject({ line: 2, column: 3 });
    expect(() => loadOperatorPolicy(`${FIXTURES}absent.yaml`)).toThrow(/absent\.yaml:1:1: \(root\): cannot read the policy file/);
  });

  it('a bad web_ui_url', () => {
    const e = onlyError('web_ui_url: ftp://example\n');
    expect(e).toMatchObject({
      line: 1,
      column: 13,
      path: 'web_ui_url',
      message: 'expected an http:// or https:// URL, found "ftp://example"',
    });
    expect(onlyError('web_ui_url: "http://exa mple"\n').path).toBe('web_ui_url');
  });
});

describe('operator policy: hostile names', () => {
  // Decision: names Object.prototype answers to are refused as group names (at the key), and groups are
  // null-prototype records anyway, so no consumer can be fooled by a plain-object lookup.
  it.each(['__proto__', 'constructor', 'toString'])('group %s is refused, and nothing is polluted', (name) => {
    const e = onlyError(`approvers:\n  default: ["group:${name}"]\n  groups:\n    ${name}: [mallory]\n`);
    expect(e).toMatchObject({ line: 4, column: 5, path: `approvers.groups.${name}` });
    expect(e.message).toContain('reserved');
    expect(({} as Record<string, unknown>).mallory).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('0');
  });

  it('group:constructor without a group of that name is an unknown group', () => {
    const e = onlyError('approvers:\n  default: ["group:constructor"]\n');
    expect(e).toMatchObject({
      path: 'approvers.default[0]',
      message: 'unknown group "constructor"; no groups are defined under approvers.groups',
    });
  });

  it('__proto__ as a key of a closed object is an unknown field', () => {
    const e = onlyError('limits:\n  __proto__: { max_concurrent: 100 }\n');
    expect(e).toMatchObject({ line: 2, column: 3, path: 'limits.__proto__' });
    expect(e.message).toContain('unknown field');
  });
});
