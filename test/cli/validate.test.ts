import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, remediate, scratch } from './run-cli';

const INVALID = [
  'runbooks:',
  '  a:',
  '    risk: low',
  '    triggers: [x]',
  '    min_confidence: 1.5',
  '    action: kubectl get pods | grep x',
  '',
].join('\n');

describe('remediate validate', () => {
  it('passes the shipped catalogue (exit 0)', () => {
    const run = remediate(['validate', 'runbooks/']);
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(run.stdout).toMatch(/^ok: 7 runbooks in 1 file \(catalogue version [0-9a-f]{12}\)\n$/);
  });

  it("passes the reference exercise's runbooks.yaml unchanged", () => {
    expect(remediate(['validate', 'test/fixtures/seed/runbooks.yaml'])).toMatchObject({
      status: 0,
      stdout: expect.stringMatching(/^ok: 3 runbooks in 1 file /),
    });
  });

  it('checks secret references against the operator policy named with --policy', () => {
    const runbook = [
      'runbooks:',
      '  tokened:',
      '    risk: LOW',
      '    root_causes: [token_needed]',
      '    min_confidence: 0.5',
      '    actions:',
      '      - { id: call, http: { url: "http://127.0.0.1:9/x", headers: { Authorization: { secret: API_TOKEN } } } }',
      '    post_checks:',
      '      - { id: up, probe: { http: { url: "http://127.0.0.1:9/x" } }, condition: result.status == 200 }',
      '    rollback: null',
      '',
    ].join('\n');
    const dir = scratch({
      'rb.yaml': runbook,
      'policy.yaml': 'secrets:\n  API_TOKEN: { env: API_TOKEN }\n',
      'other.yaml': 'secrets:\n  OTHER: { env: X }\n',
    });
    const without = remediate(['validate', join(dir, 'rb.yaml')]);
    expect(without.status).toBe(1);
    expect(without.stderr).toMatch(/rb\.yaml:7:\d+: .*API_TOKEN.*the operator must define it under secrets:/);
    expect(remediate(['validate', '--policy', join(dir, 'policy.yaml'), join(dir, 'rb.yaml')])).toMatchObject({ status: 0 });
    const other = remediate(['validate', '--policy', join(dir, 'other.yaml'), join(dir, 'rb.yaml')]);
    expect(other.status).toBe(1);
    expect(other.stderr).toContain('OTHER');
    expect(hasStackTrace(other.stderr)).toBe(false);
  });

  it('prints every error as file:line:column: message and exits 1', () => {
    const dir = scratch({ 'bad.yaml': INVALID, 'worse.yml': 'runbooks:\n  b:\n\trisk: LOW\n', 'notes.txt': 'ignored' });
    const run = remediate(['validate', dir]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    const bad = join(dir, 'bad.yaml');
    expect(run.stderr.split('\n')).toEqual([
      `${bad}:3:11: expected one of "LOW", "MEDIUM", "HIGH", found "low" (at runbooks.a.risk)`,
      `${bad}:5:21: expected a number between 0 and 1, found 1.5 (at runbooks.a.min_confidence)`,
      expect.stringMatching(new RegExp(`^${join(dir, 'worse.yml')}:3:1: tab used for indentation`)),
      '3 errors',
      '',
    ]);
    expect(hasStackTrace(run.stderr)).toBe(false);
  });

  it('reports semantic errors once the schema is satisfied', () => {
    const dir = scratch({ 'a.yaml': INVALID.replace('risk: low', 'risk: LOW').replace('1.5', '0.5') });
    const run = remediate(['validate', join(dir, 'a.yaml')]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${join(dir, 'a.yaml')}:6:30: unquoted "|": commands run without a shell`);
  });

  it('rejects an automatic runbook whose verification reads nothing live, at its post_checks as file:line:column', () => {
    const text = [
      'runbooks:',
      '  restart:',
      '    risk: LOW',
      '    triggers: [CrashLoopBackOff]',
      '    min_confidence: 0.8',
      '    action: kubectl delete pod {pod_name} -n {namespace}',
      '    post_checks:',
      '      - other_services_healthy',
      '    rollback: null',
      '',
    ].join('\n');
    const dir = scratch({ 'frozen.yaml': text, 'live.yaml': text.replace('other_services_healthy', 'pod_becomes_ready') });
    const run = remediate(['validate', join(dir, 'frozen.yaml')]);
    expect(run.status).toBe(1);
    expect(run.stderr.split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${join(dir, 'frozen.yaml')}:7:5: verification reads nothing live: "other_services_healthy" reads only the incident's context, .*add a post-check that reads the live system through a probe`,
        ),
      ),
      '1 error',
      '',
    ]);
    expect(remediate(['validate', join(dir, 'live.yaml')])).toMatchObject({ status: 0 });
  });

  it('prints a JSON array of {file, line, column, path, message} with --json', () => {
    const dir = scratch({ 'bad.yaml': INVALID });
    const run = remediate(['validate', '--json', join(dir, 'bad.yaml')]);
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual([
      {
        file: join(dir, 'bad.yaml'),
        line: 3,
        column: 11,
        path: 'runbooks.a.risk',
        message: 'expected one of "LOW", "MEDIUM", "HIGH", found "low"',
      },
      {
        file: join(dir, 'bad.yaml'),
        line: 5,
        column: 21,
        path: 'runbooks.a.min_confidence',
        message: 'expected a number between 0 and 1, found 1.5',
      },
    ]);
    expect(remediate(['validate', '--json', 'runbooks'])).toMatchObject({ status: 0, stdout: '[]\n' });
  });

  it.each([
    [[], /missing required argument 'paths'/],
    [['no/such/file.yaml'], /^remediate: no\/such\/file.yaml: no such file or directory\n$/],
    [['--bogus', 'runbooks'], /unknown option '--bogus'/],
  ])('exits 2 on a usage error: %j', (args, message) => {
    const run = remediate(['validate', ...args]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(hasStackTrace(run.stderr)).toBe(false);
  });

  it('exits 2 on a folder without runbook files', () => {
    const dir = scratch({ 'readme.md': '# nothing' });
    expect(remediate(['validate', dir])).toMatchObject({ status: 2, stderr: `remediate: ${dir}: no .yaml or .yml files found\n` });
  });
});

describe('remediate', () => {
  it('prints help (exit 0) and rejects unknown commands (exit 2)', () => {
    const help = remediate(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/validate \[options\] <paths\.\.\.>/);
    expect(help.stdout).toMatch(/plan \[options\] <incident>/);
    expect(remediate(['frobnicate'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/unknown command 'frobnicate'/) });
  });
});
