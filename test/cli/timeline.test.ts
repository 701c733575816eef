/**
 * The audit timeline, built from recorded workflow histories (test/histories, real histories the
 * workflow tests record): what the history alone shows, where the workflow's trail is woven in,
 * and what a running workflow without a worker still tells.
 */
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { History } from '../../client/history';
import { buildTimeline, type TimelineEntry } from '../../client/timeline';
import { ROOT } from './run-cli';

const history = (name: string): History =>
  historyFromJSON(JSON.parse(readFileSync(join(ROOT, 'test/histories', `v3-${name}.json`), 'utf8')));
const kinds = (entries: TimelineEntry[]) => entries.map((e) => e.kind);
const indexOf = (entries: TimelineEntry[], pattern: RegExp) => entries.findIndex((e) => pattern.test(e.summary));

describe('audit timeline from a history', () => {
  it('INC003 approved: submission, decision and why, the signal with its sender, the verdict, steps with inputs and results, outcome', () => {
    const timeline = buildTimeline(history('inc003-approved'));
    expect(timeline).toMatchObject({ status: 'completed', outcome: 'remediated', trailAvailable: true });
    const { entries } = timeline;
    expect(entries[0]).toMatchObject({
      kind: 'submitted',
      summary: expect.stringMatching(/^incident INC003-\d+ submitted by \S+: error_rate_spike_after_deploy on checkout/),
    });
    const decision = entries.find((e) => e.kind === 'decision')!;
    expect(decision.summary).toMatch(/^decision approval_required \(APPROVAL_REQUIRED\): HIGH risk: rollback-deployment needs 1 approval/);

    const signal = entries.findIndex((e) => e.kind === 'signal');
    expect(entries[signal]).toMatchObject({
      actor: 'alice',
      summary: expect.stringMatching(/^signal approve from alice for plan [0-9a-f]{12}: "error spike after deploy 7"/),
    });
    expect(entries[signal]!.detail).toMatchObject({ signal: 'approve', input: { by: 'alice' } });
    // The verdict is recorded in the workflow task that handled the signal: right after it.
    expect(entries[signal + 1]).toMatchObject({
      kind: 'workflow',
      actor: 'alice',
      summary: 'APPROVED: approved by alice (1/1): error spike after deploy 7',
    });
    expect(entries[signal + 1]!.at >= entries[signal]!.at).toBe(true);

    // The approval wait is a durable timer, started before the signal and canceled by it.
    expect(entries.slice(0, signal).some((e) => e.kind === 'timer' && /started: fires in 20m/.test(e.summary))).toBe(true);
    expect(entries.slice(signal).some((e) => e.kind === 'timer' && /canceled/.test(e.summary))).toBe(true);

    const undo = entries.find((e) => e.kind === 'action')!;
    expect(undo.summary).toMatch(/^action undo: POST http:\/\/127\.0\.0\.1:\d+\/deployments\/checkout\/undo → HTTP 200$/);
    expect(undo.detail).toMatchObject({
      activity: 'runAction',
      input: { step: 'undo', idempotencyKey: expect.stringMatching(/\/undo$/) },
      result: { result: { status: 200 } },
    });
    const checks = entries.filter((e) => e.kind === 'check').map((e) => e.summary.split(':')[0]);
    expect(checks).toEqual(['pre-check deployment_exists', 'pre-check previous_revision_available', 'post-check error_rate_normalized']);
    expect(entries.filter((e) => e.kind === 'notification').map((e) => e.summary.split(' ')[1])).toEqual([
      'approval_needed',
      'approved',
      'success',
    ]);

    // Steps run after the approval, and the outcome closes the timeline with who approved and when.
    expect(indexOf(entries, /^action undo/)).toBeGreaterThan(signal);
    expect(entries.at(-1)).toMatchObject({
      kind: 'outcome',
      summary: expect.stringMatching(/^outcome remediated \(rollback-deployment [0-9a-f]{12}\); approved by alice at 20\d\d-/),
    });
    // Activity events only duplicate what the steps show, so the trail's STEP_* events are left out.
    expect(entries.some((e) => /^STEP_/.test(e.summary))).toBe(false);
  });

  it('a refused rejection shows with its sender and why it was refused', () => {
    const { entries, outcome } = buildTimeline(history('rejected'));
    expect(outcome).toBe('rejected');
    const signals = entries.filter((e) => e.kind === 'signal');
    expect(signals.map((s) => [s.actor, s.summary.split(' from ')[0]])).toEqual([
      ['alice', 'signal reject'],
      ['bob', 'signal reject'],
    ]);
    expect(entries.find((e) => e.actor === 'alice' && e.kind === 'workflow')!.summary).toBe(
      'APPROVAL_REFUSED: rejection from alice refused: a rejection needs a reason',
    );
    expect(entries.find((e) => e.actor === 'bob' && e.kind === 'workflow')!.summary).toMatch(
      /^REJECTED: rejected by bob: deploy 7 is a hotfix/,
    );
  });

  it('a rollback: verification polls on timers, then the rollback action runs with the captured output', () => {
    const { entries, outcome } = buildTimeline(history('rolled-back'));
    expect(outcome).toBe('rolled_back');
    expect(entries.find((e) => /^action capture/.test(e.summary))!.summary).toMatch(/→ HTTP 200; outputs \{"replicas":3\}$/);
    expect(entries.filter((e) => e.kind === 'timer' && /fired$/.test(e.summary)).length).toBeGreaterThan(1);
    const rollback = indexOf(entries, /^rollback action restore: PUT .* \{"replicas":3\} → HTTP 200$/);
    expect(rollback).toBeGreaterThan(indexOf(entries, /^VERIFICATION_FAILED/));
    expect(entries[rollback + 1]!.summary).toMatch(/^ROLLED_BACK: /);
  });

  it('INC004: the decision without a runbook, no steps', () => {
    const { entries } = buildTimeline(history('inc004-manual'));
    expect(kinds(entries)).not.toContain('action');
    expect(entries.find((e) => e.kind === 'decision')!.summary).toMatch(
      /^decision manual \(NO_RUNBOOK\): No runbook matches root cause "unknown_issue"/,
    );
    expect(entries.at(-1)!.summary).toBe('outcome manual');
  });

  it('a running workflow whose worker is gone: the decision from its search attributes, marked as without reasons', () => {
    const full = history('inc003-approved');
    const events = full.events!;
    const beforeSignal = events.slice(
      0,
      events.findIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'approve'),
    );
    const timeline = buildTimeline({ events: beforeSignal });
    expect(timeline).toMatchObject({ status: 'running', outcome: null, trailAvailable: false });
    expect(timeline.entries.find((e) => e.kind === 'decision')!.summary).toMatch(
      /^decision approval_required \(the reason is in the workflow's audit trail/,
    );
    expect(kinds(timeline.entries)).not.toContain('outcome');
    expect(timeline.entries.at(-1)!.summary).toMatch(/^timer \d+ started/);
  });

  it('a running workflow with its trail from the status query weaves the trail in', () => {
    const full = history('inc003-approved');
    const decidedAt = buildTimeline(full).entries.find((e) => e.kind === 'decision')!.at;
    const events = full.events!.slice(
      0,
      full.events!.findIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'approve'),
    );
    const timeline = buildTimeline({ events }, [{ type: 'APPROVAL_REQUIRED', at: decidedAt, message: 'HIGH risk: needs 1 approval' }]);
    expect(timeline.trailAvailable).toBe(true);
    expect(timeline.entries.find((e) => e.kind === 'decision')).toMatchObject({
      at: decidedAt,
      summary: 'decision approval_required (APPROVAL_REQUIRED): HIGH risk: needs 1 approval',
    });
  });

  it('refuses a history that is not a remediation', () => {
    const events = history('inc004-manual').events!;
    const first = structuredClone(events[0]!);
    first.workflowExecutionStartedEventAttributes!.workflowType = { name: 'somethingElse' };
    expect(() => buildTimeline({ events: [first] })).toThrow(/workflow type is somethingElse, not remediateIncident/);
  });
});
