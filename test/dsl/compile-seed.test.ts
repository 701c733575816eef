import { describe, expect, it } from 'vitest';
import { CATALOGUE, compileOk, SEED_RUNBOOKS } from './helpers';

describe("the reference exercise's runbooks.yaml", () => {
  const catalogue = compileOk(SEED_RUNBOOKS, 'runbooks.yaml');
  const byId = Object.fromEntries(catalogue.runbooks.map((r) => [r.id, r]));

  it('compiles unchanged', () => {
    expect(catalogue.runbooks.map((r) => r.id)).toEqual(['restart-pod', 'rollback-deployment', 'scale-up']);
  });

  it('keeps its limits and maps triggers to both root causes and symptoms', () => {
    const restart = byId['restart-pod']!;
    expect(restart).toMatchObject({
      risk: 'LOW',
      mode: 'auto',
      minConfidence: 0.8,
      match: { rootCauses: ['CrashLoopBackOff', 'OOMKilled'], symptoms: ['CrashLoopBackOff', 'OOMKilled'], precedence: 0 },
      guardrails: { maxPerHour: 5, cooldownMs: 5 * 60_000 },
      context: null,
      rollback: { kind: 'self_healing' },
      source: { file: 'runbooks.yaml', line: 3 },
    });
    expect(byId['rollback-deployment']).toMatchObject({
      risk: 'HIGH',
      mode: 'approval',
      guardrails: { maxPerHour: 1, cooldownMs: 30 * 60_000 },
    });
  });

  it('splits command strings into argv at compile time, one placeholder per argument', () => {
    const action = byId['scale-up']!.actions[0]!;
    expect(action).toMatchObject({ kind: 'action', id: 'action', timeoutMs: 60_000, retries: 0 });
    if (action.kind !== 'action' || action.run.executor !== 'exec') throw new Error('expected an exec action');
    expect(action.run.argv).toEqual([
      { parts: [{ kind: 'literal', text: 'kubectl' }] },
      { parts: [{ kind: 'literal', text: 'scale' }] },
      { parts: [{ kind: 'literal', text: 'deployment' }] },
      { parts: [{ kind: 'placeholder', path: ['context', 'deployment'] }] },
      {
        parts: [
          { kind: 'literal', text: '--replicas=' },
          { kind: 'placeholder', path: ['context', 'new_replicas'] },
        ],
      },
      { parts: [{ kind: 'literal', text: '-n' }] },
      { parts: [{ kind: 'placeholder', path: ['context', 'namespace'] }] },
    ]);
    expect(byId['scale-up']!.rollback).toMatchObject({ kind: 'steps', steps: [{ id: 'rollback', kind: 'action' }] });
  });

  it('resolves its check names from the standard library, with the reference-exercise timing defaults', () => {
    const restart = byId['restart-pod']!;
    expect(restart.preChecks.map((c) => [c.id, c.origin, c.deadlineMs])).toEqual([
      ['pre.replicas_greater_than_one', 'stdlib', 0],
      ['pre.recent_restarts_less_than_three', 'stdlib', 0],
    ]);
    expect(restart.postChecks[0]).toMatchObject({ id: 'post.pod_becomes_ready', deadlineMs: 60_000, intervalMs: 5_000, timeoutMs: 10_000 });
  });

  it("fills in the reference exercise's engine defaults for everything it does not say", () => {
    expect(byId['restart-pod']).toMatchObject({
      name: 'restart-pod',
      guardrails: { blastRadiusLimit: 1, circuitBreaker: { failureThreshold: 3, recoveryTimeoutMs: 300_000 } },
      approval: { approvers: [], quorum: 1, timeoutMs: 30 * 60_000, escalateAfterMs: 20 * 60_000 },
    });
  });
});

describe('the shipped catalogue (runbooks/)', () => {
  const catalogue = compileOk(CATALOGUE, 'runbooks/catalogue.yaml');

  it("holds the reference exercise's whole catalogue", () => {
    expect(catalogue.runbooks.map((r) => r.id)).toEqual([
      'clear-disk-cache',
      'failover-database',
      'restart-pod',
      'restart-service',
      'rollback-deployment',
      'scale-to-zero',
      'scale-up',
    ]);
  });

  it("gives each runbook the reference exercise's risk, guardrails, verification and a rollback decision", () => {
    const risk = Object.fromEntries(catalogue.runbooks.map((r) => [r.id, r.risk]));
    expect(risk).toEqual({
      'restart-pod': 'LOW',
      'scale-up': 'LOW',
      'clear-disk-cache': 'LOW',
      'restart-service': 'MEDIUM',
      'failover-database': 'MEDIUM',
      'rollback-deployment': 'HIGH',
      'scale-to-zero': 'HIGH',
    });
    for (const runbook of catalogue.runbooks) {
      expect(runbook.preChecks.length, runbook.id).toBeGreaterThan(0);
      expect(runbook.postChecks.length, runbook.id).toBeGreaterThan(0);
      expect(runbook.context, runbook.id).not.toBeNull();
      expect(runbook.mode, runbook.id).toBe(runbook.risk === 'HIGH' ? 'approval' : 'auto');
      if (runbook.rollback.kind === 'undeclared') expect(runbook.mode, runbook.id).toBe('approval');
    }
  });
});
