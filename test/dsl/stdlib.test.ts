import { describe, expect, it } from 'vitest';
import { checkCondition, evalCondition } from '../../dsl/cel';
import { compileProbe } from '../../dsl/compile-steps';
import { STDLIB } from '../../dsl/stdlib';
import type { ExecutorResult, Incident, ParamDecl, ParamType } from '../../dsl/types';

const SEED_CHECKS = [
  'replicas_greater_than_one',
  'recent_restarts_less_than_three',
  'pod_becomes_ready',
  'current_replicas_below_max',
  'metrics_improved',
  'deployment_exists',
  'previous_revision_available',
  'error_rate_normalized',
];
/** The catalogue's guardrails and verifications (seed "Common Runbook Patterns"). */
const CATALOGUE_CHECKS = [
  'budget_available',
  'only_safe_directories',
  'disk_usage_below_threshold',
  'off_peak_hours',
  'other_services_healthy',
  'all_pods_ready',
  'health_checks_pass',
  'replica_caught_up',
  'primary_healthy',
  'apps_reconnected',
  'no_pods_running',
  'incident_documented',
];
/** Facts and policy, not system state: the only standard checks without a probe. */
const CONTEXT_ONLY = [
  'budget_available',
  'off_peak_hours',
  'other_services_healthy',
  'only_safe_directories',
  'incident_documented',
  'apps_reconnected',
];

const incident: Incident = { id: 'I', root_cause: 'r', confidence: 1, service: 's', services: ['s'], symptoms: [], context: {} };
const declared = (reads: Record<string, ParamType>): Record<string, ParamDecl> =>
  Object.fromEntries(Object.entries(reads).map(([name, type]) => [name, { type, required: false }]));

/** The errors of compiling a check's probe where the runbook declares `context`. */
function probeErrors(probe: NonNullable<(typeof STDLIB)[string]['probe']>, context: Record<string, ParamDecl>): string[] {
  const errors: string[] = [];
  compileProbe(probe, ['probe'], { report: (_p, message) => errors.push(message), context, outputs: new Map(), namespaces: [] });
  return errors;
}

const kubernetes = (json: unknown): ExecutorResult => ({
  executor: 'kubernetes',
  ok: true,
  op: 'get_pod',
  status: 200,
  message: '',
  json,
  durationMs: 1,
});
const prometheus = (value: string): ExecutorResult => ({
  executor: 'prometheus',
  ok: true,
  query: 'q',
  resultType: 'vector',
  samples: [{ labels: {}, value }],
  value,
  message: '',
  durationMs: 1,
});

describe('standard library', () => {
  it('covers every check the reference exercise names and the catalogue guardrails', () => {
    for (const name of [...SEED_CHECKS, ...CATALOGUE_CHECKS]) expect(STDLIB, name).toHaveProperty(name);
  });

  it('reads the live system for every check about system state; only facts and policy come from the context', () => {
    const withoutProbe = Object.entries(STDLIB)
      .filter(([, check]) => check.probe === undefined)
      .map(([name]) => name);
    expect(withoutProbe.sort()).toEqual([...CONTEXT_ONLY].sort());
  });

  describe.each(Object.entries(STDLIB))('%s', (name, check) => {
    const result = check.probe !== undefined;

    it('type-checks against an untyped context and against exactly the fields it says it reads', () => {
      expect(checkCondition(check.condition, { context: null, result })).toMatchObject({ ok: true });
      expect(checkCondition(check.condition, { context: declared(check.reads), result })).toMatchObject({ ok: true });
      if (check.probe) expect(probeErrors(check.probe, declared(check.reads))).toEqual([]);
    });

    it('really reads each field it lists, and its description names it', () => {
      for (const field of Object.keys(check.reads)) {
        const without = { ...check.reads };
        delete without[field];
        const conditionOk = checkCondition(check.condition, { context: declared(without), result }).ok;
        const probeOk = check.probe === undefined || probeErrors(check.probe, declared(without)).length === 0;
        expect(conditionOk && probeOk, field).toBe(false);
        expect(
          [`context.${field}`, `{${field}}`].some((form) => check.description.includes(form)),
          `${name}: ${field}`,
        ).toBe(true);
      }
    });

    it('fails, rather than erroring, when the context lacks its fields (and, live, when the object is gone or the value NaN)', () => {
      const nothing = check.probe?.kubernetes ? kubernetes({ exists: false }) : check.probe?.prometheus ? prometheus('NaN') : undefined;
      expect(evalCondition(check.condition, { incident, context: {}, steps: {}, ...(nothing ? { result: nothing } : {}) })).toBe(false);
    });
  });

  it.each([
    ['budget_available', { budget_remaining: 12.5 }, { budget_remaining: 0 }],
    ['off_peak_hours', { local_hour: 3 }, { local_hour: 14 }],
    ['only_safe_directories', { cache_dir: '/var/tmp' }, { cache_dir: '/tmp/../etc' }],
    ['incident_documented', { incident_doc_url: 'https://wiki/INC7' }, { incident_doc_url: 'todo' }],
    ['other_services_healthy', { other_unhealthy_services: 0 }, { other_unhealthy_services: 1 }],
    ['apps_reconnected', { db_connection_errors: 0 }, { db_connection_errors: 3 }],
  ])('%s passes and fails on the context values it describes', (name, passing, failing) => {
    const condition = STDLIB[name]!.condition;
    expect(evalCondition(condition, { incident, context: passing, steps: {} })).toBe(true);
    expect(evalCondition(condition, { incident, context: failing, steps: {} })).toBe(false);
  });

  const pod = (fields: object) => kubernetes({ exists: true, name: 'web-7d4b9-x2x4z', deployment: 'web', ...fields });
  const gone = (replacedIn: object) => kubernetes({ exists: false, replacedIn: { deployment: 'web', ...replacedIn } });
  const deployment = (fields: object) => kubernetes({ exists: true, replicas: 3, readyReplicas: 3, complete: true, pods: [], ...fields });
  it.each<[string, Record<string, unknown>, ExecutorResult, boolean]>([
    ['replicas_greater_than_one', {}, pod({ replicas: 2 }), true],
    ['replicas_greater_than_one', {}, pod({ replicas: 1 }), false],
    ['replicas_greater_than_one', {}, kubernetes({ exists: true, replicas: 3 }), false], // no Deployment: nothing replaces it
    ['recent_restarts_less_than_three', {}, pod({ restartsLastHour: 2 }), true],
    ['recent_restarts_less_than_three', {}, pod({ restartsLastHour: 3 }), false],
    ['pod_becomes_ready', {}, pod({ ready: true, terminating: false }), true],
    ['pod_becomes_ready', {}, pod({ ready: true, terminating: true }), false],
    ['pod_becomes_ready', {}, pod({ ready: false, terminating: false }), false],
    ['pod_becomes_ready', {}, gone({ complete: true, readyReplicas: 2, replicas: 2 }), true],
    ['pod_becomes_ready', {}, gone({ complete: false, readyReplicas: 2, replicas: 2 }), false],
    ['pod_becomes_ready', {}, gone({ complete: true, readyReplicas: 1, replicas: 2 }), false],
    ['all_pods_ready', {}, deployment({}), true],
    ['all_pods_ready', {}, deployment({ readyReplicas: 2 }), false],
    ['all_pods_ready', {}, deployment({ complete: false }), false],
    ['current_replicas_below_max', { max_replicas: 4 }, deployment({ replicas: 3 }), true],
    ['current_replicas_below_max', { max_replicas: 3 }, deployment({ replicas: 3 }), false],
    ['current_replicas_below_max', {}, deployment({ replicas: 9 }), true], // the default maximum, 10
    ['current_replicas_below_max', {}, deployment({ replicas: 10 }), false],
    ['deployment_exists', {}, deployment({}), true],
    ['previous_revision_available', {}, deployment({ previousRevision: 1 }), true],
    ['previous_revision_available', {}, deployment({}), false],
    ['no_pods_running', {}, deployment({ replicas: 0 }), true],
    ['no_pods_running', {}, deployment({ replicas: 0, pods: [{ name: 'p' }] }), false],
    ['metrics_improved', {}, prometheus('0.5'), true],
    ['metrics_improved', {}, prometheus('0.8'), false],
    ['error_rate_normalized', {}, prometheus('0.01'), true], // the default baseline, 0.01
    ['error_rate_normalized', {}, prometheus('0.02'), false],
    ['error_rate_normalized', { baseline_error_rate: 0.05 }, prometheus('0.02'), true],
    ['error_rate_normalized', { baseline_error_rate: 0 }, prometheus('0.02'), false],
    ['health_checks_pass', {}, prometheus('1'), true],
    ['health_checks_pass', {}, prometheus('0'), false],
    ['replica_caught_up', {}, prometheus('5'), true],
    ['replica_caught_up', {}, prometheus('5.5'), false],
    ['primary_healthy', {}, prometheus('0'), true],
    ['primary_healthy', {}, prometheus('1'), false],
    ['disk_usage_below_threshold', {}, prometheus('0.69'), true],
    ['disk_usage_below_threshold', {}, prometheus('0.7'), false],
    ['disk_usage_below_threshold', {}, prometheus('+Inf'), false], // no limit set: usage / 0
  ])('%s with context %j on %j decides %s', (name, context, answer, expected) => {
    expect(evalCondition(STDLIB[name]!.condition, { incident, context, steps: {}, result: answer })).toBe(expected);
  });
});
