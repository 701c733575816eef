/**
 * The plan a remediation will run, as the approver sees it: steps with their parameters filled in,
 * and its hash. An approval is bound to the hash, so a changed plan needs a new approval.
 */
import { planHash } from '../dsl/hash';
import * as beforePlaceholderRules from '../dsl/legacy/render-v1';
import { describePlannedStep, renderPlan, validateIncidentContext } from '../dsl/render';
import type { CompiledRunbook, Incident } from '../dsl/types';

export interface Plan {
  hash: string;
  summary: string[];
}

/**
 * Every missing, ill-typed or refused context value the plan needs, by name; empty when it can run.
 * `legacy`: a run that started before the placeholder rules checks as it did then (replay).
 */
export function checkPlan(runbook: CompiledRunbook, incident: Incident, legacy = false): string[] {
  return (legacy ? beforePlaceholderRules.validateIncidentContext(runbook, incident) : validateIncidentContext(runbook, incident)).map((problem) => problem.message);
}

export function planFor(runbook: CompiledRunbook, incident: Incident, legacy = false): Plan {
  if (legacy) {
    const steps = beforePlaceholderRules.renderPlan(runbook, incident);
    return { hash: planHash({ runbook: runbook.id, version: runbook.version, steps }), summary: steps.map(beforePlaceholderRules.describePlannedStep) };
  }
  const steps = renderPlan(runbook, incident);
  return { hash: planHash({ runbook: runbook.id, version: runbook.version, steps }), summary: steps.map(describePlannedStep) };
}
