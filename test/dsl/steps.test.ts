/** The step kinds' registry (dsl/steps/) and the one description of a run and of a result. */
import { describe, expect, it } from 'vitest';
import { RenderError, renderExecutor } from '../../dsl/render';
import { runbookFileSchema } from '../../dsl/runbook-schema';
import { EXECUTOR_KINDS, STEP_KINDS } from '../../dsl/steps';
import { describePlannedStep, describeResult, describeRun } from '../../dsl/steps/describe';
import type { ExecutorSpec, Incident, ResolvedExecutor } from '../../dsl/types';

const incident: Incident = { id: 'I', root_cause: 'x', confidence: 1, service: 's', services: ['s'], symptoms: [], context: {} };

describe('the step kinds registry', () => {
  it('has every piece of every kind, and each kind is in the published schema under its name', () => {
    expect(EXECUTOR_KINDS).toEqual(['exec', 'http', 'kubernetes', 'prometheus']);
    const definitions = runbookFileSchema.definitions as Record<string, unknown>;
    for (const kind of EXECUTOR_KINDS) {
      const module = STEP_KINDS[kind];
      expect(module.kind).toBe(kind);
      expect(module.schema.name).toBe(kind);
      expect(definitions[kind]).toEqual(module.schema.definition);
      for (const piece of ['compile', 'templates', 'render', 'describeSpec', 'describe', 'describeResult'] as const)
        expect(typeof module[piece]).toBe('function');
    }
  });

  it('refuses to render a spec of no known kind (a decoded payload), instead of treating it as HTTP', () => {
    const spec = JSON.parse('{"executor":"ftp","url":{"parts":[]}}') as ExecutorSpec;
    expect(() => renderExecutor(spec, { incident, context: {}, steps: {} }, { step: 'odd' })).toThrow(RenderError);
    expect(() => renderExecutor(spec, { incident, context: {}, steps: {} }, { step: 'odd' })).toThrow(
      'step odd: executor: unknown executor "ftp"',
    );
  });
});

describe('describeRun: one line per run, the same in plans, the audit trail and the timeline', () => {
  it('exec: words, quoting those a reader could misread', () => {
    expect(
      describeRun({ executor: 'exec', argv: ['kubectl', 'delete', 'pod', 'x; rm -rf /', '-n', 'prod'], env: {}, okExitCodes: [0] }),
    ).toBe('kubectl delete pod "x; rm -rf /" -n prod');
  });

  it('http: method, url and the body when there is one', () => {
    expect(describeRun({ executor: 'http', method: 'POST', url: 'https://h/undo', headers: {}, okStatuses: [] })).toBe(
      'POST https://h/undo',
    );
    expect(
      describeRun({ executor: 'http', method: 'PUT', url: 'https://h/scale', headers: {}, okStatuses: [], body: { replicas: 3 } }),
    ).toBe('PUT https://h/scale {"replicas":3}');
  });

  it('kubernetes: operation, target and counts', () => {
    expect(
      describeRun({ executor: 'kubernetes', op: 'scale', namespace: 'production', name: 'web', delta: '1', namespaces: ['production'] }),
    ).toBe('kubernetes scale production/web delta=1');
  });

  it('plans use it for probes and actions', () => {
    const probe: ResolvedExecutor = { executor: 'http', method: 'GET', url: 'https://h/health', headers: {}, okStatuses: [] };
    expect(
      describePlannedStep({
        phase: 'pre_check',
        kind: 'check',
        id: 'c',
        check: 'healthy',
        origin: 'inline',
        description: '',
        condition: 'result.status == 200',
        probe,
        deferred: [],
        timeoutMs: 1,
        deadlineMs: 0,
        intervalMs: 1,
      }),
    ).toBe('pre-check healthy: probe GET https://h/health; result.status == 200');
  });
});

describe('describeResult: what a run returned, the same in activity failures and the timeline', () => {
  it('exec: how it ended and the last lines of stderr', () => {
    const base = { executor: 'exec', ok: false, stdout: '', truncated: false, durationMs: 1 } as const;
    expect(describeResult({ ...base, exitCode: 1, signal: null, stderr: 'a\nb\nc\nd\n' })).toBe('exit 1: b | c | d');
    expect(describeResult({ ...base, exitCode: null, signal: 'SIGKILL', stderr: '' })).toBe('killed by SIGKILL');
  });

  it('http: the status', () => {
    expect(describeResult({ executor: 'http', ok: true, status: 204, body: '', truncated: false, durationMs: 1 })).toBe('HTTP 204');
  });

  it('kubernetes: whether it worked, the API status when one answered, and the message', () => {
    const base = { executor: 'kubernetes', op: 'get_pod', durationMs: 1 } as const;
    expect(describeResult({ ...base, ok: true, status: 200, message: 'get_pod p/x: done' })).toBe('ok (HTTP 200): get_pod p/x: done');
    expect(describeResult({ ...base, ok: false, status: 0, message: 'get_pod p/x: refused' })).toBe('failed: get_pod p/x: refused');
  });
});
