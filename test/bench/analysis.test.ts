/**
 * The benchmark's judge must be able to fail: fed a record with violations of each rule, it counts
 * them; fed a record that keeps the rules, it counts none.
 */
import { describe, expect, it } from 'vitest';
import { judgeStorm, withInjectedViolation, type StormIncident, type StormRules } from '../../bench/analysis';
import type { TargetRequest } from '../../bench/target';

const rules: StormRules = {
  maxPerHour: { storm: 2 },
  limits: { maxConcurrent: 2, maxServices: 1 },
  failureBudget: { maxFailures: 1, windowMs: 3_600_000 },
};

function run(
  id: string,
  service: string,
  start: number,
  end: number,
  status = 200,
): { incident: StormIncident; requests: TargetRequest[] } {
  const incident = { id, pod: `pod-${id}`, service, runbook: 'storm' };
  return {
    incident,
    requests: [
      { at: start - 5, method: 'GET', pod: incident.pod, status: 200 },
      { at: start, method: 'DELETE', pod: incident.pod, status },
      { at: end, method: 'GET', pod: incident.pod, status: 200 },
    ],
  };
}

function judge(runs: ReturnType<typeof run>[]) {
  return judgeStorm(
    runs.flatMap((r) => r.requests),
    runs.map((r) => r.incident),
    rules,
  );
}

describe('the storm judge', () => {
  it('finds nothing in a record that keeps every rule', () => {
    const result = judge([run('a', 'api', 0, 10), run('b', 'api', 5, 20), run('c', 'db', 30, 40)]);
    expect(result).toMatchObject({ acted: 3, actions: 3, duplicates: 0, violations: { total: 0 } });
  });

  it('counts a run beyond max_per_hour', () => {
    expect(judge([run('a', 'api', 0, 1), run('b', 'api', 10, 11), run('c', 'api', 20, 21)]).violations.rate).toBe(1);
  });

  it('counts runs acting at once beyond max_concurrent, and a second service under change beyond max_services', () => {
    const result = judge([run('a', 'api', 0, 100), run('b', 'api', 10, 100), run('c', 'api', 20, 100), run('d', 'db', 30, 100)]);
    expect(result.violations.concurrency).toBe(2);
    expect(result.violations.services).toBe(1);
  });

  it('counts failures beyond the failure budget', () => {
    const runs = [0, 1, 2, 3]
      .map((k) => run(`f${k}`, `svc-${k}`, k * 1000, k * 1000 + 1, 500))
      .map((r) => ({ ...r, incident: { ...r.incident, service: 'flaky', runbook: 'other' } }));
    expect(judge(runs).violations.budget).toBe(1);
  });

  it('counts every duplicate action', () => {
    const a = run('a', 'api', 0, 10);
    a.requests.push(
      { at: 3, method: 'DELETE', pod: a.incident.pod, status: 200 },
      { at: 4, method: 'DELETE', pod: a.incident.pod, status: 200 },
    );
    expect(judge([a])).toMatchObject({ actions: 3, duplicates: 2 });
  });

  it('the self-test injection is always detected', () => {
    const clean = [run('a', 'api', 0, 10)];
    expect(judge(clean).violations.total).toBe(0);
    const injected = withInjectedViolation(
      clean.flatMap((r) => r.requests),
      clean.map((r) => r.incident),
      rules,
    );
    expect(judgeStorm(injected.requests, injected.incidents, rules).violations.total).toBeGreaterThan(0);
  });
});
