/** `settle`, `hold_for`, `interval` and `deadline` of checks: what they compile to, what is refused and where, how plans show them. */
import { describe, expect, it } from 'vitest';
import { renderPlan } from '../../dsl/render-plan';
import { describePlannedStep } from '../../dsl/steps/describe';
import { incident } from '../harness/engine';
import { compileErrors, compileOk, fileWith, onlyRunbook, typedRunbook } from './helpers';

// HIGH risk: these checks read only the context, which an automatic runbook's verification may not (timing is the same at every risk).
const compiled = (overrides: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  onlyRunbook(compileOk(fileWith({ a: typedRunbook({ risk: 'HIGH', ...overrides }) }, extra)));

/** A runbook file whose post-check (or pre-check) is the given lines, so positions are known. */
function fileWithCheck(lines: string[], list: 'pre_checks' | 'post_checks' = 'post_checks'): string {
  return [
    'runbooks:',
    '  a:',
    '    risk: HIGH',
    '    triggers: [x]',
    '    min_confidence: 0.5',
    '    action: kubectl get pods',
    `    ${list}:`,
    ...lines,
    '',
  ].join('\n');
}

describe('settle and hold_for compile', () => {
  it('into settleMs and holdForMs, for named and inline checks, in both phases', () => {
    const runbook = compiled(
      {
        pre_checks: [{ check: 'mine', settle: '2s', hold_for: '10s', interval: '2s' }],
        post_checks: [{ id: 'inline', condition: 'true', settle: '30s', hold_for: '2m', interval: '10s', deadline: '5m' }],
      },
      { checks: { mine: { condition: 'true', hold_for: '4s' } } },
    );
    // A pre-check's deadline is its settle and hold unless it declares one: a false poll fails it.
    expect(runbook.preChecks[0]).toMatchObject({ settleMs: 2_000, holdForMs: 10_000, intervalMs: 2_000, deadlineMs: 12_000 });
    expect(runbook.postChecks[0]).toMatchObject({ settleMs: 30_000, holdForMs: 120_000, intervalMs: 10_000, deadlineMs: 300_000 });
  });

  it("from a definition, where the entry's own fields win", () => {
    const runbook = compiled(
      { post_checks: ['mine', { check: 'mine', id: 'longer', hold_for: '20s' }] },
      { checks: { mine: { condition: 'true', settle: '5s', hold_for: '10s', interval: '5s' } } },
    );
    expect(runbook.postChecks.map((c) => [c.settleMs, c.holdForMs, c.intervalMs, c.deadlineMs])).toEqual([
      [5_000, 10_000, 5_000, 60_000],
      [5_000, 20_000, 5_000, 60_000],
    ]);
  });

  it('defaults the interval to at most the hold, and leaves checks without them as they were (no fields, same defaults)', () => {
    const runbook = compiled({
      post_checks: [
        { id: 'held', condition: 'true', hold_for: '3s' },
        { id: 'plain', condition: 'true' },
      ],
    });
    expect(runbook.postChecks[0]).toMatchObject({ holdForMs: 3_000, intervalMs: 3_000, deadlineMs: 60_000 });
    expect(runbook.postChecks[1]).toEqual({
      kind: 'check',
      id: 'plain',
      check: 'plain',
      origin: 'inline',
      description: 'true',
      condition: { cel: 'true' },
      timeoutMs: 10_000,
      deadlineMs: 60_000,
      intervalMs: 5_000,
    });
    expect(runbook.preChecks[0]).toMatchObject({ deadlineMs: 0, intervalMs: 0 });
    expect(runbook.preChecks[0]).not.toHaveProperty('settleMs');
    expect(runbook.preChecks[0]).not.toHaveProperty('holdForMs');
  });

  it('shows in the plan', () => {
    const runbook = compiled({
      pre_checks: [{ id: 'now', condition: 'true', hold_for: '10s', interval: '5s' }],
      post_checks: [{ id: 'later', condition: 'true', settle: '30s', hold_for: '2m', interval: '10s', deadline: '5m' }],
    });
    const plan = renderPlan(
      runbook,
      incident({ id: 'INC1', root_cause: 'pod_crash_loop', confidence: 0.9, service: 's', context: { pod_name: 'p', namespace: 'n' } }),
    );
    expect(plan[0]).toMatchObject({ holdForMs: 10_000, deadlineMs: 10_000 });
    expect(plan[0]).not.toHaveProperty('settleMs');
    expect(plan.map(describePlannedStep)).toEqual([
      'pre-check now: true, held for 10s, polled every 5s for up to 10s',
      expect.any(String),
      'post-check later: true, after 30s, held for 120s, polled every 10s for up to 300s',
    ]);
  });
});

describe('settle and hold_for are refused where they cannot work, at the field', () => {
  it.each([
    {
      what: 'settle + hold_for over the deadline',
      lines: ['      - id: p', '        condition: "true"', '        hold_for: 20s', '        deadline: 15s'],
      line: 11,
      column: 19,
      path: 'runbooks.a.post_checks[0].deadline',
      message:
        'deadline: the deadline bounds the whole check, so it needs settle + hold_for <= deadline, found settle 0s + hold_for 20s > deadline 15s',
    },
    {
      what: 'settle + hold_for over the default deadline of a post-check',
      lines: ['      - id: p', '        condition: "true"', '        settle: 30s', '        hold_for: 1m'],
      line: 11,
      column: 19,
      path: 'runbooks.a.post_checks[0].hold_for',
      message:
        'hold_for: the deadline bounds the whole check, so it needs settle + hold_for <= deadline, found settle 30s + hold_for 1m > deadline 1m ' +
        '(the default for a post-check); declare a longer deadline',
    },
    {
      what: 'a settle alone over the deadline',
      lines: ['      - id: p', '        condition: "true"', '        settle: 2m'],
      line: 10,
      column: 17,
      path: 'runbooks.a.post_checks[0].settle',
      message:
        'settle: the deadline bounds the whole check, so it needs settle + hold_for <= deadline, found settle 2m + hold_for 0s > deadline 1m ' +
        '(the default for a post-check); declare a longer deadline',
    },
    {
      what: 'a hold that the poll schedule proves only after the deadline',
      lines: ['      - id: p', '        condition: "true"', '        hold_for: 10s', '        interval: 4s', '        deadline: 10s'],
      line: 12,
      column: 19,
      path: 'runbooks.a.post_checks[0].deadline',
      message:
        'deadline: the deadline bounds the whole check, so it needs settle + hold_for <= deadline, found settle 0s + hold_for 10s ' +
        '(with polls every 4s, the hold is proven after 12s) > deadline 10s',
    },
    {
      what: 'an interval longer than the hold',
      lines: ['      - id: p', '        condition: "true"', '        hold_for: 5s', '        interval: 10s'],
      line: 11,
      column: 19,
      path: 'runbooks.a.post_checks[0].interval',
      message: 'hold_for: a held condition is polled, so it needs 0 < interval <= hold_for, found interval 10s and hold_for 5s',
    },
    {
      what: 'a zero interval with a hold',
      lines: ['      - id: p', '        condition: "true"', '        hold_for: 5s', '        interval: 0'],
      line: 11,
      column: 19,
      path: 'runbooks.a.post_checks[0].interval',
      message: 'hold_for: a held condition is polled, so it needs 0 < interval <= hold_for, found interval 0s and hold_for 5s',
    },
  ])('$what', ({ lines, line, column, path, message }) => {
    expect(compileErrors(fileWithCheck(lines))).toEqual([expect.objectContaining({ line, column, path, message })]);
  });

  it('a pre-check too, and a named check where its use sets the deadline', () => {
    const text = [
      'checks:',
      '  steady:',
      '    condition: "true"',
      '    hold_for: 30s',
      ...fileWithCheck(['      - { check: steady, deadline: 10s }'], 'pre_checks').split('\n'),
    ].join('\n');
    expect(compileErrors(text)).toEqual([
      expect.objectContaining({
        line: 12,
        column: 36,
        path: 'runbooks.a.pre_checks[0].deadline',
        message:
          'deadline: the deadline bounds the whole check, so it needs settle + hold_for <= deadline, found settle 0s + hold_for 30s > deadline 10s',
      }),
    ]);
  });

  it('a negative settle is refused by the schema', () => {
    expect(compileErrors(fileWithCheck(['      - { id: p, condition: "true", settle: -1 }']))[0]).toMatchObject({ line: 8 });
  });
});
