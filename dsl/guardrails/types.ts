/**
 * What the guardrail rules read and answer. A rule reads one view of the shared state (a
 * `GuardrailView`): the coordinator builds it from its state and policy, `decide` and
 * `plan --state` receive it as a snapshot. Parts a snapshot leaves out mean "nothing recorded".
 */
import type { ChangeWindow } from '../change-window';
import type { BlockedEvent, CompiledRunbook, GuardrailSnapshot, Incident } from '../types';

export type GuardrailLimits = GuardrailSnapshot['limits'];

export interface BreakerSettings {
  failureThreshold: number;
  recoveryTimeoutMs: number;
}

/** Fleet-level breaker: more than `maxFailures` failed remediations of one service within `windowMs` stop automation for it. */
export interface FailureBudget {
  maxFailures: number;
  windowMs: number;
}

export interface GuardrailPolicy {
  limits: GuardrailLimits;
  failureBudget: FailureBudget;
  changeWindows: ChangeWindow[];
}

export interface Freeze {
  by: string;
  reason: string;
  sinceMs: number;
  untilMs?: number;
}

/** The snapshot, plus what the coordinator alone used to know: the freeze, failures per service, the budget and the windows. */
export interface GuardrailView extends GuardrailSnapshot {
  freeze?: Freeze;
  /** Failure times per service, for the failure budget. */
  serviceFailures?: Record<string, number[]>;
  /** Absent: the default budget (see ./defaults). */
  failureBudget?: FailureBudget;
  changeWindows?: ChangeWindow[];
}

/** A runbook as the rules see it; one of unknown risk is held only by windows that name its id. */
export type GuardedRunbook = Pick<CompiledRunbook, 'id' | 'guardrails'> & Partial<Pick<CompiledRunbook, 'risk'>>;

export interface RuleInput {
  runbook: GuardedRunbook;
  incident: Pick<Incident, 'service' | 'services'>;
  view: GuardrailView;
  /** A human approved this run: change windows and freezes hold automation, not people. */
  humanApproved: boolean;
  /** False: what is under change right now is left out (a run that first waits for humans asks for its slot once approved). */
  capacity: boolean;
}

export type Refusal =
  | { event: BlockedEvent; reason: string }
  | { event: 'OUTSIDE_CHANGE_WINDOW'; reason: string; outside: 'wait' | 'approval'; opensAtMs: number | undefined };

export type RuleName = 'freeze' | 'circuit_breaker' | 'rate_limit' | 'cooldown' | 'blast_radius' | 'failure_budget' | 'change_window';

/** One guardrail: pure, reads its input, says why not (or nothing). */
export interface GuardrailRule {
  readonly name: RuleName;
  check(input: RuleInput): Refusal | undefined;
}

export function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}
