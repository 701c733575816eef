/**
 * The plan a remediation will run, as the approver sees it: steps with their parameters filled in,
 * and its hash. An approval is bound to the hash, so a changed plan needs a new approval.
 */
import { planHash } from '../dsl/hash';
import { describePlannedStep, renderPlan, validateIncidentContext } from '../dsl/render';
import type { CompiledRunbook, Incident } from '../dsl/types';

export interface Plan {
  hash: string;
  summary: string[];
}

/** Every missing or ill-typed context value the plan needs, by name; empty when it can run. */
export function checkPlan(runbook: CompiledRunbook, incident: Incident): string[] {
  return validateIncidentContext(runbook, incident).map((problem) => problem.message);
}

export function planFor(runbook: CompiledRunbook, incident: Incident): Plan {
  const steps = renderPlan(runbook, incident);
  return { hash: planHash({ runbook: runbook.id, version: runbook.version, steps }), summary: steps.map(describePlannedStep) };
}
