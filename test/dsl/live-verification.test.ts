/**
 * "Verification reads nothing live": an automatic runbook (LOW or MEDIUM risk, auto mode) must have a
 * post-check that reads the live system through a probe; the incident's context is frozen at alert time.
 */
import { describe, expect, it } from 'vitest';
import { compileCatalogue } from '../../dsl/compile';
import { CATALOGUE, compileErrors, compileOk, fileWith, LIVE_POD_PROBE, SEED_RUNBOOKS, typedRunbook } from './helpers';

const contextOnly = { id: 'ready', condition: 'has(context.replicas)' };
const errorsOf = (overrides: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
  const result = compileCatalogue([{ file: 'test.yaml', text: fileWith({ a: typedRunbook(overrides) }, extra) }]);
  return result.ok ? [] : result.errors;
};

describe('verification reads nothing live', () => {
  it.each(['LOW', 'MEDIUM'])(
    'refuses a %s risk automatic runbook whose post-checks read only the context, at its post_checks key',
    (risk) => {
      const errors = compileErrors(fileWith({ a: typedRunbook({ risk, context: undefined, post_checks: [contextOnly, 'budget_available'] }) }));
      expect(errors).toEqual([
        expect.objectContaining({
          path: 'runbooks.a.post_checks',
          line: expect.any(Number),
          column: 5,
          message: expect.stringMatching(
            new RegExp(
              `^verification reads nothing live: "ready", "budget_available" read only the incident's context, numbers from when the alert fired, so they cannot tell whether the fix worked\\. This runbook runs without a human \\(${risk} risk, auto mode\\): add a post-check that reads the live system through a probe`,
            ),
          ),
        }),
      ]);
    },
  );

  it('accepts one live post-check among context-only ones, of any probe kind', () => {
    for (const live of [
      { id: 'pod', probe: LIVE_POD_PROBE, condition: 'result.json.exists' },
      { id: 'http', probe: { http: { url: 'https://status.internal/healthz' } }, condition: 'result.status == 200' },
      { id: 'exec', probe: { exec: { argv: ['check-health', '{pod_name}'] } }, condition: 'result.ok' },
      { id: 'prom', probe: { prometheus: { query: 'up{pod="{pod_name}"}' } }, condition: 'result.value == 1.0' },
      'pod_becomes_ready',
    ]) {
      expect(errorsOf({ post_checks: [contextOnly, live] }), JSON.stringify(live)).toEqual([]);
    }
  });

  it('holds runbooks that a human approves to nothing (HIGH risk, or mode approval or suggest)', () => {
    expect(errorsOf({ risk: 'HIGH', post_checks: [contextOnly] })).toEqual([]);
    expect(errorsOf({ mode: 'approval', post_checks: [contextOnly] })).toEqual([]);
    expect(errorsOf({ mode: 'suggest', post_checks: [contextOnly] })).toEqual([]);
  });

  it("follows the file's checks: a file check with a probe is live, a file override that drops a standard check's probe is not", () => {
    expect(errorsOf({ post_checks: ['mine'] }, { checks: { mine: { probe: LIVE_POD_PROBE, condition: 'result.json.exists' } } })).toEqual(
      [],
    );
    expect(errorsOf({ post_checks: ['pod_becomes_ready'] }, { checks: { pod_becomes_ready: { condition: 'true' } } })).toMatchObject([
      {
        path: 'runbooks.a.post_checks',
        message: expect.stringMatching(/^verification reads nothing live: "pod_becomes_ready" reads only/),
      },
    ]);
  });

  it('says nothing more about a post-check that has its own error', () => {
    expect(errorsOf({ post_checks: [{ id: 'x' }] }).map((e) => e.message)).toEqual([
      'an inline check needs "condition" (or use a named check: "check: NAME")',
    ]);
  });

  it('passes the reference exercise unchanged and the shipped catalogue: every post-check there is live', () => {
    for (const text of [SEED_RUNBOOKS, CATALOGUE]) {
      for (const runbook of compileOk(text).runbooks) {
        if (runbook.mode !== 'auto') continue;
        expect(
          runbook.postChecks.some((check) => check.probe),
          runbook.id,
        ).toBe(true);
      }
    }
    const seed = compileOk(SEED_RUNBOOKS).runbooks;
    expect(seed.flatMap((r) => r.postChecks.map((c) => [r.id, c.check, c.probe?.executor]))).toEqual([
      ['restart-pod', 'pod_becomes_ready', 'kubernetes'],
      ['rollback-deployment', 'error_rate_normalized', 'prometheus'],
      ['scale-up', 'metrics_improved', 'prometheus'],
    ]);
  });
});
