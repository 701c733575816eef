/** Secret references in runbooks: where they may stand, what they compile and render to, and the errors. */
import { describe, expect, it } from 'vitest';
import { compileCatalogue } from '../../dsl/compile';
import { renderExecutor } from '../../dsl/render';
import { describeRun } from '../../dsl/steps/describe';
import type { CompileError, ExecutionStep, Incident } from '../../dsl/types';
import { fileWith, onlyRunbook, typedRunbook } from '../dsl/helpers';

const FILE = 'secrets.yaml';
const incident: Incident = {
  id: 'INC1',
  root_cause: 'pod_crash_loop',
  confidence: 1,
  service: 's',
  services: ['s'],
  symptoms: [],
  context: { pod_name: 'web-1', namespace: 'production' },
};

function runbookWith(actions: unknown[]): string {
  return fileWith({ tokened: typedRunbook({ actions }) });
}

const HTTP_ACTION = {
  id: 'call',
  http: {
    method: 'POST',
    url: 'https://api.internal/pods/{pod_name}/restart',
    headers: { Authorization: { secret: 'API_TOKEN' }, 'X-Pod': '{pod_name}' },
    query: { token: { secret: 'API_TOKEN' }, ns: '{namespace}' },
  },
};
const EXEC_ACTION = {
  id: 'run',
  exec: {
    argv: ['deploy-tool', '--token', { secret: 'API_TOKEN' }, '{pod_name}'],
    env: { TOKEN: { secret: 'API_TOKEN' }, NS: '{namespace}' },
  },
};

function compile(text: string, secrets?: readonly string[]) {
  return compileCatalogue([{ file: FILE, text }], secrets === undefined ? {} : { secrets });
}

function errors(text: string, secrets?: readonly string[]): CompileError[] {
  const result = compile(text, secrets);
  if (result.ok) throw new Error('expected compile errors, got none');
  return result.errors;
}

function action(text: string, id: string): Extract<ExecutionStep, { kind: 'action' }> {
  const result = compile(text, ['API_TOKEN', 'OTHER']);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  const step = onlyRunbook(result.catalogue).actions.find((a) => a.id === id);
  if (step?.kind !== 'action') throw new Error(`no action ${id}`);
  return step;
}

describe('compiling { secret: NAME }', () => {
  it('compiles a reference node in headers, query:, env and argv, renders it as a name and describes it as secret:NAME', () => {
    const text = runbookWith([HTTP_ACTION, EXEC_ACTION]);
    const http = action(text, 'call');
    expect(http.run).toMatchObject({
      headers: { Authorization: { kind: 'secret', name: 'API_TOKEN' } },
      query: { token: { kind: 'secret', name: 'API_TOKEN' } },
    });
    const exec = action(text, 'run');
    expect(exec.run).toMatchObject({ env: { TOKEN: { kind: 'secret', name: 'API_TOKEN' } } });
    expect(exec.run.executor === 'exec' && exec.run.argv[2]).toEqual({ kind: 'secret', name: 'API_TOKEN' });

    const vars = { incident, context: incident.context, steps: {} };
    const renderedHttp = renderExecutor(http.run, vars, { step: 'call' });
    expect(renderedHttp).toMatchObject({
      url: 'https://api.internal/pods/web-1/restart',
      headers: { Authorization: { secret: 'API_TOKEN' }, 'X-Pod': 'web-1' },
      query: { token: { secret: 'API_TOKEN' }, ns: 'production' },
    });
    expect(describeRun(renderedHttp)).toBe('POST https://api.internal/pods/web-1/restart?token=secret:API_TOKEN&ns=production');
    const renderedExec = renderExecutor(exec.run, vars, { step: 'run' });
    expect(renderedExec).toMatchObject({
      argv: ['deploy-tool', '--token', { secret: 'API_TOKEN' }, 'web-1'],
      env: { TOKEN: { secret: 'API_TOKEN' } },
    });
    expect(describeRun(renderedExec)).toBe('deploy-tool --token secret:API_TOKEN web-1');
    expect(onlyRunbook((compile(text, ['API_TOKEN']) as { ok: true; catalogue: never }).catalogue).actions[1]).toMatchObject({
      description: 'deploy-tool --token secret:API_TOKEN {context.pod_name}',
    });
  });

  it('an unknown name is an error at its FILE:LINE:COL naming the names the policy defines', () => {
    const text = runbookWith([
      { id: 'call', http: { url: 'https://api.internal/x', headers: { Authorization: { secret: 'API_TOKNE' } } } },
    ]);
    const [error, ...rest] = errors(text, ['API_TOKEN', 'OTHER']);
    expect(rest).toEqual([]);
    expect(error).toMatchObject({ file: FILE, path: 'runbooks.tokened.actions[0].http.headers.Authorization.secret' });
    expect(error!.message).toContain('unknown secret:API_TOKNE');
    expect(error!.message).toContain('API_TOKEN, OTHER');
    const line = text.split('\n').findIndex((l) => l.includes('API_TOKNE')) + 1;
    expect(error!.line).toBe(line);
    expect(error!.column).toBe(text.split('\n')[line - 1]!.indexOf('API_TOKNE') + 1);
  });

  it('without a policy no name is known: the error says the operator must define it', () => {
    const [error] = errors(runbookWith([EXEC_ACTION]));
    expect(error!.message).toContain('the operator must define it under secrets:');
    expect(error!.path).toBe('runbooks.tokened.actions[0].exec.argv[2].secret');
  });

  it('is refused where it is not allowed: the URL, the program, a body, spliced into text, a bad name', () => {
    const cases: [unknown, string][] = [
      [{ id: 'a', http: { url: { secret: 'API_TOKEN' } } }, 'runbooks.tokened.actions[0].http.url'],
      [{ id: 'a', http: { url: 'https://{secret.API_TOKEN}.internal/x' } }, 'runbooks.tokened.actions[0].http.url'],
      [{ id: 'a', http: { url: 'https://api.internal/x?token={secret:API_TOKEN}' } }, 'runbooks.tokened.actions[0].http.url'],
      [{ id: 'a', exec: { argv: [{ secret: 'API_TOKEN' }, 'x'] } }, 'runbooks.tokened.actions[0].exec.argv[0]'],
      [{ id: 'a', exec: { argv: ['tool'], cwd: { secret: 'API_TOKEN' } } }, 'runbooks.tokened.actions[0].exec.cwd'],
      [{ id: 'a', exec: { argv: ['tool'], env: { T: { secret: '9lives' } } } }, 'runbooks.tokened.actions[0].exec.env.T.secret'],
      [{ id: 'a', exec: { argv: ['tool'], env: { T: { secret: 'API_TOKEN', extra: 1 } } } }, 'runbooks.tokened.actions[0].exec.env.T'],
    ];
    for (const [step, path] of cases) {
      const found = errors(runbookWith([step]), ['API_TOKEN']);
      expect(
        found.map((e) => e.path).some((p) => p.startsWith(path)),
        `${JSON.stringify(step)}: ${JSON.stringify(found)}`,
      ).toBe(true);
    }
    const spliced = errors(runbookWith([{ id: 'a', http: { url: 'https://api.internal/x?token={secret.API_TOKEN}' } }]), ['API_TOKEN']);
    expect(spliced[0]!.message).toContain('a secret cannot be part of a text');
  });

  it('leaves runbooks without secrets or query: compiled (and hashed) as before', () => {
    const text = runbookWith([{ id: 'call', http: { url: 'https://api.internal/x', headers: { A: 'b' } } }]);
    const plain = compile(text);
    const withNames = compile(text, ['API_TOKEN']);
    if (!plain.ok || !withNames.ok) throw new Error('expected to compile');
    expect(plain.catalogue.version).toBe(withNames.catalogue.version);
    expect(onlyRunbook(plain.catalogue).actions[0]).not.toHaveProperty('run.query');
  });
});
