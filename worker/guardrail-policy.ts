/**
 * The coordinator's guardrail policy: the `limits`, `failure_budget` and `change_windows` of the
 * operator policy file (worker/operator-policy.ts, docs/operator-policy.md), kept for its callers.
 */
import type { GuardrailPolicy } from '../dsl/guardrail-state';
import { DEFAULT_GUARDRAILS, loadOperatorPolicy, operatorPolicyFile } from './operator-policy';

export { PolicyFileError } from './operator-policy';

export const DEFAULT_GUARDRAIL_POLICY: GuardrailPolicy = DEFAULT_GUARDRAILS;

/** Throws PolicyFileError when REMEDIATE_POLICY_FILE names a file that is unreadable or invalid. */
export function loadGuardrailPolicy(env: NodeJS.ProcessEnv = process.env): GuardrailPolicy {
  return loadOperatorPolicy(operatorPolicyFile(env), env).guardrails;
}
