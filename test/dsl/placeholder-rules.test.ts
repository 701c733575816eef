/**
 * Incident data is hostile: where a placeholder value lands limits what it may be.
 * Each `defect:` test failed before these rules (the value went through).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileCatalogue } from '../../dsl/compile';
import { parseIncident } from '../../dsl/incident';
import { ContextError, RenderError, renderExecutor, type RenderVars } from '../../dsl/render';
import { renderPlan, validateIncidentContext } from '../../dsl/render-plan';
import { parseTemplate } from '../../dsl/template';
import type { CompiledRunbook, ExecutorSpec, Incident } from '../../dsl/types';
import { compileErrors, compileOk, fileWith, messages, SEED_RUNBOOKS, typedRunbook } from './helpers';

const seed = Object.fromEntries(compileOk(SEED_RUNBOOKS).runbooks.map((r) => [r.id, r]));

function incident(context: Record<string, unknown>): Incident {
  const parsed = parseIncident({ id: 'INC9', root_cause: 'x', confidence: 0.9, service: 'api', context });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.incident;
}
// Rendering must hold for any value (an incident caps its strings, render must not rely on it).
const vars = (context: Record<string, unknown>, steps: RenderVars['steps'] = {}): RenderVars => ({
  incident: incident({}),
  context,
  steps,
});
const template = (text: string) => {
  const parsed = parseTemplate(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.template;
};
/** The one action of a runbook compiled from these fields (context undeclared unless given). */
function action(overrides: Record<string, unknown>): { runbook: CompiledRunbook; spec: ExecutorSpec } {
  const runbook = compileOk(
    fileWith({
      a: typedRunbook({
        context: undefined,
        pre_checks: [],
        post_checks: [{ id: 'ok', probe: { http: { url: 'https://status.internal/healthz' } }, condition: 'result.status == 200' }],
        ...overrides,
      }),
    }),
  ).runbooks[0]!;
  const step = runbook.actions[0]!;
  if (step.kind !== 'action') throw new Error('expected an action');
  return { runbook, spec: step.run };
}
const errorsFor = (overrides: Record<string, unknown>) =>
  compileErrors(fileWith({ a: typedRunbook({ context: undefined, ...overrides }) }));
function renderError(fn: () => unknown): RenderError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RenderError) return error;
    throw error;
  }
  throw new Error('expected a RenderError');
}

describe('argv: a value may not start an argument with "-"', () => {
  it('defect: the reference exercise\'s runbook with pod_name "--all" no longer renders `kubectl delete pod --all`', () => {
    const inc = incident({ pod_name: '--all', namespace: 'production' });
    // The live pre-checks read the pod by name first: "--all" is no Kubernetes name, so nothing renders.
    const error = renderError(() => renderPlan(seed['restart-pod']!, inc));
    expect(error).toMatchObject({ step: 'pre.replicas_greater_than_one', field: 'context.pod_name' });
    // Found before anything runs, with the other context problems (one per field).
    expect(validateIncidentContext(seed['restart-pod']!, inc).map((e) => e.message)).toEqual([error.message]);
    // And the action on its own refuses it too, in its argv.
    const [step] = seed['restart-pod']!.actions;
    if (step?.kind !== 'action') throw new Error('expected an action');
    const inAction = renderError(() => renderExecutor(step.run, { incident: inc, context: inc.context, steps: {} }, { step: 'action' }));
    expect(inAction).toMatchObject({ step: 'action', field: 'context.pod_name' });
    expect(inAction.message).toMatch(/^step action: argv\[3\]: context\.pod_name is "--all", which starts with "-"/);
  });

  it('refuses at run time too, naming the step given, for step outputs as well', () => {
    const spec: ExecutorSpec = {
      executor: 'exec',
      argv: ['kubectl', 'get', '{steps.capture.name}'].map(template),
      env: {},
      okExitCodes: [0],
    };
    const error = renderError(() => renderExecutor(spec, vars({}, { capture: { name: '-o=yaml' } }), { step: 'get' }));
    expect(error).toMatchObject({ name: 'RenderError', step: 'get', field: 'steps.capture.name' });
    expect(error.message).toContain('argv[2]');
    expect(error.message).toContain('"-o=yaml"');
    expect(error).not.toBeInstanceOf(ContextError);
  });

  it('allows it after a literal "--", inside an argument, and not at all from literals', () => {
    const { spec } = action({ actions: [{ id: 'x', exec: { argv: ['kubectl', '--replicas={n}', '-n', '{ns}', '--', 'find', '{dir}'] } }] });
    expect(renderExecutor(spec, vars({ n: -1, ns: 'prod', dir: '-delete' }))).toMatchObject({
      argv: ['kubectl', '--replicas=-1', '-n', 'prod', '--', 'find', '-delete'],
    });
    expect(() => renderExecutor(spec, vars({ n: 1, ns: '-A', dir: 'd' }))).toThrow(RenderError);
  });

  it('allows it for a parameter declared with allow_leading_dash: true, and only that one', () => {
    const { runbook, spec } = action({
      context: { offset: { type: 'string', allow_leading_dash: true }, pod: 'string' },
      actions: [{ id: 'x', exec: { argv: ['tool', '{offset}', '{pod}'] } }],
    });
    expect(runbook.context?.offset).toEqual({ type: 'string', required: true, allowLeadingDash: true });
    const context = { offset: '-5', pod: 'p' };
    expect(renderExecutor(spec, vars(context), { context: runbook.context })).toMatchObject({ argv: ['tool', '-5', 'p'] });
    // Without the declarations (as the workflow calls it today) the safe default applies.
    expect(() => renderExecutor(spec, vars(context))).toThrow(RenderError);
    expect(validateIncidentContext(runbook, incident({ offset: '-5', pod: '-p' })).map((e) => e.field)).toEqual(['context.pod']);
  });

  it('keeps runbooks without allow_leading_dash at the same version', () => {
    const plain = action({ context: { pod: 'string' }, actions: [{ id: 'x', exec: { argv: ['tool', '{pod}'] } }] }).runbook;
    const explicit = action({
      context: { pod: { type: 'string', allow_leading_dash: false } },
      actions: [{ id: 'x', exec: { argv: ['tool', '{pod}'] } }],
    }).runbook;
    expect(explicit.version).toBe(plain.version);
  });
});

describe('argv: the program', () => {
  it('defect: refuses `sh -c` and other launchers as the program, with their position', () => {
    expect(errorsFor({ actions: [{ id: 'x', exec: { argv: ['sh', '-c', 'kubectl delete pod {pod}'] } }] })).toEqual([
      expect.objectContaining({
        path: 'runbooks.a.actions[0].exec.argv[0]',
        message: expect.stringMatching(/^"sh" runs other programs or code from its arguments/),
      }),
    ]);
    for (const program of ['/bin/bash', '/usr/bin/env', 'python3', 'xargs', 'sudo', 'timeout', 'busybox', 'node']) {
      expect(messages(errorsFor({ actions: [{ id: 'x', exec: { argv: [program, 'x'] } }] }))).toEqual([
        expect.stringContaining(`"${program}" runs other programs`),
      ]);
    }
  });

  it('refuses a launcher in a command string at the word, and a placeholder as the program', () => {
    const text = [
      'runbooks:',
      '  a:',
      '    triggers: [x]',
      '    min_confidence: 0.5',
      '    risk: HIGH',
      '    action: "  env X=1 kubectl"',
      '',
    ].join('\n');
    expect(compileErrors(text)).toEqual([
      expect.objectContaining({ line: 6, column: 16, path: 'runbooks.a.action', message: expect.stringMatching(/^"env" runs/) }),
    ]);
    const placeholder = text.replace('env X=1 kubectl', '{tool} x');
    expect(compileErrors(placeholder)).toEqual([
      expect.objectContaining({ line: 6, column: 16, message: 'the program to run must be written literally, found {context.tool}' }),
    ]);
  });

  it('accepts what the compile option allowedPrograms names, by basename or path', () => {
    const text = fileWith({ a: typedRunbook({ actions: [{ id: 'x', exec: { argv: ['/usr/bin/python3', 'fix.py'] } }] }) });
    expect(compileCatalogue([{ file: 't.yaml', text }]).ok).toBe(false);
    expect(compileCatalogue([{ file: 't.yaml', text }], { allowedPrograms: ['python3'] }).ok).toBe(true);
    expect(compileCatalogue([{ file: 't.yaml', text }], { allowedPrograms: ['/usr/bin/python3'] }).ok).toBe(true);
    expect(compileCatalogue([{ file: 't.yaml', text }], { allowedPrograms: ['python'] }).ok).toBe(false);
  });
});

describe('URLs', () => {
  const url = (text: string) => action({ actions: [{ id: 'x', http: { url: text } }] }).spec;
  const rendered = (text: string, context: Record<string, unknown>) => {
    const run = renderExecutor(url(text), vars(context));
    if (run.executor !== 'http') throw new Error('expected http');
    return run.url;
  };

  it('defect: refuses a placeholder that could extend the host, at its position', () => {
    const text = [
      'runbooks:',
      '  a:',
      '    triggers: [x]',
      '    min_confidence: 0.5',
      '    risk: HIGH',
      '    actions:',
      '      - id: x',
      '        http: { url: "https://api.internal{p}/x" }',
      '',
    ].join('\n');
    expect(compileErrors(text)).toEqual([
      expect.objectContaining({
        line: 8,
        column: 43,
        path: 'runbooks.a.actions[0].http.url',
        message: 'the scheme and host of a URL must be written literally (http:// or https://), found https://api.internal{p}/x',
      }),
    ]);
    for (const bad of [
      'https://api.internal{p}',
      'https://api.internal:{port}/x',
      'https://{user}@api.internal/x',
      '{base}/x',
      'ftp://h/{p}',
    ]) {
      expect(messages(errorsFor({ actions: [{ id: 'x', http: { url: bad } }] }))).toEqual([
        expect.stringMatching(/^the scheme and host of a URL must be written literally/),
      ]);
    }
  });

  it('defect: refuses ".." and "." as a path segment, and encodes everything else', () => {
    const error = renderError(() => renderExecutor(url('https://ops.internal/pods/{pod}/restart'), vars({ pod: '..' }), { step: 'x' }));
    expect(error).toMatchObject({ step: 'x', field: 'context.pod' });
    expect(error.message).toBe(
      'step x: url: context.pod is "..", which would change the URL path (a path segment may not be empty, "." or "..")',
    );
    expect(() => rendered('https://ops.internal/pods/{pod}/restart', { pod: '.' })).toThrow(RenderError);
    expect(() => rendered('https://ops.internal/pods/{pod}/restart', { pod: '' })).toThrow(RenderError);
    expect(rendered('https://ops.internal/pods/{pod}/restart', { pod: '%2e%2e' })).toBe('https://ops.internal/pods/%252e%252e/restart');
    expect(rendered('https://ops.internal/pods/{pod}/restart', { pod: '../x?y#z' })).toBe(
      'https://ops.internal/pods/..%2Fx%3Fy%23z/restart',
    );
    expect(rendered('https://ops.internal/q?ns={ns}&all=1', { ns: 'a&all=0' })).toBe('https://ops.internal/q?ns=a%26all%3D0&all=1');
  });

  it('accepts placeholders only as whole path segments and whole query values', () => {
    for (const good of [
      'https://h/{a}',
      'https://h/x/{a}/y',
      'https://h/{a}?b={b}',
      'https://h/{a}#top',
      'https://h:8443/{a}/',
      'https://h?x={a}&y={b}',
      'http://127.0.0.1:4567/pods/{a}',
    ]) {
      expect(() => url(good), good).not.toThrow();
    }
    const bad: [string, RegExp][] = [
      ['https://h/pods/{a}-again', /whole segment/],
      ['https://h/pods/x{a}', /whole segment/],
      ['https://h/{a}{b}', /whole segment/],
      ['https://h/.{a}', /whole segment/],
      ['https://h/x?{a}=1', /whole value/],
      ['https://h/x?a=b{a}', /whole value/],
      ['https://h/x?a={a}b', /whole value/],
      ['https://h/x?a=b={a}', /whole value/],
      ['https://h/x#{a}', /fragment/],
    ];
    for (const [text, message] of bad)
      expect(messages(errorsFor({ actions: [{ id: 'x', http: { url: text } }] })), text).toEqual([expect.stringMatching(message)]);
  });

  it('refuses at render a spec the compiler would refuse (placeholder in the host)', () => {
    const spec: ExecutorSpec = { executor: 'http', method: 'GET', url: template('https://api.internal{p}'), headers: {}, okStatuses: [] };
    expect(() => renderExecutor(spec, vars({ p: '.attacker.example' }))).toThrow(RenderError);
  });
});

describe('Kubernetes fields', () => {
  const k8s = (context: Record<string, unknown>, name = '{pod}') =>
    action({ namespaces: ['prod'], context, actions: [{ id: 'x', kubernetes: { op: 'delete_pod', namespace: '{ns}', name } }] });

  it('declared dns types already refuse "/" and a leading "-", before anything runs', () => {
    const { runbook } = k8s({ ns: 'dns_label', pod: 'dns_subdomain' });
    const fields = (context: Record<string, unknown>) => validateIncidentContext(runbook, incident(context)).map((e) => e.field);
    expect(fields({ ns: '-n', pod: 'a/b' })).toEqual(['context.ns', 'context.pod']);
    expect(fields({ ns: 'prod', pod: '-a' })).toEqual(['context.pod']);
    expect(fields({ ns: 'prod', pod: '..' })).toEqual(['context.pod']);
    expect(fields({ ns: 'prod', pod: 'api-1.x' })).toEqual([]);
  });

  it('refuses at render what a looser type or a step output would let through', () => {
    const { runbook, spec } = k8s({ ns: 'string', pod: 'string' });
    expect(validateIncidentContext(runbook, incident({ ns: 'prod', pod: '../secrets' })).map((e) => e.message)).toEqual([
      'step x: name: context.pod is "../secrets", which makes the Kubernetes name "../secrets", which is not a DNS subdomain (lowercase DNS labels joined by ".", at most 253 characters)',
    ]);
    expect(() => renderExecutor(spec, vars({ ns: '-A', pod: 'p' }))).toThrow(RenderError);
    const fromOutput: ExecutorSpec = {
      executor: 'kubernetes',
      op: 'get_deployment',
      namespace: template('prod'),
      name: template('{steps.inspect.deployment}'),
      namespaces: ['prod'],
    };
    expect(() => renderExecutor(fromOutput, vars({}, { inspect: { deployment: 'a/b' } }))).toThrow(RenderError);
    expect(renderExecutor(fromOutput, vars({}, { inspect: { deployment: 'web' } }))).toMatchObject({ name: 'web' });
  });
});

describe('property: whatever the values, the shape holds or rendering fails with a RenderError', () => {
  const run = action({
    actions: [{ id: 'x', exec: { argv: ['kubectl', 'get', '{a}', '--x={b}', '{c}{d}', '--', '{d}'] } }],
  }).spec;
  const call = action({ actions: [{ id: 'x', http: { url: 'https://ops.internal:8443/api/{a}/x/{b}?q={c}&r={d}' } }] }).spec;
  const special = fc.constantFrom(
    '-x',
    '--all',
    '-',
    '..',
    '.',
    '',
    '%2e%2e',
    '%2F',
    '/',
    '?',
    '#',
    '@',
    ':',
    '\\',
    '//evil.example',
    '@evil.example',
    ':80',
    'ü',
    '\uD800',
    '💥',
    'a\nb',
    'x'.repeat(5000),
  );
  const value = fc.oneof(
    special,
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.integer(),
    fc.boolean(),
  );

  it('argv: no element starts with "-" because of a placeholder (unless after "--"); URL: same origin, same segments', () => {
    const seen = { rendered: 0, refused: 0 };
    fc.assert(
      fc.property(value, value, value, value, (a, b, c, d) => {
        const context = { a, b, c, d };
        const attempt = (spec: ExecutorSpec) => {
          try {
            const resolved = renderExecutor(spec, vars(context));
            seen.rendered += 1;
            return resolved;
          } catch (error) {
            if (!(error instanceof RenderError)) throw error;
            seen.refused += 1;
            return undefined;
          }
        };
        const argv = attempt(run);
        if (argv?.executor === 'exec') {
          expect(argv.argv.slice(0, 2)).toEqual(['kubectl', 'get']);
          expect(String(argv.argv[2]).startsWith('-')).toBe(false);
          expect(String(argv.argv[4]).startsWith('-')).toBe(false);
          expect(argv.argv).toHaveLength(7);
        }
        const http = attempt(call);
        if (http?.executor === 'http') {
          const parsed = new URL(http.url);
          expect(parsed.origin).toBe('https://ops.internal:8443');
          const segments = parsed.pathname.split('/');
          expect(segments).toHaveLength(5);
          expect([segments[1], segments[3]]).toEqual(['api', 'x']);
          expect(decodeURIComponent(segments[2]!)).toBe(String(a));
          expect(decodeURIComponent(segments[4]!)).toBe(String(b));
          expect([...parsed.searchParams.keys()]).toEqual(['q', 'r']);
          expect(parsed.searchParams.get('q')).toBe(String(c));
          expect(parsed.hash).toBe('');
        }
      }),
      { numRuns: 10_000 },
    );
    // Both outcomes were exercised, not just refusals.
    expect(seen.rendered).toBeGreaterThan(2_000);
    expect(seen.refused).toBeGreaterThan(2_000);
  }, 30_000);
});
