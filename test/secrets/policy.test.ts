/** The operator policy's secrets: section: strict, located errors; nothing read at load. */
import { describe, expect, it } from 'vitest';
import { compileOptions } from '../../worker/operator-config';
import { parseOperatorPolicy, PolicyFileError, type PolicyError } from '../../worker/operator-policy';

const FILE = 'conf/policy.yaml';
const noFiles = (path: string): string => {
  throw new Error(`ENOENT: no such file or directory, open '${path}'`);
};

function parse(text: string) {
  return parseOperatorPolicy(FILE, text, noFiles, {});
}

function errorsOf(text: string): PolicyError[] {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyFileError);
    return (error as PolicyFileError).errors;
  }
  throw new Error('expected policy errors, got none');
}

describe('operator policy secrets:', () => {
  it('maps each name to its source, a relative file to the policy folder, without reading anything', () => {
    const policy = parse(
      [
        'secrets:',
        '  API_TOKEN: { env: REMEDIATE_API_TOKEN }',
        '  DEPLOY_KEY: { file: deploy.key }',
        '  ABS: { file: /run/secrets/abs }',
        '  DB_PASSWORD: { kubernetes: { namespace: ops, name: db-creds, key: password } }',
      ].join('\n'),
    );
    expect([...policy.secrets]).toEqual([
      ['API_TOKEN', { kind: 'env', variable: 'REMEDIATE_API_TOKEN' }],
      ['DEPLOY_KEY', { kind: 'file', path: 'conf/deploy.key' }],
      ['ABS', { kind: 'file', path: '/run/secrets/abs' }],
      ['DB_PASSWORD', { kind: 'kubernetes', namespace: 'ops', name: 'db-creds', key: 'password' }],
    ]);
    expect(compileOptions(policy).secrets).toEqual(['API_TOKEN', 'DEPLOY_KEY', 'ABS', 'DB_PASSWORD']);
  });

  it('defines none by default', () => {
    expect(parse('limits: { max_concurrent: 2 }').secrets.size).toBe(0);
  });

  it('refuses bad names, unknown keys, no source or two, and incomplete Kubernetes references, each at its line', () => {
    const text = [
      'secrets:', // 1
      '  9lives: { env: X }', // 2
      '  TWO: { env: X, file: y }', // 3
      '  NONE: {}', // 4
      '  TYPO: { enviroment: X }', // 5
      '  KUBE: { kubernetes: { namespace: ops, name: db } }', // 6
      '  BADVAR: { env: "not a var" }', // 7
    ].join('\n');
    const errors = errorsOf(text);
    const at = (line: number) => errors.filter((e) => e.line === line).map((e) => e.message);
    expect(at(2).join()).toContain('a secret name');
    expect(at(5).join()).toMatch(/enviroment/);
    expect(at(6).join()).toContain('key');
    expect(at(7).join()).toContain('an environment variable name');
    expect(errors.every((e) => e.file === FILE)).toBe(true);
    // Shape errors stop the loader before source checks: those are their own case.
    const sources = errorsOf(['secrets:', '  TWO: { env: X, file: y }', '  NONE: {}'].join('\n'));
    expect(sources).toEqual([
      expect.objectContaining({ line: 2, path: 'secrets.TWO', message: expect.stringContaining('found env and file') }),
      expect.objectContaining({ line: 3, path: 'secrets.NONE', message: expect.stringContaining('found none') }),
    ]);
  });
});
