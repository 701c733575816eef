/**
 * The renderer a run uses, chosen once when it starts: the current one, or the one before the
 * placeholder rules for runs recorded before `placeholder-rules` (kept verbatim in dsl/legacy so
 * they replay exactly). Plans, context checks and steps all go through the same choice.
 */
import * as beforePlaceholderRules from '../dsl/legacy/render-v1';
import { isV1Spec, type ExecutorSpecV1, type RunbookV1 } from '../dsl/legacy/types-v1';
import { RenderError, renderExecutor, type RenderVars } from '../dsl/render';
import { renderPlan, validateIncidentContext } from '../dsl/render-plan';
import { usesSecretsOrQuery } from '../dsl/secret-ref';
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

/**
 * A run recorded before `placeholder-rules` holds only the step kinds of then; a later kind (prometheus)
 * reaching the old renderer would be a new run misrouted, so it fails rather than rendering by rules it never had.
 */
function v1Runbook(runbook: CompiledRunbook): CompiledRunbook & RunbookV1 {
  const steps = [...runbook.actions, ...(runbook.rollback.kind === 'steps' ? runbook.rollback.steps : [])];
  const specs = [
    ...[...runbook.preChecks, ...runbook.postChecks].flatMap((check) => (check.probe ? [check.probe] : [])),
    ...steps.flatMap((step) => (step.kind === 'action' ? [step.run] : [])),
  ];
  if (isV1Runbook(runbook, specs)) return runbook;
  throw new RenderError(undefined, 'executor', 'a run rendered by the rules before placeholder-rules cannot hold a newer step kind');
}

function isV1Runbook(runbook: CompiledRunbook, specs: ExecutorSpec[]): runbook is CompiledRunbook & RunbookV1 {
  return specs.every(isV1);
}

/** Secret references and `query:` came after placeholder-rules too: such a spec is a newer one. */
function isV1(spec: ExecutorSpec): spec is ExecutorSpecV1 & ExecutorSpec {
  return isV1Spec(spec) && !usesSecretsOrQuery(spec);
}

function v1Spec(spec: ExecutorSpec, step: string): ExecutorSpecV1 {
  if (isV1(spec)) return spec;
  throw new RenderError(step, 'executor', `a run rendered by the rules before placeholder-rules cannot run a ${spec.executor} step`);
}

const BEFORE_PLACEHOLDER_RULES: Renderer = {
  contextProblems: (runbook, incident) =>
    beforePlaceholderRules.validateIncidentContext(v1Runbook(runbook), incident).map((p) => p.message),
  plan: (runbook, incident) => {
    const steps = beforePlaceholderRules.renderPlan(v1Runbook(runbook), incident);
    // Steps rendered by the old rules, described as every step is (the summary is for people, not replayed).
    return { steps, summary: steps.map(describePlannedStep) };
  },
  step: (spec, vars, step) => beforePlaceholderRules.renderExecutor(v1Spec(spec, step), vars),
};

export function rendererFor(placeholderRules: boolean): Renderer {
  return placeholderRules ? CURRENT : BEFORE_PLACEHOLDER_RULES;
}
