/**
 * A runbook against one incident, before anything runs: every problem with its context, and the
 * plan (its steps rendered) an approval binds to.
 */
import { describeValue } from './describe';
import { describeDecl, fitsParamType } from './param-types';
import {
  ContextError,
  lookup,
  ownValue,
  render,
  RenderError,
  renderTemplate,
  scalarText,
  type RenderOptions,
  type RenderVars,
} from './render';
import { stepKind } from './steps';
import type { PlacedTemplate } from './steps/kind';
import { mapValues } from './steps/support';
import { placeholders } from './template';
import type { CompiledRunbook, ExecutorSpec, Incident, PlannedStep, Step } from './types';

/**
 * Every problem with the incident's context for this runbook: declared fields
 * missing or of the wrong type, and values any step's placeholders need that
 * are missing or cannot be bound safely. Empty when it may run.
 */
export function validateIncidentContext(runbook: CompiledRunbook, incident: Incident): RenderError[] {
  const errors = new Map<string, RenderError>();
  const context = incident.context;
  for (const [name, decl] of Object.entries(runbook.context ?? {})) {
    const value = ownValue(context, name);
    const field = `context.${name}`;
    if (value === undefined || value === null) {
      if (decl.required) errors.set(field, new ContextError(field, describeDecl(decl), 'nothing (missing)'));
    } else if (!fitsParamType(decl.type, value)) {
      errors.set(field, new ContextError(field, describeDecl(decl), describeValue(value)));
    }
  }
  const vars: RenderVars = { incident, context, steps: {} };
  for (const step of allSteps(runbook)) {
    for (const spec of executorsOf(step)) {
      for (const { template, slot } of templatesOf(spec)) {
        const known = placeholders(template).filter((path) => path[0] !== 'steps');
        let bindable = true;
        for (const path of known) {
          const field = path.join('.');
          if (errors.has(field)) {
            bindable = false;
            continue;
          }
          try {
            scalarText(path, lookup(path, vars, {}), slot.sink, step.id);
          } catch (error) {
            if (!(error instanceof ContextError)) throw error;
            errors.set(field, error);
            bindable = false;
          }
        }
        // Every value binds: now the rules of where it lands (step outputs wait for run time).
        if (!bindable || known.length === 0) continue;
        try {
          renderTemplate(template, vars, slot, { step: step.id, context: runbook.context, deferred: [] });
        } catch (error) {
          if (!(error instanceof RenderError)) throw error;
          if (!errors.has(error.field)) errors.set(error.field, error);
        }
      }
    }
  }
  return [...errors.values()];
}

function allSteps(runbook: CompiledRunbook): Step[] {
  return [
    ...runbook.preChecks,
    ...runbook.actions,
    ...runbook.postChecks,
    ...(runbook.rollback.kind === 'steps' ? runbook.rollback.steps : []),
  ];
}

function executorsOf(step: Step): ExecutorSpec[] {
  if (step.kind === 'check') return step.probe ? [step.probe] : [];
  if (step.kind === 'action') return [step.run];
  return [];
}

/** The templates of a spec with where each lands; a spec of no known kind has none to check (rendering it refuses it). */
function templatesOf(spec: ExecutorSpec): PlacedTemplate[] {
  return stepKind(spec.executor)?.templates(spec) ?? [];
}

// ---------------------------------------------------------------------------
// Plans

/**
 * The runbook's steps for this incident, placeholders filled (step outputs
 * stay `{steps.ID.NAME}` until run time). Throws the first RenderError;
 * call validateIncidentContext first to get all of them.
 */
export function renderPlan(runbook: CompiledRunbook, incident: Incident): PlannedStep[] {
  const problems = validateIncidentContext(runbook, incident);
  if (problems.length > 0) throw problems[0];
  const vars: RenderVars = { incident, context: incident.context, steps: {} };
  const phases: [PlannedStep['phase'], Step[]][] = [
    ['pre_check', runbook.preChecks],
    ['action', runbook.actions],
    ['post_check', runbook.postChecks],
    ['rollback', runbook.rollback.kind === 'steps' ? runbook.rollback.steps : []],
  ];
  return phases.flatMap(([phase, steps]) => steps.map((step) => planStep(phase, step, vars, runbook.context)));
}

function planStep(phase: PlannedStep['phase'], step: Step, vars: RenderVars, context: CompiledRunbook['context']): PlannedStep {
  const deferred: string[] = [];
  const options: RenderOptions = { deferred, step: step.id, context };
  const base = { phase, id: step.id, deferred, ...(step.when ? { when: step.when.cel } : {}) };
  switch (step.kind) {
    case 'check': {
      const planned: PlannedStep = {
        ...base,
        kind: 'check',
        check: step.check,
        origin: step.origin,
        description: step.description,
        condition: step.condition.cel,
        timeoutMs: step.timeoutMs,
        deadlineMs: step.deadlineMs,
        intervalMs: step.intervalMs,
      };
      if (step.settleMs) planned.settleMs = step.settleMs;
      if (step.holdForMs) planned.holdForMs = step.holdForMs;
      if (step.probe) planned.probe = render(step.probe, vars, options);
      return planned;
    }
    case 'action':
      return {
        ...base,
        kind: 'action',
        description: step.description,
        run: render(step.run, vars, options),
        timeoutMs: step.timeoutMs,
        retries: step.retries,
        outputs: mapValues(step.outputs, (expr) => expr.cel),
      };
    case 'wait':
      return { ...base, kind: 'wait', durationMs: step.durationMs };
  }
}
