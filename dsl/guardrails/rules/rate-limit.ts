/** Rate limit: at most `max_per_hour` runs of a runbook per service in any rolling hour. */
import { ownValue } from '../../safe-record';
import { HOUR_MS } from '../defaults';
import type { GuardrailRule, RuleInput } from '../types';

/** Start times of the runbook's runs on the incident's service, any age. */
export function runsOf({ runbook, incident, view }: RuleInput): number[] {
  return ownValue(view.executions, `${runbook.id}:${incident.service}`) ?? [];
}

export const rateLimit: GuardrailRule = {
  name: 'rate_limit',
  check(input) {
    const { runbook, incident, view } = input;
    const { maxPerHour } = runbook.guardrails;
    const lastHour = runsOf(input).filter((t) => t > view.nowMs - HOUR_MS);
    if (lastHour.length < maxPerHour) return undefined;
    return {
      event: 'RATE_LIMITED',
      reason: `Rate limit reached for ${runbook.id} on ${incident.service}: ${lastHour.length} runs in the last hour (max ${maxPerHour}/hour)`,
    };
  },
};
