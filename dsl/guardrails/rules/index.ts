/**
 * The guardrails, in the engine's decision order: an operator's freeze first, then the reference
 * exercise's handle_incident order (circuit breaker, rate limit and cooldown, blast radius), then
 * the fleet's failure budget and change windows. The coordinator grants a slot, and `decide` and
 * `plan --state` decide, by evaluating this one list: the first rule that refuses gives the answer.
 */
import type { GuardrailRule, Refusal, RuleInput } from '../types';
import { blastRadius } from './blast-radius';
import { changeWindow } from './change-window';
import { circuitBreaker } from './circuit-breaker';
import { cooldown } from './cooldown';
import { failureBudget } from './failure-budget';
import { freeze } from './freeze';
import { rateLimit } from './rate-limit';

export const GUARDRAIL_RULES: readonly GuardrailRule[] = [
  freeze,
  circuitBreaker,
  rateLimit,
  cooldown,
  blastRadius,
  failureBudget,
  changeWindow,
];

/** The first refusal in order, or undefined when every rule is clear. */
export function evaluateRules(input: RuleInput, rules: readonly GuardrailRule[] = GUARDRAIL_RULES): Refusal | undefined {
  for (const rule of rules) {
    const refused = rule.check(input);
    if (refused) return refused;
  }
  return undefined;
}
