/**
 * The time semantics of a check with `settle` or `hold_for` (dsl/check-timing.ts), on durable timers:
 * wait `settle`, then poll every `interval` on a fixed schedule; pass once the condition has been true
 * on consecutive polls spanning `hold_for` (a false poll starts the hold again); fail as soon as no
 * pass can complete before the deadline, which bounds the whole check from its start, settle included.
 * Also: whether a failed check is evidence about the live system, or inconclusive.
 */
import { sleep } from '@temporalio/workflow';
import type { CheckEvidence, CheckOutcome } from '../activities/remediation';
import { describeResult } from '../dsl/steps/describe';
import type { CheckStep } from '../dsl/types';

export type Poll = (poll: number) => Promise<CheckOutcome>;

const seconds = (ms: number) => `${ms / 1000} s`;

/**
 * What a check's polls showed about the live system. A failed check is live evidence when any of
 * its polls read the live system and found the condition false; otherwise (every failure was a probe
 * that could not read, or the check reads only the incident's context) it is inconclusive.
 */
export class EvidenceTally {
  private readonly seen = new Set<CheckEvidence>();

  saw(outcome: CheckOutcome): void {
    if (!outcome.passed && outcome.evidence) this.seen.add(outcome.evidence);
  }

  /** The check's outcome, with the evidence of the whole check. */
  outcome(last: CheckOutcome, reason = last.reason): CheckOutcome {
    const evidence: CheckEvidence | undefined = last.passed
      ? last.evidence
      : (['live', 'unreadable', 'context'] as const).find((kind) => this.seen.has(kind));
    return { ...last, reason, ...(evidence ? { evidence } : {}) };
  }
}

interface Hold {
  /** Nominal time of the first true poll of the current run of true polls. */
  since: number;
  firstPoll: number;
  /** Nominal time of its latest true poll. */
  lastTrue: number;
}

/** Runs a check with settle and hold_for (the nominal poll times keep timer latency out of the hold). */
export async function pollHeld(step: CheckStep, poll: Poll): Promise<CheckOutcome> {
  const holdMs = step.holdForMs ?? 0;
  const deadline = Date.now() + step.deadlineMs;
  const tally = new EvidenceTally();
  let at = Date.now() + (step.settleMs ?? 0);
  let hold: Hold | undefined;
  let broken: { held: number; poll: number; outcome: CheckOutcome } | undefined;
  for (let n = 1; ; n++) {
    const wait = at - Date.now();
    if (wait > 0) await sleep(wait);
    const outcome = await poll(n);
    tally.saw(outcome);
    if (outcome.passed) {
      hold = hold ? { ...hold, lastTrue: at } : { since: at, firstPoll: n, lastTrue: at };
      if (at - hold.since >= holdMs) return tally.outcome(outcome, passedReason(step, hold, n, outcome));
    } else {
      if (hold) broken = { held: hold.lastTrue - hold.since, poll: n, outcome };
      hold = undefined;
    }
    const next = Math.max(at + step.intervalMs, Date.now());
    if (firstPassAt(next, step.intervalMs, hold ? hold.since + holdMs : next + holdMs) > deadline) {
      return tally.outcome(outcome, failedReason(step, { hold, broken, poll: n, outcome }));
    }
    at = next;
  }
}

/** The nominal time of the first poll, on the schedule from `next`, at or after `needed`. */
function firstPassAt(next: number, intervalMs: number, needed: number): number {
  return needed <= next ? next : next + Math.ceil((needed - next) / intervalMs) * intervalMs;
}

function passedReason(step: CheckStep, hold: Hold, poll: number, outcome: CheckOutcome): string {
  if (!step.holdForMs) return outcome.reason;
  return `${step.check} held for ${seconds(hold.lastTrue - hold.since)} (polls ${hold.firstPoll} to ${poll}; required ${seconds(step.holdForMs)})`;
}

interface Ending {
  hold: Hold | undefined;
  broken: { held: number; poll: number; outcome: CheckOutcome } | undefined;
  poll: number;
  outcome: CheckOutcome;
}

/** "held 4 s of the required 10 s: poll 7 found ... (condition false)", "not true before its deadline of 30 s: ...". */
function failedReason(step: CheckStep, { hold, broken, poll, outcome }: Ending): string {
  const deadline = seconds(step.deadlineMs);
  const required = seconds(step.holdForMs ?? 0);
  if (hold) {
    return `${step.check} held ${seconds(hold.lastTrue - hold.since)} of the required ${required}, and its deadline of ${deadline} leaves no time to complete the hold (poll ${poll})`;
  }
  if (broken)
    return `${step.check} held ${seconds(broken.held)} of the required ${required}: ${pollFailure(step, broken.poll, broken.outcome)}`;
  return `${step.check} not true before its deadline of ${deadline}: ${pollFailure(step, poll, outcome)}`;
}

/** `poll 7 found 1 sample 0.3 {…} (condition false: result.value < 0.05)`, or why the poll could not read. */
function pollFailure(step: CheckStep, poll: number, outcome: CheckOutcome): string {
  if (outcome.evidence === 'live' && outcome.probe) {
    return `poll ${poll} found ${describeResult(outcome.probe)} (condition false: ${step.condition.cel})`;
  }
  return `poll ${poll}: ${outcome.reason}`;
}
