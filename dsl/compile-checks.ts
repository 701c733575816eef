/**
 * Named checks (standard library and a file's `checks:`) and check steps.
 *
 * Precedence: a name in the file's `checks:` wins over the standard library,
 * for that file only; the compiled step records `origin: 'file_override'` so
 * `plan` shows that the file replaced a standard check.
 */
import type { Diagnostics } from './diagnostics';
import { durationMs } from './duration';
import { compileCondition, compileProbe, countingScope, positiveDuration, type Report, type StepScope } from './compile-steps';
import type { RawCheckDefinition, RawCheckEntry, RawProbe } from './runbook-schema';
import { standardCheck } from './check-queries';
import { STDLIB } from './stdlib';
import { didYouMean } from './suggest';
import type { CheckOrigin, CheckStep, ExecutorSpec } from './types';
import type { PathSegment } from './yaml-source';

export type Phase = 'pre' | 'post';

const DEFAULTS = {
  pre: { deadlineMs: 0 },
  post: { deadlineMs: 60_000 },
  intervalMs: 5_000,
  timeoutMs: 10_000,
};

interface Timing {
  timeout?: string | number;
  deadline?: string | number;
  interval?: string | number;
}

interface CheckDefinition {
  origin: Exclude<CheckOrigin, 'inline'>;
  description: string;
  probe?: RawProbe;
  condition: string;
  timing: Timing;
  /** For messages at the place of use. */
  where: string;
}

/** Check names in scope for one file; `broken` ones had errors where they are defined. */
export interface CheckLibrary {
  get(name: string): CheckDefinition | 'broken' | undefined;
  names(): string[];
}

export function buildCheckLibrary(
  raw: Record<string, RawCheckDefinition>,
  brokenByDefinition: ReadonlySet<string>,
  diag: Diagnostics,
  /** The operator's queries for standard Prometheus checks, by name (compile option `checkQueries`). */
  checkQueries?: ReadonlyMap<string, string>,
): CheckLibrary {
  const own = new Map<string, CheckDefinition | 'broken'>();
  for (const [name, definition] of Object.entries(raw)) {
    if (brokenByDefinition.has(name)) {
      own.set(name, 'broken');
      continue;
    }
    const path = ['checks', name];
    const before = diag.count;
    // On its own, a definition is checked for what does not depend on the runbook using it.
    const scope: StepScope = { report: (p, m, at) => diag.error(p, m, at), context: null, outputs: 'any' };
    if (definition.probe) compileProbe(definition.probe, [...path, 'probe'], scope);
    compileCondition(definition.condition, [...path, 'condition'], scope, { context: null, result: definition.probe !== undefined });
    checkTiming(definition, path, scope.report);
    const { line } = diag.position(path, { key: true });
    own.set(
      name,
      diag.count > before
        ? 'broken'
        : {
            origin: name in STDLIB ? 'file_override' : 'file',
            description: definition.description ?? definition.condition,
            probe: definition.probe,
            condition: definition.condition,
            timing: definition,
            where: `defined in this file at line ${line}${name in STDLIB ? ', overriding the standard library' : ''}`,
          },
    );
  }
  return {
    get: (name) => {
      const mine = own.get(name);
      if (mine) return mine;
      const standard = standardCheck(name, checkQueries);
      if (!standard) return undefined;
      const { check, where } = standard;
      const definition: CheckDefinition = {
        origin: 'stdlib',
        description: check.description,
        condition: check.condition,
        timing: {},
        where,
      };
      if (check.probe) definition.probe = check.probe;
      return definition;
    },
    names: () => [...new Set([...own.keys(), ...Object.keys(STDLIB)])].sort(),
  };
}

function checkTiming(timing: Timing, path: readonly PathSegment[], report: Report): void {
  if (timing.timeout !== undefined) positiveDuration(timing.timeout, 0, [...path, 'timeout'], report);
}

/**
 * One entry of pre_checks/post_checks. Returns undefined when it had errors
 * (or uses a check whose definition had errors, already reported there).
 */
export function compileCheckEntry(
  entry: RawCheckEntry,
  phase: Phase,
  path: readonly PathSegment[],
  scope: StepScope,
  library: CheckLibrary,
): CheckStep | undefined {
  const named: CheckEntryFields = typeof entry === 'string' ? { check: entry } : entry;
  if (named.check !== undefined) return compileNamedCheck(named, named.check, typeof entry === 'string', phase, path, scope, library);
  return compileInlineCheck(named, phase, path, scope);
}

type CheckEntryFields = Exclude<RawCheckEntry, string>;

/** `check: NAME`, or a bare name: the probe and condition come from the definition. */
function compileNamedCheck(
  named: CheckEntryFields,
  check: string,
  bare: boolean,
  phase: Phase,
  path: readonly PathSegment[],
  scope: StepScope,
  library: CheckLibrary,
): CheckStep | undefined {
  for (const field of ['condition', 'probe'] as const) {
    if (named[field] !== undefined) {
      scope.report(
        [...path, field],
        `"${field}" comes from the definition of check "${check}"; use an inline check ({id, condition}) instead`,
        {
          key: true,
        },
      );
      return undefined;
    }
  }
  const definition = library.get(check);
  if (definition === 'broken') return undefined;
  if (!definition) {
    scope.report(bare ? path : [...path, 'check'], `unknown check "${check}"${didYouMean(check, library.names())}`);
    return undefined;
  }
  // Problems inside a shared definition that only show with this runbook (its context) are reported here.
  const usage: StepScope = { ...scope, report: (_p, message) => scope.report(path, `check "${check}" (${definition.where}): ${message}`) };
  return buildCheck({
    id: named.id ?? `${phase}.${check}`,
    check,
    origin: definition.origin,
    description: named.description ?? definition.description,
    probe: definition.probe,
    probePath: path,
    condition: definition.condition,
    conditionPath: path,
    when: named.when,
    timing: { ...definition.timing, ...definedTiming(named) },
    phase,
    path,
    scope,
    definitionScope: usage,
  });
}

/** `{id, condition, probe?}`: a check written where it is used. */
function compileInlineCheck(named: CheckEntryFields, phase: Phase, path: readonly PathSegment[], scope: StepScope): CheckStep | undefined {
  if (named.condition === undefined || named.id === undefined) {
    const missing = [named.id === undefined ? '"id"' : '', named.condition === undefined ? '"condition"' : '']
      .filter(Boolean)
      .join(' and ');
    scope.report(path, `an inline check needs ${missing} (or use a named check: "check: NAME")`);
    return undefined;
  }
  return buildCheck({
    id: named.id,
    check: named.id,
    origin: 'inline',
    description: named.description ?? named.condition,
    probe: named.probe,
    probePath: [...path, 'probe'],
    condition: named.condition,
    conditionPath: [...path, 'condition'],
    when: named.when,
    timing: definedTiming(named),
    phase,
    path,
    scope,
    definitionScope: scope,
  });
}

function definedTiming(entry: Timing): Timing {
  const out: Timing = {};
  if (entry.timeout !== undefined) out.timeout = entry.timeout;
  if (entry.deadline !== undefined) out.deadline = entry.deadline;
  if (entry.interval !== undefined) out.interval = entry.interval;
  return out;
}

interface CheckParts {
  id: string;
  check: string;
  origin: CheckOrigin;
  description: string;
  probe: RawProbe | undefined;
  probePath: readonly PathSegment[];
  condition: string;
  conditionPath: readonly PathSegment[];
  when: string | undefined;
  timing: Timing;
  phase: Phase;
  path: readonly PathSegment[];
  /** Where the entry's own fields report. */
  scope: StepScope;
  /** Where problems in the probe and condition report. */
  definitionScope: StepScope;
}

function buildCheck(parts: CheckParts): CheckStep | undefined {
  const { path } = parts;
  const definition = countingScope(parts.definitionScope);
  const entry = countingScope(parts.scope);
  const scope = entry.scope;
  let probe: ExecutorSpec | undefined;
  if (parts.probe) probe = compileProbe(parts.probe, parts.probePath, definition.scope);
  const condition = compileCondition(parts.condition, parts.conditionPath, definition.scope, {
    context: scope.context,
    result: parts.probe !== undefined,
  });
  const when =
    parts.when === undefined
      ? undefined
      : compileCondition(parts.when, [...path, 'when'], scope, { context: scope.context, result: false });

  const deadlineMs = positiveOrZero(parts.timing.deadline, DEFAULTS[parts.phase].deadlineMs);
  const intervalMs = positiveOrZero(parts.timing.interval, deadlineMs > 0 ? Math.min(DEFAULTS.intervalMs, deadlineMs) : 0);
  const timeoutMs = positiveDuration(parts.timing.timeout, DEFAULTS.timeoutMs, [...path, 'timeout'], scope.report);
  if (deadlineMs > 0 && (intervalMs <= 0 || intervalMs > deadlineMs)) {
    scope.report(path, `a polled check needs 0 < interval <= deadline, found interval ${intervalMs}ms and deadline ${deadlineMs}ms`);
  }
  if (definition.count() > 0 || entry.count() > 0 || !condition) return undefined;
  const step: CheckStep = {
    kind: 'check',
    id: parts.id,
    check: parts.check,
    origin: parts.origin,
    description: parts.description,
    condition,
    timeoutMs,
    deadlineMs,
    intervalMs,
  };
  if (probe) step.probe = probe;
  if (when) step.when = when;
  return step;
}

function positiveOrZero(raw: string | number | undefined, fallback: number): number {
  return raw === undefined ? fallback : durationMs(raw);
}
