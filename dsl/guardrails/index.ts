/** The guardrails' public face: the rule list, its evaluation, the defaults and the types. */
import { evaluateRules, GUARDRAIL_RULES } from './rules';
import type { GuardedRunbook, GuardrailRule, GuardrailView, Refusal, RuleInput } from './types';

export { evaluateRules, GUARDRAIL_RULES } from './rules';
export * from './defaults';
export type * from './types';

export interface CheckOptions {
  humanApproved?: boolean;
  capacity?: boolean;
  /** The rules to evaluate; the engine's list unless a test says otherwise. */
  rules?: readonly GuardrailRule[];
}

/** Every rule for one run against one view, in order (see ./rules). Undefined: clear. */
export function checkGuardrails(
  runbook: GuardedRunbook,
  incident: RuleInput['incident'],
  view: GuardrailView,
  options: CheckOptions = {},
): Refusal | undefined {
  const input: RuleInput = { runbook, incident, view, humanApproved: options.humanApproved ?? false, capacity: options.capacity ?? true };
  return evaluateRules(input, options.rules ?? GUARDRAIL_RULES);
}
