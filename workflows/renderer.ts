/**
 * The renderer a run uses, chosen once when it starts: the current one, or the one before the
 * placeholder rules for runs recorded before `placeholder-rules` (kept verbatim in dsl/legacy so
 * they replay exactly). Plans, context checks and steps all go through the same choice.
 */
import * as beforePlaceholderRules from '../dsl/legacy/render-v1';
import { renderExecutor, type RenderVars } from '../dsl/render';
import { renderPlan, validateIncidentContext } from '../dsl/render-plan';
import { describePlannedStep } from '../dsl/steps/describe';
import type { CompiledRunbook, ExecutorSpec, Incident, ParamDecl, PlannedStep, ResolvedExecutor } from '../dsl/types';

export interface Renderer {
  /** Every missing, ill-typed or refused context value, as messages. */
  contextProblems(runbook: CompiledRunbook, incident: Incident): string[];
  plan(runbook: CompiledRunbook, incident: Incident): { steps: PlannedStep[]; summary: string[] };
  step(spec: ExecutorSpec, vars: RenderVars, step: string, context: Record<string, ParamDecl> | null): ResolvedExecutor;
}

const CURRENT: Renderer = {
  contextProblems: (runbook, incident) => validateIncidentContext(runbook, incident).map((p) => p.message),
  plan: (runbook, incident) => {
    const steps = renderPlan(runbook, incident);
    return { steps, summary: steps.map(describePlannedStep) };
  },
  step: (spec, vars, step, context) => renderExecutor(spec, vars, { step, context: context ?? undefined }),
};

const BEFORE_PLACEHOLDER_RULES: Renderer = {
  contextProblems: (runbook, incident) => beforePlaceholderRules.validateIncidentContext(runbook, incident).map((p) => p.message),
  plan: (runbook, incident) => {
    const steps = beforePlaceholderRules.renderPlan(runbook, incident);
    // Steps rendered by the old rules, described as every step is (the summary is for people, not replayed).
    return { steps, summary: steps.map(describePlannedStep) };
  },
  step: (spec, vars) => beforePlaceholderRules.renderExecutor(spec, vars),
};

export function rendererFor(placeholderRules: boolean): Renderer {
  return placeholderRules ? CURRENT : BEFORE_PLACEHOLDER_RULES;
}
