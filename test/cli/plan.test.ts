import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, remediate, ROOT, scratch } from './run-cli';

const SEED = ['--runbooks', 'test/fixtures/seed/runbooks.yaml'];
const seedIncident = (n: number) => JSON.parse(readFileSync(join(ROOT, `test/fixtures/seed/INC00${n}.json`), 'utf8'));
const planJson = (args: string[], input?: string) => {
  const run = remediate(['plan', ...args, '--json'], input);
  if (run.status !== 0) throw new Error(`exit ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout);
};

describe("remediate plan on the reference exercise's incidents", () => {
  it('INC001: auto, restart-pod, deleting exactly the named pod', () => {
    const plan = planJson(['test/fixtures/seed/INC001.json', ...SEED]);
    expect(plan).toMatchObject({
      incident: 'INC001',
      decision: 'auto',
      event: 'EXECUTING',
      runbook: 'restart-pod',
      rollback: 'self_healing',
    });
    expect(plan.version).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.planHash).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.steps.find((s: { phase: string }) => s.phase === 'action').run.argv).toEqual([
      'kubectl',
      'delete',
      'pod',
      'api-server-abc123',
      '-n',
      'production',
    ]);
  });

  it('INC002: auto, scale-up, with the rollback filled in', () => {
    const plan = planJson(['test/fixtures/seed/INC002.json', ...SEED]);
    expect(plan).toMatchObject({ decision: 'auto', event: 'EXECUTING', runbook: 'scale-up', rollback: 'steps' });
    expect(plan.steps.map((s: { phase: string; run?: { argv: string[] } }) => [s.phase, s.run?.argv.join(' ')])).toEqual([
      ['pre_check', undefined],
      ['action', 'kubectl scale deployment worker --replicas=5 -n production'],
      ['post_check', undefined],
      ['rollback', 'kubectl scale deployment worker --replicas=3 -n production'],
    ]);
  });

  it('INC003: approval required, rollback-deployment', () => {
    expect(planJson(['test/fixtures/seed/INC003.json', ...SEED])).toMatchObject({
      decision: 'approval_required',
      event: 'APPROVAL_REQUIRED',
      runbook: 'rollback-deployment',
    });
  });

  it('INC004: manual, no runbook', () => {
    expect(planJson(['test/fixtures/seed/INC004.json', ...SEED])).toEqual({
      incident: 'INC004',
      decision: 'manual',
      event: 'NO_RUNBOOK',
      runbook: null,
      version: null,
      reason: 'No runbook matches root cause "unknown_issue"; manual intervention required',
      steps: [],
      rollback: null,
      planHash: null,
      catalogueVersion: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });
});

describe('remediate plan', () => {
  it('uses ./runbooks by default and prints a readable plan', () => {
    const run = remediate(['plan', 'test/fixtures/seed/INC001.json']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^INC001: auto \(EXECUTING\) with restart-pod [0-9a-f]{12}\n/);
    expect(run.stdout).toContain('action delete_pod: kubernetes delete_pod production/api-server-abc123');
    expect(run.stdout).toContain('rollback: none needed (the action heals itself)');
  });

  it('reads the incident from stdin with -', () => {
    expect(planJson(['-', ...SEED], JSON.stringify(seedIncident(2)))).toMatchObject({ incident: 'INC002', runbook: 'scale-up' });
  });

  it('keeps an injection attempt in one argument', () => {
    const incident = { ...seedIncident(1), context: { pod_name: 'x; rm -rf /', namespace: 'production' } };
    // The reference exercise reads the pod by that name first, and no Kubernetes name looks like that.
    const refused = remediate(['plan', '-', ...SEED, '--json'], JSON.stringify(incident));
    expect(refused).toMatchObject({ status: 2, stdout: '' });
    expect(refused.stderr).toMatch(/step pre\.replicas_greater_than_one: name: context\.pod_name is "x; rm -rf \/", .*not a DNS subdomain/);
    // The same action after a check that reads by another route: still one argument.
    const dir = scratch({
      'runbooks.yaml': readFileSync(join(ROOT, 'test/fixtures/seed/runbooks.yaml'), 'utf8')
        .replace(/ {4}pre_checks:\n {6}- replicas_greater_than_one\n {6}- recent_restarts_less_than_three\n/, '')
        .replace(
          '      - pod_becomes_ready\n',
          '      - id: healthy\n        probe: { http: { url: "https://status.internal/healthz" } }\n        condition: result.status == 200\n',
        ),
    });
    const plan = planJson(['-', '--runbooks', join(dir, 'runbooks.yaml')], JSON.stringify(incident));
    expect(plan.steps.find((s: { phase: string }) => s.phase === 'action').run.argv).toEqual([
      'kubectl',
      'delete',
      'pod',
      'x; rm -rf /',
      '-n',
      'production',
    ]);
  });

  it('applies a guardrail state snapshot (--state)', () => {
    const state = { nowMs: 1_700_000_000_000, executions: { 'restart-pod:api-server': [1_700_000_000_000 - 60_000] } };
    const dir = scratch({ 'state.json': JSON.stringify(state) });
    expect(planJson(['test/fixtures/seed/INC001.json', ...SEED, '--state', join(dir, 'state.json')])).toMatchObject({
      decision: 'blocked',
      event: 'RATE_LIMITED',
      reason: 'Cooldown active for restart-pod on api-server: 240s remaining (cooldown 5m)',
    });
  });

  it('sees a freeze, an exhausted failure budget and a closed change window in the snapshot (--state)', () => {
    const nowMs = Date.parse('2026-11-24T12:00:00Z');
    const window = {
      name: 'off-peak',
      timeZone: 'UTC',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      start: '22:00',
      end: '06:00',
      appliesTo: { runbooks: ['restart-pod'] },
      outside: 'approval',
    };
    const dir = scratch({
      'frozen.json': JSON.stringify({ nowMs, freeze: { by: 'ops', reason: 'release day', sinceMs: nowMs - 60_000 } }),
      'budget.json': JSON.stringify({
        nowMs,
        serviceFailures: { 'api-server': [nowMs - 60_000, nowMs - 120_000] },
        failureBudget: { maxFailures: 1, windowMs: 3_600_000 },
      }),
      'window.json': JSON.stringify({ nowMs, changeWindows: [window] }),
    });
    const plan = (file: string) => planJson(['test/fixtures/seed/INC001.json', ...SEED, '--state', join(dir, file)]);
    expect(plan('frozen.json')).toMatchObject({
      decision: 'blocked',
      event: 'FROZEN',
      reason: 'Automation frozen by ops until lifted: release day',
    });
    expect(plan('budget.json')).toMatchObject({ decision: 'blocked', event: 'FAILURE_BUDGET_EXHAUSTED' });
    expect(plan('window.json')).toMatchObject({
      decision: 'approval_required',
      event: 'APPROVAL_REQUIRED',
      reason:
        'restart-pod (LOW) may only run in change window off-peak (mon,tue,wed,thu,fri 22:00-06:00 UTC); it opens at 2026-11-24T22:00:00.000Z; asking a human instead',
    });
  });

  it.each([
    [
      'an invalid incident',
      { id: 'I', root_cause: 'x', confidence: 2, service: 's' },
      /^<stdin>: confidence: expected a number between 0 and 1, found 2\n$/,
    ],
    ['malformed JSON', '{"id": ', /^<stdin>: invalid JSON: /],
    [
      'a context the runbook cannot use',
      { ...seedIncident(1), context: { namespace: 'production' } },
      // The first step that needs it: the live pre-check reads the pod by name.
      /^<stdin>: context.pod_name: expected a value, found nothing \(missing\) \(needed by step pre.replicas_greater_than_one\) \[runbook restart-pod\]\n$/,
    ],
  ])('exits 2 on %s, naming the problem', (_, incident, message) => {
    const run = remediate(['plan', '-', ...SEED], typeof incident === 'string' ? incident : JSON.stringify(incident));
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
    expect(hasStackTrace(run.stderr)).toBe(false);
  });

  it('exits 2 on invalid runbooks, printing their errors', () => {
    const dir = scratch({ 'rb.yaml': 'runbooks:\n  a:\n    triggers: [x]\n' });
    const run = remediate(['plan', 'test/fixtures/seed/INC001.json', '--runbooks', join(dir, 'rb.yaml')]);
    expect(run).toMatchObject({ status: 2, stdout: '' });
    expect(run.stderr).toBe(`${join(dir, 'rb.yaml')}:2:3: missing required field "min_confidence" (at runbooks.a)\n`);
  });

  it('exits 2 on an invalid state snapshot and on usage errors', () => {
    const dir = scratch({ 'state.json': JSON.stringify({ limits: { maxConcurrent: 0 } }) });
    const state = remediate(['plan', 'test/fixtures/seed/INC001.json', ...SEED, '--state', join(dir, 'state.json')]);
    expect(state).toMatchObject({
      status: 2,
      stderr: `${join(dir, 'state.json')}: limits.maxConcurrent: expected an integer > 0, found 0\n`,
    });
    expect(remediate(['plan'])).toMatchObject({ status: 2 });
    expect(remediate(['plan', 'missing.json', ...SEED])).toMatchObject({
      status: 2,
      stderr: 'remediate: missing.json: no such file or directory\n',
    });
  });
});
