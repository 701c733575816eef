/** The operator policy's prometheus: section: named servers, credentials read at load, never printed. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadOperatorPolicy, parseOperatorPolicy, PolicyFileError, type PolicyError } from '../../worker/operator-policy';
import { compileOptions, loadOperatorConfig, WorkerConfigError } from '../../worker/operator-config';

const FILE = 'conf/policy.yaml';
const TOKEN = 's3cr3t-bearer-token';
const PASSWORD = 'hunter2-basic-password';

/** Files under conf/ (the policy's folder), by name; anything else does not exist. */
function files(contents: Record<string, string>) {
  const known = new Map(Object.entries(contents).map(([name, text]) => [`conf/${name}`, text]));
  return (path: string) => {
    const text = known.get(path);
    if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return text;
  };
}

const READ = files({ 'prom-token': `${TOKEN}\n` });
const ENV = { PROM_PASSWORD: PASSWORD };

function parse(text: string, readFile = READ, env: NodeJS.ProcessEnv = ENV) {
  return parseOperatorPolicy(FILE, text, readFile, env);
}

function errorsOf(text: string, readFile = READ, env: NodeJS.ProcessEnv = ENV): PolicyError[] {
  try {
    parse(text, readFile, env);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyFileError);
    const failure = error as PolicyFileError;
    // No error names a credential, whatever it is about.
    expect(failure.message).not.toContain(TOKEN);
    expect(failure.message).not.toContain(PASSWORD);
    return failure.errors;
  }
  throw new Error('expected a PolicyFileError');
}

function onlyError(text: string, readFile = READ, env: NodeJS.ProcessEnv = ENV): PolicyError {
  const errors = errorsOf(text, readFile, env);
  expect(errors).toHaveLength(1);
  return errors[0]!;
}

const TWO_SERVERS = `prometheus:
  default: main
  servers:
    main:
      url: http://127.0.0.1:9090/
      authorization: { type: Bearer, credentials_file: ./prom-token }
      timeout: 10s
    edge:
      url: https://prometheus.example/prom
      basic_auth: { username: remediate, password_env: PROM_PASSWORD }
`;

describe('operator policy: prometheus servers', () => {
  it('reads each server, its credential from a file next to the policy or a variable, and the default', () => {
    const policy = parse(TWO_SERVERS);
    const { servers } = policy.prometheus;
    expect(policy.prometheus.default).toBe('main');
    expect([...servers.keys()]).toEqual(['main', 'edge']);
    expect(servers.get('main')).toMatchObject({ name: 'main', url: 'http://127.0.0.1:9090', timeoutMs: 10_000 });
    expect(servers.get('main')!.authorization!.reveal()).toBe(`Bearer ${TOKEN}`);
    expect(servers.get('edge')).toMatchObject({ name: 'edge', url: 'https://prometheus.example/prom' });
    expect(servers.get('edge')!.authorization!.reveal()).toBe(`Basic ${Buffer.from(`remediate:${PASSWORD}`).toString('base64')}`);
    expect(servers.get('edge')!.timeoutMs).toBeUndefined();
    expect(compileOptions(policy).prometheusServers).toEqual(['main', 'edge']);
  });

  it('never prints a credential: not in JSON, not in inspect, not in the version', () => {
    const policy = parse(TWO_SERVERS);
    const printed = [
      JSON.stringify({ ...policy, prometheus: [...policy.prometheus.servers.values()] }),
      inspect(policy, { depth: 10 }),
      String(policy.prometheus.servers.get('main')!.authorization),
    ].join('\n');
    const basic = Buffer.from(`remediate:${PASSWORD}`).toString('base64');
    for (const secret of [TOKEN, PASSWORD, basic]) expect(printed).not.toContain(secret);
    expect(printed).toContain('[redacted]');
    // The version is the policy text's, as before: the credential's text is not part of it.
    expect(policy.version).toBe(createHash('sha256').update(TWO_SERVERS).update('\0').digest('hex'));
    expect(parse(TWO_SERVERS, files({ 'prom-token': 'another' })).version).toBe(policy.version);
  });

  it('one server is the default without saying so; the type defaults to Bearer; an absolute file is read as given', () => {
    const policy = parse(
      'prometheus:\n  servers:\n    only:\n      url: http://p:9090\n      authorization: { credentials_file: /etc/prom-token }\n',
      (path) => (path === '/etc/prom-token' ? '  tok  \n' : ''),
    );
    expect(policy.prometheus.default).toBe('only');
    expect(policy.prometheus.servers.get('only')!.authorization!.reveal()).toBe('Bearer tok');
    const custom = parse(
      'prometheus:\n  servers:\n    a: { url: "http://p", authorization: { type: Token, credentials_env: T } }\n',
      READ,
      { T: 'x1' },
    );
    expect(custom.prometheus.servers.get('a')!.authorization!.reveal()).toBe('Token x1');
    const open = parse('prometheus:\n  servers:\n    a: { url: "http://p" }\n');
    expect(open.prometheus.servers.get('a')!.authorization).toBeUndefined();
  });

  it('several servers need a default, and the default must be one of them (did you mean)', () => {
    const two = 'prometheus:\n  servers:\n    a: { url: "http://a" }\n    b: { url: "http://b" }\n';
    expect(onlyError(two)).toMatchObject({
      path: 'prometheus',
      message: '2 servers and no default: set prometheus.default to one of a, b',
    });
    const e = onlyError(TWO_SERVERS.replace('default: main', 'default: mian'));
    expect(e).toMatchObject({ file: FILE, line: 2, column: 12, path: 'prometheus.default' });
    expect(e.message).toBe('unknown server "mian" (did you mean "main"?); servers: main, edge');
  });

  it('refuses unknown keys, with their position', () => {
    const e = onlyError('prometheus:\n  servers:\n    a:\n      url: http://a\n      tiemout: 5s\n');
    expect(e).toMatchObject({ line: 5, column: 7, path: 'prometheus.servers.a.tiemout' });
    expect(e.message).toContain('did you mean "timeout"?');
    expect(onlyError('prometheus:\n  servers:\n    a:\n      url: http://a\n      authorization: { token: x }\n').path).toBe(
      'prometheus.servers.a.authorization.token',
    );
    expect(onlyError('prometheus:\n  url: http://a\n').path).toBe('prometheus.url');
  });

  it.each([
    ['ftp://p:9090', 'url', 'expected an http:// or https:// URL'],
    ['http://p:9090/?x=1', 'url', 'takes no query or fragment'],
    ['http://p:9090/#a', 'url', 'takes no query or fragment'],
    [`http://remediate:${PASSWORD}@p:9090`, 'url', 'credentials do not belong in the URL'],
  ])('refuses the URL %s', (url, field, message) => {
    const e = onlyError(`prometheus:\n  servers:\n    a:\n      url: "${url}"\n`);
    expect(e).toMatchObject({ line: 4, column: 12, path: `prometheus.servers.a.${field}` });
    expect(e.message).toContain(message);
  });

  it('needs exactly one way of authenticating and exactly one source of its secret', () => {
    const server = (auth: string) => `prometheus:\n  servers:\n    a:\n      url: http://a\n${auth}`;
    const both = server(
      '      authorization: { credentials_env: PROM_PASSWORD }\n      basic_auth: { username: u, password_env: PROM_PASSWORD }\n',
    );
    expect(onlyError(both)).toMatchObject({ path: 'prometheus.servers.a', message: 'give one of authorization and basic_auth, not both' });
    expect(onlyError(server('      authorization: { credentials_file: ./prom-token, credentials_env: PROM_PASSWORD }\n'))).toMatchObject({
      path: 'prometheus.servers.a.authorization',
      message: 'expected exactly one of credentials_file and credentials_env',
    });
    expect(onlyError(server('      authorization: { type: Bearer }\n')).message).toBe(
      'expected exactly one of credentials_file and credentials_env',
    );
    expect(onlyError(server('      basic_auth: { username: u }\n')).message).toBe('expected exactly one of password_file and password_env');
    expect(onlyError(server('      basic_auth: { username: "u:v", password_env: PROM_PASSWORD }\n')).path).toBe(
      'prometheus.servers.a.basic_auth.username',
    );
    expect(onlyError(server('      authorization: { type: "Bearer x", credentials_env: PROM_PASSWORD }\n')).path).toBe(
      'prometheus.servers.a.authorization.type',
    );
  });

  it('an unreadable credentials file or an unset variable is a policy error (the worker does not start)', () => {
    const missing = onlyError(TWO_SERVERS, files({}));
    expect(missing).toMatchObject({ line: 6, path: 'prometheus.servers.main.authorization.credentials_file' });
    expect(missing.message).toMatch(/^cannot read the credentials file conf\/prom-token: ENOENT/);
    const unset = onlyError(TWO_SERVERS, READ, {});
    expect(unset).toMatchObject({ line: 10, path: 'prometheus.servers.edge.basic_auth.password_env' });
    expect(unset.message).toBe('the environment variable PROM_PASSWORD is not set');
  });

  it('refuses an empty credential, or one that would break the header, without quoting it', () => {
    expect(onlyError(TWO_SERVERS, files({ 'prom-token': ' \n' })).message).toBe('the credential in the file conf/prom-token is empty');
    const split = onlyError(TWO_SERVERS, files({ 'prom-token': `${TOKEN}\nX-Injected: ${TOKEN}` }));
    expect(split.message).toBe(
      'the credential in the file conf/prom-token holds a line break or another control character, which no HTTP header may carry',
    );
    expect(onlyError(TWO_SERVERS, READ, { PROM_PASSWORD: `${PASSWORD}\r\nX: y` }).path).toBe(
      'prometheus.servers.edge.basic_auth.password_env',
    );
  });

  it.each(['__proto__', 'constructor', 'toString'])('server name %s is refused at its key', (name) => {
    const e = onlyError(`prometheus:\n  default: a\n  servers:\n    a: { url: "http://a" }\n    ${name}: { url: "http://evil" }\n`);
    expect(e).toMatchObject({ line: 5, column: 5, path: `prometheus.servers.${name}` });
    expect(e.message).toContain('reserved');
  });

  it('refuses a server name that is not a plain name', () => {
    expect(onlyError('prometheus:\n  servers:\n    "http://p": { url: "http://p" }\n').message).toContain('a server name');
  });
});

describe('operator policy: REMEDIATE_PROMETHEUS_URL, the shortcut', () => {
  const URL_ENV = { REMEDIATE_PROMETHEUS_URL: 'http://127.0.0.1:9090/' };

  it('is one server named default, without credentials, when the policy defines none', () => {
    for (const policy of [loadOperatorPolicy(undefined, URL_ENV), parse('limits: { max_concurrent: 2 }\n', READ, URL_ENV)]) {
      expect(policy.prometheus.default).toBe('default');
      expect([...policy.prometheus.servers.values()]).toEqual([{ name: 'default', url: 'http://127.0.0.1:9090' }]);
    }
    expect(loadOperatorPolicy(undefined, {}).prometheus.servers.size).toBe(0);
    expect(() => loadOperatorPolicy(undefined, { REMEDIATE_PROMETHEUS_URL: 'ftp://p' })).toThrow(
      /REMEDIATE_PROMETHEUS_URL: expected an http or https URL/,
    );
  });

  // Decision: both at once is refused, whatever the default: a step naming no server would otherwise
  // depend on which of the two the reader thinks wins.
  it('is refused together with prometheus.servers, at the servers key', () => {
    const e = onlyError(TWO_SERVERS, READ, { ...ENV, ...URL_ENV });
    expect(e).toMatchObject({ line: 3, column: 3, path: 'prometheus.servers' });
    expect(e.message).toContain('REMEDIATE_PROMETHEUS_URL is set as well as prometheus.servers');
  });

  it('a default without servers must be the shortcut', () => {
    expect(parse('prometheus:\n  default: default\n', READ, URL_ENV).prometheus.default).toBe('default');
    expect(onlyError('prometheus:\n  default: main\n')).toMatchObject({
      path: 'prometheus.default',
      message: 'unknown server "main": no servers are defined under prometheus.servers',
    });
  });
});

describe("the worker compiles its catalogue against the policy's servers", () => {
  const runbook = (server: string) => `runbooks:
  r:
    risk: HIGH
    root_causes: [x]
    min_confidence: 0.5
    actions: [{ id: a, exec: { argv: ['true'] } }]
    post_checks:
      - id: rate
        probe: { prometheus: { server: ${server}, query: 'up' } }
        condition: result.value > 0.0
`;

  it('refuses to start on a server the policy does not define, at its position, with a did-you-mean', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'remediate-prom-policy-'));
    try {
      writeFileSync(join(dir, 'policy.yaml'), 'prometheus:\n  servers:\n    main: { url: "http://127.0.0.1:9090" }\n');
      writeFileSync(join(dir, 'ok.yaml'), runbook('main'));
      const config = await loadOperatorConfig({ runbooks: join(dir, 'ok.yaml'), policyFile: join(dir, 'policy.yaml') });
      expect(config.policy.prometheus.default).toBe('main');
      writeFileSync(join(dir, 'bad.yaml'), runbook('mian'));
      const error = await loadOperatorConfig({ runbooks: join(dir, 'bad.yaml'), policyFile: join(dir, 'policy.yaml') }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WorkerConfigError);
      expect((error as WorkerConfigError).lines[1]).toBe(
        `${join(dir, 'bad.yaml')}:9:40: runbooks.r.post_checks[0].probe.prometheus.server: unknown Prometheus server "mian" (did you mean "main"?); servers: main`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
