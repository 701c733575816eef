/**
 * A runbook's four step lists: pre_checks, the action (a command) or actions (steps), post_checks and
 * the rollback, each seeing the outputs of the steps that run before it; and the rule that step ids
 * are unique within a runbook.
 */
import { compileCheckEntry, type CheckLibrary, type Phase } from './compile-checks';
import { ACTION_TIMEOUT_MS, compileCommand, compileStep, type StepScope } from './compile-steps';
import type { RawCheckEntry, RawRunbook, RawStep } from './runbook-schema';
import type { CheckStep, ExecutionStep, Rollback } from './types';
import type { PathSegment } from './yaml-source';

export interface RunbookSteps {
  preChecks: CheckStep[];
  actions: ExecutionStep[];
  postChecks: CheckStep[];
  rollback: Rollback;
}

type ScopeWith = (visible: ReadonlyMap<string, ReadonlySet<string>>) => StepScope;

export function compileStepLists(
  raw: RawRunbook,
  path: PathSegment[],
  base: Omit<StepScope, 'outputs'>,
  library: CheckLibrary,
): RunbookSteps {
  const outputs = new Map<string, Set<string>>();
  const scope: ScopeWith = (visible) => ({ ...base, outputs: visible });
  const preChecks = compileChecks(raw.pre_checks ?? [], 'pre', [...path, 'pre_checks'], scope(new Map()), library);
  const actions = compileActions(raw, path, scope, outputs);
  const actionOutputs = new Map(outputs);
  const postChecks = compileChecks(raw.post_checks ?? [], 'post', [...path, 'post_checks'], scope(actionOutputs), library);
  const rollback = compileRollback(raw, path, scope, outputs);
  checkUniqueIds([...preChecks, ...actions, ...postChecks, ...(rollback.kind === 'steps' ? rollback.steps : [])], raw, path, base.report);
  return { preChecks, actions, postChecks, rollback };
}

function compileChecks(entries: RawCheckEntry[], phase: Phase, path: PathSegment[], scope: StepScope, library: CheckLibrary): CheckStep[] {
  const out: CheckStep[] = [];
  entries.forEach((entry, i) => {
    const step = compileCheckEntry(entry, phase, [...path, i], scope, library);
    if (step) out.push(step);
  });
  return out;
}

function compileActions(raw: RawRunbook, path: PathSegment[], scope: ScopeWith, outputs: Map<string, Set<string>>): ExecutionStep[] {
  const { report } = scope(outputs);
  if (raw.action !== undefined && raw.actions !== undefined) {
    report([...path, 'actions'], 'expected either "action" (a command) or "actions" (a list of steps), found both', { key: true });
    return [];
  }
  if (raw.action !== undefined) {
    const run = compileCommand(raw.action, [...path, 'action'], scope(outputs));
    return run
      ? [{ kind: 'action', id: 'action', description: raw.action, run, timeoutMs: ACTION_TIMEOUT_MS, retries: 0, outputs: {} }]
      : [];
  }
  if (raw.actions === undefined) {
    report(path, 'nothing to do: expected "action" (a command) or "actions" (a list of steps)', { key: true });
    return [];
  }
  return compileSteps(raw.actions, [...path, 'actions'], scope, outputs);
}

function compileSteps(steps: RawStep[], path: PathSegment[], scope: ScopeWith, outputs: Map<string, Set<string>>): ExecutionStep[] {
  const out: ExecutionStep[] = [];
  steps.forEach((raw, i) => {
    // Each step sees only the outputs of the steps before it.
    const step = compileStep(raw, [...path, i], scope(new Map(outputs)), outputs);
    if (step) out.push(step);
  });
  return out;
}

function compileRollback(raw: RawRunbook, path: PathSegment[], scope: ScopeWith, outputs: Map<string, Set<string>>): Rollback {
  if (raw.rollback === undefined) return { kind: 'undeclared' };
  if (raw.rollback === null) return { kind: 'self_healing' };
  if (typeof raw.rollback === 'string') {
    const run = compileCommand(raw.rollback, [...path, 'rollback'], scope(outputs));
    return {
      kind: 'steps',
      steps: run
        ? [{ kind: 'action', id: 'rollback', description: raw.rollback, run, timeoutMs: ACTION_TIMEOUT_MS, retries: 0, outputs: {} }]
        : [],
    };
  }
  return { kind: 'steps', steps: compileSteps(raw.rollback, [...path, 'rollback'], scope, outputs) };
}

function checkUniqueIds(steps: { id: string }[], raw: RawRunbook, path: PathSegment[], report: StepScope['report']): void {
  const seen = new Set<string>();
  for (const step of steps) {
    if (seen.has(step.id)) {
      report(
        idLocation(step.id, raw, path),
        `duplicate step id "${step.id}": step ids must be unique within a runbook (they key idempotent execution)`,
      );
    }
    seen.add(step.id);
  }
}

/** Where the (second) step with this id was written. */
function idLocation(id: string, raw: RawRunbook, path: PathSegment[]): PathSegment[] {
  const lists: [string, unknown[] | undefined][] = [
    ['pre_checks', raw.pre_checks],
    ['actions', raw.actions],
    ['post_checks', raw.post_checks],
    ['rollback', Array.isArray(raw.rollback) ? raw.rollback : undefined],
  ];
  let last: PathSegment[] = path;
  for (const [field, items] of lists) {
    (items ?? []).forEach((item, i) => {
      const itemId = typeof item === 'string' ? `${field === 'pre_checks' ? 'pre' : 'post'}.${item}` : stepIdOf(item, field);
      if (itemId === id) last = [...path, field, i];
    });
  }
  return last;
}

function stepIdOf(item: unknown, field: string): string | undefined {
  if (!item || typeof item !== 'object') return undefined;
  const entry = item as { id?: string; check?: string };
  if (entry.id !== undefined) return entry.id;
  return entry.check === undefined ? undefined : `${field === 'pre_checks' ? 'pre' : 'post'}.${entry.check}`;
}
