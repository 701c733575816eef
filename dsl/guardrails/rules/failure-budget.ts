/** Failure budget: more than `max_failures` failed remediations of a service within the window stop automation for it. */
import { ownValue } from '../../safe-record';
import { DEFAULT_FAILURE_BUDGET } from '../defaults';
import type { GuardrailRule } from '../types';

export const failureBudget: GuardrailRule = {
  name: 'failure_budget',
  check({ incident, view }) {
    const service = incident.service;
    const budget = view.failureBudget ?? DEFAULT_FAILURE_BUDGET;
    // Own keys only: services are incident data.
    const recent = (ownValue(view.serviceFailures ?? {}, service) ?? []).filter((t) => t > view.nowMs - budget.windowMs);
    if (recent.length <= budget.maxFailures) return undefined;
    return {
      event: 'FAILURE_BUDGET_EXHAUSTED',
      reason: `${recent.length} remediations failed for ${service} in the last ${Math.round(budget.windowMs / 60000)} min (budget ${budget.maxFailures}); automation for ${service} is stopped until a human looks`,
    };
  },
};
