import { describe, expect, it } from 'vitest';
import { checkCondition, evalCondition } from '../../dsl/cel';
import { STDLIB } from '../../dsl/stdlib';
import type { Incident, ParamDecl, ParamType } from '../../dsl/types';

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

const incident: Incident = { id: 'I', root_cause: 'r', confidence: 1, service: 's', services: ['s'], symptoms: [], context: {} };
const declared = (reads: Record<string, ParamType>): Record<string, ParamDecl> =>
  Object.fromEntries(Object.entries(reads).map(([name, type]) => [name, { type, required: false }]));

describe('standard library', () => {
  it('covers every check the reference exercise names and the catalogue guardrails', () => {
    for (const name of [...SEED_CHECKS, ...CATALOGUE_CHECKS]) expect(STDLIB, name).toHaveProperty(name);
  });

  describe.each(Object.entries(STDLIB))('%s', (name, check) => {
    it('type-checks against an untyped context and against exactly the fields it says it reads', () => {
      expect(checkCondition(check.condition, { context: null, result: false })).toMatchObject({ ok: true });
      expect(checkCondition(check.condition, { context: declared(check.reads), result: false })).toMatchObject({ ok: true });
    });

    it('really reads each field it lists, and its description names it', () => {
      for (const field of Object.keys(check.reads)) {
        const without = { ...check.reads };
        delete without[field];
        expect(checkCondition(check.condition, { context: declared(without), result: false }).ok, field).toBe(false);
        expect(check.description, name).toContain(`context.${field}`);
      }
    });

    it('fails, rather than erroring, when the context lacks its fields', () => {
      expect(evalCondition(check.condition, { incident, context: {}, steps: {} })).toBe(false);
    });
  });

  it.each([
    ['replicas_greater_than_one', { replicas: 2 }, { replicas: 1 }],
    ['recent_restarts_less_than_three', { restarts_last_hour: 2 }, { restarts_last_hour: 3 }],
    ['pod_becomes_ready', { pod_ready: true }, { pod_ready: false }],
    ['current_replicas_below_max', { current_replicas: 3, max_replicas: 10 }, { current_replicas: 10, max_replicas: 10 }],
    ['budget_available', { budget_remaining: 12.5 }, { budget_remaining: 0 }],
    ['metrics_improved', { metric_now: 60, metric_at_detection: 92.5 }, { metric_now: 95, metric_at_detection: 92.5 }],
    ['error_rate_normalized', { error_rate: 0.01, baseline_error_rate: 0.01 }, { error_rate: 0.2, baseline_error_rate: 0.01 }],
    ['off_peak_hours', { local_hour: 3 }, { local_hour: 14 }],
    ['only_safe_directories', { cache_dir: '/var/tmp' }, { cache_dir: '/tmp/../etc' }],
    ['disk_usage_below_threshold', { disk_usage_percent: 69.9 }, { disk_usage_percent: 70 }],
    ['replica_caught_up', { replication_lag_seconds: 0.4 }, { replication_lag_seconds: 30 }],
    ['incident_documented', { incident_doc_url: 'https://wiki/INC7' }, { incident_doc_url: 'todo' }],
  ])('%s passes and fails on the values it describes', (name, passing, failing) => {
    const condition = STDLIB[name]!.condition;
    expect(evalCondition(condition, { incident, context: passing, steps: {} })).toBe(true);
    expect(evalCondition(condition, { incident, context: failing, steps: {} })).toBe(false);
  });
});
