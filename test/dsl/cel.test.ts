import { Environment } from '@marcbachmann/cel-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CelEvalError,
  checkCondition,
  checkExpr,
  evalCondition,
  evalOutput,
  evaluateCondition,
  evaluateOutput,
  type CelVars,
} from '../../dsl/cel';
import type { ExecutorResult, Incident, ParamDecl } from '../../dsl/types';

const incident: Incident = {
  id: 'INC1',
  root_cause: 'CrashLoopBackOff',
  confidence: 1,
  service: 'api',
  services: ['api'],
  symptoms: [],
  context: {},
};
const vars = (context: Record<string, unknown>, extra: Partial<CelVars> = {}): CelVars => ({ incident, context, steps: {}, ...extra });
const untyped = { context: null, result: false };

describe('checkExpr (compile time)', () => {
  it('accepts expressions over the declared variables', () => {
    expect(checkExpr('context.replicas > 1 && incident.confidence >= 0.9', untyped)).toEqual({ ok: true, type: 'bool' });
    expect(checkExpr('steps.capture.replicas + 1', untyped).ok).toBe(true);
  });

  it('reports syntax errors with their offset', () => {
    expect(checkExpr('context.replicas >', untyped)).toMatchObject({
      ok: false,
      offset: 18,
      message: expect.stringMatching(/Unexpected token/),
    });
  });

  it('reports type errors', () => {
    expect(checkExpr('incident.confidence + "x"', untyped)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/no such overload/),
    });
    expect(checkExpr('incident.confidance > 0.5', untyped)).toMatchObject({ ok: false, message: 'unknown field incident.confidance' });
  });

  it('knows `result` only where there is one', () => {
    expect(checkExpr('result.exitCode == 0', untyped)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/Unknown variable: result/),
    });
    expect(checkExpr('result.exitCode == 0', { context: null, result: true }).ok).toBe(true);
  });

  it('type-checks against a declared context, naming the declared fields', () => {
    const scope = { context: { replicas: { type: 'int', required: true } as ParamDecl }, result: false };
    expect(checkExpr('context.replicas > 1', scope).ok).toBe(true);
    expect(checkExpr('context.replica > 1', scope)).toMatchObject({
      ok: false,
      message: "unknown field context.replica; the runbook's context declares replicas",
    });
    expect(checkExpr('context.replicas.startsWith("a")', scope).ok).toBe(false);
  });

  it('requires a condition to be boolean', () => {
    expect(checkCondition('incident.confidence', untyped)).toMatchObject({ ok: false, message: expect.stringMatching(/of type double/) });
    expect(checkCondition('context.flag', untyped).ok).toBe(true); // dyn: checked when evaluated
  });
});

describe('evalCondition (run time)', () => {
  it('compares numbers whether they arrived as 3 or 3.5 (JSON has one number type)', () => {
    expect(evalCondition('context.replicas > 1', vars({ replicas: 3 }))).toBe(true);
    expect(evalCondition('context.replicas > 1', vars({ replicas: 1.5 }))).toBe(true);
    expect(evalCondition('context.replicas + 1 == 4', vars({ replicas: 3 }))).toBe(true);
    expect(evalCondition('incident.confidence >= 0.9', vars({}))).toBe(true);
  });

  it('uses the declared type: a declared number stays a double even when whole', () => {
    const decls = { load: { type: 'number', required: true } as ParamDecl };
    expect(evalCondition('context.load * 1.5 > 2.0', vars({ load: 2 }), decls)).toBe(true);
  });

  it('fails a missing field cleanly with has(), and throws CelEvalError without it', () => {
    expect(evalCondition('has(context.replicas) && context.replicas > 1', vars({}))).toBe(false);
    expect(() => evalCondition('context.replicas > 1', vars({}))).toThrow(CelEvalError);
    expect(() => evalCondition('context.replicas > 1', vars({}))).toThrow(/No such key: replicas/);
  });

  it('rejects a non-boolean result', () => {
    expect(() => evalCondition('context.replicas', vars({ replicas: 2 }))).toThrow(/expected true or false, got the int 2/);
  });

  it('sees step outputs and the probe result', () => {
    const result: ExecutorResult = {
      executor: 'http',
      ok: true,
      status: 200,
      body: '{}',
      json: { healthy: true },
      truncated: false,
      durationMs: 3,
    };
    expect(
      evalCondition('result.status == 200 && result.json.healthy && steps.a.n == 2', vars({}, { result, steps: { a: { n: 2 } } })),
    ).toBe(true);
  });
});

describe('evalOutput', () => {
  const exec = (stdout: string): ExecutorResult => ({
    executor: 'exec',
    ok: true,
    exitCode: 0,
    signal: null,
    stdout,
    stderr: '',
    truncated: false,
    durationMs: 1,
  });

  it('returns plain JSON: CEL ints become numbers', () => {
    expect(evalOutput('int(result.stdout.trim()) + 1', vars({}, { result: exec('3\n') }))).toBe(4);
    expect(evalOutput('[1, 2]', vars({}))).toEqual([1, 2]);
    expect(evalOutput('{"a": result.stdout}', vars({}, { result: exec('x') }))).toEqual({ a: 'x' });
  });

  it('throws CelEvalError on evaluation failures', () => {
    expect(() => evalOutput('int(result.stdout)', vars({}, { result: exec('abc') }))).toThrow(CelEvalError);
  });
});

describe('evaluation errors are values', () => {
  it('evaluateCondition and evaluateOutput answer with a result, never throw, and keep the messages', () => {
    expect(evaluateCondition('context.replicas > 1', vars({ replicas: 3 }))).toEqual({ ok: true, value: true });
    expect(evaluateCondition('context.replicas > 1', vars({}))).toEqual({
      ok: false,
      error: {
        expr: 'context.replicas > 1',
        reason: 'No such key: replicas',
        message: 'No such key: replicas in CEL expression: context.replicas > 1',
      },
    });
    expect(evaluateCondition('context.replicas', vars({ replicas: 2 }))).toMatchObject({
      ok: false,
      error: { reason: 'expected true or false, got the int 2' },
    });
    expect(evaluateOutput('1.0 / 0.0', vars({}))).toMatchObject({ ok: false, error: { reason: 'result Infinity is not a finite number' } });
    expect(evaluateOutput('context.n + 1', vars({ n: 1 }))).toEqual({ ok: true, value: 2 });
    expect(evaluateCondition('context.replicas >', vars({}))).toMatchObject({
      ok: false,
      error: { reason: expect.stringMatching(/Unexpected token/) },
    });
  });

  it('the thrown form carries the same message', () => {
    const failed = evaluateCondition('context.replicas > 1', vars({}));
    expect(() => evalCondition('context.replicas > 1', vars({}))).toThrow(failed.ok ? 'unreachable' : failed.error.message);
  });
});

describe('checked once, run many times', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a poll of 100 evaluations parses the expression once', () => {
    const parse = vi.spyOn(Environment.prototype, 'parse');
    for (let i = 0; i < 100; i++) expect(evalCondition('context.polled_replicas >= 2', vars({ polled_replicas: i }))).toBe(i >= 2);
    expect(parse).toHaveBeenCalledTimes(1);
  });

  it('checking at compile time leaves the checked program for evaluation: it is not parsed again', () => {
    expect(
      checkCondition('context.compiled_replicas > 1', {
        context: { compiled_replicas: { type: 'int', required: true } },
        result: false,
      }).ok,
    ).toBe(true);
    const parse = vi.spyOn(Environment.prototype, 'parse');
    expect(
      evalCondition('context.compiled_replicas > 1', vars({ compiled_replicas: 2 }), {
        compiled_replicas: { type: 'int', required: true },
      }),
    ).toBe(true);
    expect(parse).not.toHaveBeenCalled();
  });
});
