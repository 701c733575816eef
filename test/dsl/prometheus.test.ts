/** The prometheus step kind: PromQL placeholders only inside double-quoted strings, escaped there. */
import { describe, expect, it } from 'vitest';
import { evaluateCondition } from '../../dsl/cel';
import { compileCatalogue } from '../../dsl/compile';
import { renderExecutor } from '../../dsl/render';
import { describeResult, describeRun } from '../../dsl/steps/describe';
import { parsePromqlTemplate, promqlStringContent } from '../../dsl/steps/promql';
import type { CheckStep, ExecutorResult, Incident, PrometheusSpec } from '../../dsl/types';
import { rendererFor } from '../../workflows/renderer';
import { compileErrors, compileOk, onlyRunbook } from './helpers';

/** A file whose one post-check queries `query` (written single-quoted, so offsets map one to one). */
function fileQuerying(query: string, extra = ''): string {
  return `runbooks:
  r:
    risk: HIGH
    root_causes: [x]
    min_confidence: 0.5
    context: { service: string }
    actions: [{ id: a, exec: { argv: ['true'] } }]
    post_checks:
      - id: rate
        probe:
          prometheus: { query: '${query}'${extra} }
        condition: result.value < 0.05
`;
}

/** Where offset `offset` of the query is in fileQuerying's text: 1-based line and column. */
function positionOf(query: string, offset: number): { line: number; column: number } {
  const lines = fileQuerying(query).split('\n');
  const line = lines.findIndex((text) => text.includes('prometheus:'));
  return { line: line + 1, column: lines[line]!.indexOf("'") + 2 + offset };
}

function compiledProbe(query: string, extra = ''): PrometheusSpec {
  const check = onlyRunbook(compileOk(fileQuerying(query, extra))).postChecks[0] as CheckStep;
  if (check.probe?.executor !== 'prometheus') throw new Error('expected a prometheus probe');
  return check.probe;
}

const incident = (service: string): Incident => ({
  id: 'I',
  root_cause: 'x',
  confidence: 1,
  service,
  services: [service],
  symptoms: [],
  context: { service },
});

function rendered(query: string, service: string): string {
  const run = renderExecutor(compiledProbe(query), { incident: incident(service), context: { service }, steps: {} });
  if (run.executor !== 'prometheus') throw new Error('expected a prometheus run');
  return run.query;
}

const RATE = 'rate(http_errors_total{service="{service}"}[5m])';

describe('compiling a prometheus probe', () => {
  it('keeps PromQL braces literal and a placeholder inside a double-quoted string', () => {
    const spec = compiledProbe(RATE, ', timeout: 3s, allow_empty: true');
    expect(spec).toEqual({
      executor: 'prometheus',
      query: {
        parts: [
          { kind: 'literal', text: 'rate(http_errors_total{service="' },
          { kind: 'placeholder', path: ['context', 'service'] },
          { kind: 'literal', text: '"}[5m])' },
        ],
      },
      timeoutMs: 3_000,
      allowEmpty: true,
    });
    expect(compiledProbe('sum(up{job="x"})').allowEmpty).toBe(false);
  });

  it.each([
    ['a placeholder outside a string', 'up{job="x"} > {service}', 'up{job="x"} > '.length, 'outside a double-quoted string'],
    ['a placeholder as a whole matcher', 'up{{service}}', 'up{'.length, 'outside a double-quoted string'],
    ['a placeholder as the metric name', '{service}_total', 0, 'outside a double-quoted string'],
    ['a placeholder in a raw string', 'up{job=~`{service}`}', 'up{job=~`'.length, 'outside a double-quoted string'],
    ['a placeholder in a regex matcher (".*" would select every service)', 'up{job=~"{service}"}', 'up{job=~"'.length, 'equality matcher'],
    ['a placeholder in a negative regex matcher', 'up{job!~"x-{service}"}', 'up{job!~"x-'.length, 'equality matcher'],
    [
      'a placeholder in a function argument',
      'label_replace(up, "dst", "{service}", "src", "(.*)")',
      'label_replace(up, "dst", "'.length,
      'equality matcher',
    ],
    ['a placeholder in a comparison', 'up{job="x"} == "{service}"', 'up{job="x"} == "'.length, 'equality matcher'],
    ['an undeclared placeholder', 'up{job="{nope}"}', 'up{job="'.length, 'placeholder {nope} is not declared'],
    ['an unclosed brace in a string', 'up{job="{service"}', 'up{job="'.length, 'unclosed "{"'],
    ['an unterminated string', 'up{job="x', 'up{job='.length, 'unterminated PromQL string'],
  ])('refuses %s, at its position', (_why, query, offset, message) => {
    const errors = compileErrors(fileQuerying(query));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain(message);
    expect(errors[0]).toMatchObject(positionOf(query, offset));
  });

  it('reads {{ and }} inside a string as literal braces (a regex count)', () => {
    const parsed = parsePromqlTemplate('up{job=~"a{{2}}"}');
    expect(parsed).toMatchObject({ ok: true, template: { parts: [{ kind: 'literal', text: 'up{job=~"a{2}"}' }] } });
  });

  it('refuses a timeout of zero', () => {
    expect(compileErrors(fileQuerying('up', ', timeout: 0')).map((e) => e.message)).toEqual([
      'expected a duration greater than zero, found 0',
    ]);
  });
});

describe('naming a Prometheus server', () => {
  const named = (server: string) => fileQuerying('up', `, server: ${server}`);
  const withServers = (text: string, prometheusServers: readonly string[]) =>
    compileCatalogue([{ file: 'test.yaml', text }], { prometheusServers });
  /** Where the server's name is in fileQuerying's text. */
  const serverPosition = (server: string) => {
    const lines = named(server).split('\n');
    const line = lines.findIndex((text) => text.includes('prometheus:'));
    return { line: line + 1, column: lines[line]!.indexOf(`server: ${server}`) + 'server: '.length + 1 };
  };

  it('keeps the name in the spec and the run, and only when named (versions of other runbooks stay)', () => {
    expect(compiledProbe('up', ', server: main').server).toBe('main');
    expect(compiledProbe('up')).not.toHaveProperty('server');
    const run = renderExecutor(compiledProbe('up', ', server: main'), { incident: incident('s'), context: { service: 's' }, steps: {} });
    expect(run).toMatchObject({ executor: 'prometheus', server: 'main', query: 'up' });
    expect(describeRun({ executor: 'prometheus', server: 'main', query: 'up', allowEmpty: false })).toBe('PromQL up (server main)');
  });

  it('is a name, never a URL', () => {
    const errors = compileErrors(named('"http://evil.example:9090"'));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toContain('server');
  });

  it('is checked against the operator policy when the compiler knows its servers, with a did-you-mean', () => {
    expect(withServers(named('main'), ['main', 'edge']).ok).toBe(true);
    const result = withServers(named('mian'), ['main', 'edge']);
    if (result.ok) throw new Error('expected an error');
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({
      ...serverPosition('mian'),
      message: 'unknown Prometheus server "mian" (did you mean "main"?); servers: main, edge',
    });
    expect(result.errors[0]!.path).toMatch(/prometheus\.server$/);
    const none = withServers(named('main'), []);
    expect(!none.ok && none.errors[0]!.message).toBe(
      'unknown Prometheus server "main"; the operator policy configures no Prometheus server',
    );
    // A step naming no server is the default's: not a compile error, the worker fails it closed if there is none.
    expect(withServers(fileQuerying('up'), []).ok).toBe(true);
  });

  it('is not checked without the option (a runbook compiled away from its worker)', () => {
    expect(compiledProbe('up', ', server: anything').server).toBe('anything');
  });

  it('is checked where a shared check is used, too', () => {
    const text = `checks:
  rate_ok:
    probe: { prometheus: { server: mian, query: 'up' } }
    condition: result.value < 0.05
runbooks:
  r:
    risk: HIGH
    root_causes: [x]
    min_confidence: 0.5
    actions: [{ id: a, exec: { argv: ['true'] } }]
    post_checks: [rate_ok]
`;
    const result = withServers(text, ['main']);
    expect(!result.ok && result.errors.map((e) => e.message).join('\n')).toContain(
      'unknown Prometheus server "mian" (did you mean "main"?)',
    );
  });
});

describe('rendering a prometheus probe', () => {
  it('fills a plain value as it is', () => {
    expect(rendered(RATE, 'checkout')).toBe('rate(http_errors_total{service="checkout"}[5m])');
  });

  it.each([
    ['a quote and brace that would close the matcher', 'x"} or vector(1) or up{a="', 'x\\"} or vector(1) or up{a=\\"'],
    ['a backslash that would escape the closing quote', 'x\\', 'x\\\\'],
    ['line breaks', 'a\nb\rc\td', 'a\\nb\\rc\\td'],
  ])('escapes %s, so the value stays inside its string', (_why, service, escaped) => {
    expect(rendered(RATE, service)).toBe(`rate(http_errors_total{service="${escaped}"}[5m])`);
    expect(promqlStringContent(service)).toBe(escaped);
  });

  it('is refused by the renderer of runs recorded before placeholder-rules, which never had the kind', () => {
    const vars = { incident: incident('s'), context: { service: 's' }, steps: {} };
    expect(() => rendererFor(false).step(compiledProbe(RATE), vars, 'rate', null)).toThrow(
      'step rate: executor: a run rendered by the rules before placeholder-rules cannot run a prometheus step',
    );
    expect(rendererFor(true).step(compiledProbe(RATE), vars, 'rate', null)).toMatchObject({ query: RATE.replace('{service}', 's') });
  });

  it('leaves the rendering of the other kinds as it was (a line sink still refuses a line break)', () => {
    const render = () =>
      renderExecutor(
        { executor: 'exec', argv: [{ parts: [{ kind: 'placeholder', path: ['context', 'service'] }] }], env: {}, okExitCodes: [0] },
        { incident: incident('a\nb'), context: { service: 'a\nb' }, steps: {} },
      );
    expect(render).toThrow('expected a single line of text');
  });
});

describe('describing a prometheus probe and its result', () => {
  const result = (overrides: Partial<Extract<ExecutorResult, { executor: 'prometheus' }>>): ExecutorResult => ({
    executor: 'prometheus',
    ok: true,
    query: 'q',
    resultType: 'vector',
    samples: [],
    message: '',
    durationMs: 1,
    ...overrides,
  });

  it('shows the query and what it answered', () => {
    expect(describeRun({ executor: 'prometheus', query: 'up{job="x"}', allowEmpty: false })).toBe('PromQL up{job="x"}');
    expect(describeResult(result({ samples: [{ labels: { service: 'checkout' }, value: '0.01' }], value: '0.01' }))).toBe(
      '1 sample 0.01 {service="checkout"}',
    );
    expect(
      describeResult(
        result({
          samples: [
            { labels: {}, value: '1' },
            { labels: {}, value: '2' },
          ],
          value: '1',
        }),
      ),
    ).toBe('2 samples, first 1');
    expect(describeResult(result({ resultType: 'scalar', value: '3' }))).toBe('scalar 3');
    expect(describeResult(result({ ok: false, resultType: 'none', message: 'no samples: x' }))).toBe('failed: no samples: x');
  });

  it('gives the condition doubles, also for whole values, NaN and infinities', () => {
    const vars = (value: string) => ({
      incident: incident('s'),
      context: {},
      steps: {},
      result: result({ samples: [{ labels: { service: 's' }, value }], value }),
    });
    expect(evaluateCondition('result.value < 0.05', vars('0'))).toEqual({ ok: true, value: true });
    expect(evaluateCondition('result.samples[0].value == 1.0', vars('1'))).toEqual({ ok: true, value: true });
    expect(evaluateCondition("result.samples[0].labels.service == 's'", vars('1'))).toEqual({ ok: true, value: true });
    expect(evaluateCondition('result.value < 0.05', vars('NaN'))).toEqual({ ok: true, value: false });
    expect(evaluateCondition('result.value > 1e308', vars('+Inf'))).toEqual({ ok: true, value: true });
    expect(evaluateCondition("result.resultType == 'vector'", vars('1'))).toEqual({ ok: true, value: true });
  });
});
