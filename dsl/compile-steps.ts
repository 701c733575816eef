/**
 * Compiling action steps, waits and probes: which step kind a step names (each kind compiles in
 * its own module, dsl/steps/), CEL guards and outputs, timeouts.
 */
import { checkCondition, checkExpr, type CelScope } from './cel';
import { durationMs } from './duration';
import type { RawProbe, RawStep } from './runbook-schema';
import { compileKind, EXECUTOR_KINDS, kindsIn, listKinds, stepKind } from './steps';
import { countingScope, type Report, type StepScope } from './steps/support';
import type { CelExpr, ExecutionStep, ExecutorSpec } from './types';
import type { PathSegment } from './yaml-source';

// What compile-runbook.ts and compile-checks.ts use besides steps.
export { compileCommand } from './steps/exec';
export { countingScope, type Report, type StepScope } from './steps/support';

export const ACTION_TIMEOUT_MS = 60_000;

export function compileProbe(raw: RawProbe, path: readonly PathSegment[], scope: StepScope): ExecutorSpec | undefined {
  const kinds = kindsIn(raw);
  const [kind] = kinds;
  if (kind === undefined || kinds.length !== 1) {
    scope.report(
      path,
      `a probe needs exactly one of ${listKinds(EXECUTOR_KINDS)}, found ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`,
    );
    return undefined;
  }
  return compileKind(kind, raw[kind]!, path, scope, 'probe');
}

export function compileCondition(expr: string, path: readonly PathSegment[], scope: StepScope, celScope: CelScope): CelExpr | undefined {
  const checked = checkCondition(expr, celScope);
  if (!checked.ok) {
    scope.report(path, `invalid CEL condition: ${checked.message}`, { offset: checked.offset });
    return undefined;
  }
  return { cel: expr };
}

export function positiveDuration(raw: string | number | undefined, fallback: number, path: readonly PathSegment[], report: Report): number {
  if (raw === undefined) return fallback;
  const ms = durationMs(raw);
  if (ms <= 0) report(path, `expected a duration greater than zero, found ${JSON.stringify(raw)}`);
  return ms;
}

/** An action, rollback step or wait. Adds its outputs to `outputs` for the steps after it. */
export function compileStep(
  raw: RawStep,
  path: readonly PathSegment[],
  scope: StepScope,
  outputs: Map<string, Set<string>>,
): ExecutionStep | undefined {
  const kinds = [...kindsIn(raw), ...(raw.wait !== undefined ? ['wait'] : [])];
  if (kinds.length !== 1) {
    scope.report(
      path,
      `a step needs exactly one of ${listKinds([...EXECUTOR_KINDS, 'wait'])}, found ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`,
    );
    return undefined;
  }
  const counted = countingScope(scope);
  const when =
    raw.when === undefined
      ? undefined
      : compileCondition(raw.when, [...path, 'when'], counted.scope, { context: scope.context, result: false });
  const step = raw.wait !== undefined ? compileWait(raw, raw.wait, path, counted.scope) : compileAction(raw, path, counted.scope, outputs);
  if (!step || counted.count() > 0) return undefined;
  if (when) step.when = when;
  return step;
}

function compileWait(raw: RawStep, wait: string | number, path: readonly PathSegment[], scope: StepScope): ExecutionStep {
  for (const field of ['timeout', 'retries', 'outputs'] as const) {
    if (raw[field] !== undefined) scope.report([...path, field], `a wait step takes no "${field}"`, { key: true });
  }
  return { kind: 'wait', id: raw.id, durationMs: positiveDuration(wait, 0, [...path, 'wait'], scope.report) };
}

function compileAction(
  raw: RawStep,
  path: readonly PathSegment[],
  scope: StepScope,
  outputs: Map<string, Set<string>>,
): ExecutionStep | undefined {
  const [kind] = kindsIn(raw);
  const run = kind === undefined ? undefined : compileKind(kind, raw[kind]!, path, scope, 'step');
  const stepOutputs: Record<string, CelExpr> = {};
  for (const [name, expr] of Object.entries(raw.outputs ?? {})) {
    const checked = checkExpr(expr, { context: scope.context, result: true });
    if (checked.ok) stepOutputs[name] = { cel: expr };
    else scope.report([...path, 'outputs', name], `invalid CEL output: ${checked.message}`, { offset: checked.offset });
  }
  const timeoutMs = positiveDuration(raw.timeout, ACTION_TIMEOUT_MS, [...path, 'timeout'], scope.report);
  if (raw.outputs) outputs.set(raw.id, new Set(Object.keys(raw.outputs)));
  if (!run) return undefined;
  return {
    kind: 'action',
    id: raw.id,
    description: raw.description ?? describeSpec(run),
    run,
    timeoutMs,
    retries: raw.retries ?? 0,
    outputs: stepOutputs,
  };
}

/** The default description of an action (see StepKindModule.describeSpec for why it is not describeRun). */
function describeSpec(spec: ExecutorSpec): string {
  return stepKind(spec.executor)?.describeSpec(spec) ?? spec.executor;
}
