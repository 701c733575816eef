/**
 * The plan a remediation will run, as the approver sees it: steps with their parameters filled in,
 * and its hash. An approval is bound to the hash, so a changed plan needs a new approval.
 */
import { planHash } from '../dsl/hash';
import type { CompiledRunbook, Incident } from '../dsl/types';
import { rendererFor, type Renderer } from './renderer';

export interface Plan {
  hash: string;
  summary: string[];
}

/** Every missing, ill-typed or refused context value the plan needs, by name; empty when it can run. */
export function checkPlan(runbook: CompiledRunbook, incident: Incident, renderer: Renderer = rendererFor(true)): string[] {
  return renderer.contextProblems(runbook, incident);
}

export function planFor(runbook: CompiledRunbook, incident: Incident, renderer: Renderer = rendererFor(true)): Plan {
  const { steps, summary } = renderer.plan(runbook, incident);
  return { hash: planHash({ runbook: runbook.id, version: runbook.version, steps }), summary };
}
