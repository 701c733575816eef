/**
 * The schedule of a check with settle and hold_for (workflows/check-polling.ts), with the durable
 * timer replaced by a clock that jumps: which polls run when, when the check passes or gives up, what
 * its failure says, and whether a failure is live evidence. The temporal tests run it for real.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckOutcome } from '../../activities/remediation';
import type { CheckStep } from '../../dsl/types';

vi.mock('@temporalio/workflow', () => ({
  sleep: async (ms: number) => {
    slept.push(ms);
    vi.setSystemTime(Date.now() + ms);
  },
}));

const { EvidenceTally, pollHeld } = await import('../../workflows/check-polling');

let slept: number[] = [];
const T0 = Date.parse('2026-01-01T00:00:00Z');

beforeEach(() => {
  slept = [];
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

function step(timing: Partial<CheckStep>): CheckStep {
  return {
    kind: 'check',
    id: 'c',
    check: 'c',
    origin: 'inline',
    description: 'c',
    condition: { cel: 'result.value < 0.05' },
    timeoutMs: 1_000,
    deadlineMs: 10_000,
    intervalMs: 1_000,
    ...timing,
  };
}

const reading = (value: string): CheckOutcome['probe'] => ({
  executor: 'prometheus',
  ok: true,
  query: 'q',
  resultType: 'vector',
  samples: [{ labels: {}, value }],
  value,
  message: '',
  durationMs: 1,
});
const good: CheckOutcome = { passed: true, reason: 'c holds', probe: reading('0.01'), evidence: 'live' };
const bad: CheckOutcome = { passed: false, reason: 'c does not hold (result.value < 0.05)', probe: reading('0.3'), evidence: 'live' };
const unreadable: CheckOutcome = { passed: false, reason: 'c could not be evaluated: no samples', evidence: 'unreadable' };

/** Polls answering `answers` in order (the last repeats), recording each poll's time since the start. */
function polls(...answers: CheckOutcome[]) {
  const at: number[] = [];
  const poll = async (n: number) => {
    at.push(Date.now() - T0);
    return answers[Math.min(n, answers.length) - 1]!;
  };
  return { at, poll };
}

describe('hold_for', () => {
  it('passes on the first poll that ends a run of true polls spanning the hold; a false poll starts it again', async () => {
    const { at, poll } = polls(good, good, bad, good);
    const outcome = await pollHeld(step({ holdForMs: 4_000 }), poll);
    expect(at).toEqual([0, 1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 7_000]);
    expect(outcome).toMatchObject({ passed: true, reason: 'c held for 4 s (polls 4 to 8; required 4 s)', evidence: 'live' });
  });

  it('fails as soon as the hold can no longer complete before the deadline, saying which poll broke it and what it read', async () => {
    const { at, poll } = polls(good, good, bad);
    const outcome = await pollHeld(step({ holdForMs: 4_000, deadlineMs: 8_000 }), poll);
    // After the false poll at 4 s, a hold starting at 5 s would end at 9 s, past the deadline.
    expect(at).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
    expect(outcome).toMatchObject({
      passed: false,
      reason: 'c held 1 s of the required 4 s: poll 3 found 1 sample 0.3 (condition false: result.value < 0.05)',
      evidence: 'live',
    });
  });

  it('fails when a slow poll leaves the hold no time before the deadline', async () => {
    const { at, poll } = polls(bad, good);
    const slow = async (n: number) => {
      const outcome = await poll(n);
      if (n === 2) vi.setSystemTime(Date.now() + 2_500); // the probe took 2.5 s: the schedule slips
      return outcome;
    };
    const outcome = await pollHeld(step({ holdForMs: 4_000, deadlineMs: 5_000 }), slow);
    expect(at).toEqual([0, 1_000]);
    expect(outcome.reason).toBe('c held 0 s of the required 4 s, and its deadline of 5 s leaves no time to complete the hold (poll 2)');
  });

  it('as a pre-check (deadline = hold): one false poll fails it', async () => {
    const { at, poll } = polls(bad);
    const outcome = await pollHeld(step({ holdForMs: 2_000, deadlineMs: 2_000 }), poll);
    expect(at).toEqual([0]);
    expect(outcome.reason).toBe('c not true before its deadline of 2 s: poll 1 found 1 sample 0.3 (condition false: result.value < 0.05)');
  });
});

describe('settle', () => {
  it('waits before the first evaluation, inside the deadline', async () => {
    const { at, poll } = polls(bad, good);
    const outcome = await pollHeld(step({ settleMs: 3_000, deadlineMs: 5_000 }), poll);
    expect(slept[0]).toBe(3_000);
    expect(at).toEqual([3_000, 4_000]);
    expect(outcome).toMatchObject({ passed: true, reason: 'c holds' });
  });

  it('and fails at the deadline, counting the settle', async () => {
    const { at, poll } = polls(bad);
    const outcome = await pollHeld(step({ settleMs: 3_000, deadlineMs: 5_000 }), poll);
    expect(at).toEqual([3_000, 4_000, 5_000]);
    expect(outcome.reason).toMatch(/^c not true before its deadline of 5 s: poll 3 found/);
  });
});

describe('evidence', () => {
  it('a failure is live when any poll read the live system and found the condition false', async () => {
    const { poll } = polls(bad, unreadable);
    expect((await pollHeld(step({ settleMs: 1_000, deadlineMs: 3_000 }), poll)).evidence).toBe('live');
  });

  it('and inconclusive when every failed poll could not read, or read only the context', async () => {
    const { poll } = polls(unreadable);
    const outcome = await pollHeld(step({ settleMs: 1_000, deadlineMs: 3_000 }), poll);
    expect(outcome).toMatchObject({
      passed: false,
      evidence: 'unreadable',
      reason: expect.stringContaining('poll 3: c could not be evaluated: no samples'),
    });
    const tally = new EvidenceTally();
    const context: CheckOutcome = { passed: false, reason: 'c does not hold', evidence: 'context' };
    tally.saw(context);
    expect(tally.outcome(context).evidence).toBe('context');
  });
});
