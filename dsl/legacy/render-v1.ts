/**
 * The renderer as it was before the placeholder rules (`placeholder-rules`): kept, unchanged, only so
 * that runs which started before them replay exactly. Never used for a new run.
 */
/**
 * Filling placeholders, purely (the workflow calls this). Each placeholder
 * value lands inside exactly one argument, header, env value or URL component;
 * nothing is ever re-parsed, so `x; rm -rf /` stays one odd argument.
 */
import { describeValue } from '../describe';
import { placeholders } from './template-v1';
import type {
  RunbookV1 as CompiledRunbook,
  ExecutorSpecV1 as ExecutorSpec,
  Incident,
  ParamDeclV1 as ParamDecl,
  ParamTypeV1 as ParamType,
  PlannedStepV1 as PlannedStep,
  ResolvedExecutorV1 as ResolvedExecutor,
  ResolvedKubernetesV1 as ResolvedKubernetes,
  StepV1 as Step,
  TemplateV1 as Template,
  TemplateValueV1 as TemplateValue,
} from './types-v1';

/** A context value is missing or does not fit: nothing may run. */
export class ContextError extends Error {
  override readonly name = 'ContextError';
  constructor(
    /** `context.pod_name`, `steps.capture.replicas`, ... */
    readonly field: string,
    readonly expected: string,
    readonly found: string,
    /** The step that needs it, when known. */
    readonly step?: string,
  ) {
    super(`${field}: expected ${expected}, found ${found}${step ? ` (needed by step ${step})` : ''}`);
  }
}

export interface RenderVars {
  incident: Incident;
  context: Record<string, unknown>;
  steps: Record<string, Record<string, unknown>>;
}

/** Where a value lands decides what it may contain. */
type Sink = 'line' | 'url' | 'body';

interface RenderOptions {
  /** In a plan, step outputs are not known yet: keep `{steps.ID.NAME}` and list it. */
  deferred?: string[];
  step?: string;
}

export function renderExecutor(spec: ExecutorSpec, vars: RenderVars): ResolvedExecutor {
  return render(spec, vars, {});
}

function render(spec: ExecutorSpec, vars: RenderVars, options: RenderOptions): ResolvedExecutor {
  if (spec.executor === 'exec') {
    const resolved: ResolvedExecutor = {
      executor: 'exec',
      argv: spec.argv.map((arg) => renderTemplate(arg, vars, 'line', options)),
      env: mapValues(spec.env, (value) => renderTemplate(value, vars, 'line', options)),
      okExitCodes: spec.okExitCodes,
    };
    if (spec.cwd !== undefined) resolved.cwd = spec.cwd;
    return resolved;
  }
  if (spec.executor === 'kubernetes') {
    const line = (template: Template) => renderTemplate(template, vars, 'line', options);
    const resolved: ResolvedKubernetes = {
      executor: 'kubernetes',
      op: spec.op,
      namespace: line(spec.namespace),
      name: line(spec.name),
      namespaces: spec.namespaces,
    };
    if (spec.replicas) resolved.replicas = line(spec.replicas);
    if (spec.delta) resolved.delta = line(spec.delta);
    if (spec.toRevision) resolved.toRevision = line(spec.toRevision);
    return resolved;
  }
  const resolved: ResolvedExecutor = {
    executor: 'http',
    method: spec.method,
    url: renderTemplate(spec.url, vars, 'url', options),
    headers: mapValues(spec.headers, (value) => renderTemplate(value, vars, 'line', options)),
    okStatuses: spec.okStatuses,
  };
  if (spec.body !== undefined) resolved.body = renderBody(spec.body, vars, options);
  return resolved;
}

function renderTemplate(template: Template, vars: RenderVars, sink: Sink, options: RenderOptions): string {
  return template.parts
    .map((part) => {
      if (part.kind === 'literal') return part.text;
      const value = lookup(part.path, vars, options);
      if (value === DEFERRED) return `{${part.path.join('.')}}`;
      const text = scalarText(part.path, value, sink, options.step);
      return sink === 'url' ? encodeURIComponent(text) : text;
    })
    .join('');
}

/** A body string that is exactly one placeholder keeps the value's JSON type (5 stays a number). */
function renderBody(value: TemplateValue, vars: RenderVars, options: RenderOptions): unknown {
  switch (value.kind) {
    case 'literal':
      return value.value;
    case 'list':
      return value.items.map((item) => renderBody(item, vars, options));
    case 'object':
      return mapValues(value.entries, (entry) => renderBody(entry, vars, options));
    case 'template': {
      const [only, ...rest] = value.template.parts;
      if (only?.kind === 'placeholder' && rest.length === 0) {
        const resolved = lookup(only.path, vars, options);
        if (resolved === DEFERRED) return `{${only.path.join('.')}}`;
        scalarText(only.path, resolved, 'body', options.step);
        return resolved;
      }
      return renderTemplate(value.template, vars, 'body', options);
    }
  }
}

const DEFERRED = Symbol('deferred');

function lookup(path: string[], vars: RenderVars, options: RenderOptions): unknown {
  const [root, name = '', output = ''] = path;
  if (root === 'context') return ownValue(vars.context, name);
  if (root === 'incident') return ownValue(vars.incident as unknown as Record<string, unknown>, name);
  const outputs = ownValue(vars.steps, name) as Record<string, unknown> | undefined;
  const value = outputs && typeof outputs === 'object' ? ownValue(outputs, output) : undefined;
  if (value === undefined && options.deferred) {
    options.deferred.push(path.join('.'));
    return DEFERRED;
  }
  return value;
}

/** Own properties only: `{constructor}` must not reach Object.prototype. */
function ownValue(record: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

function scalarText(path: string[], value: unknown, sink: Sink, step: string | undefined): string {
  const field = path.join('.');
  if (value === undefined || value === null) throw new ContextError(field, 'a value', 'nothing (missing)', step);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ContextError(field, 'a finite number', String(value), step);
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') throw new ContextError(field, 'a string, number or boolean', describeValue(value), step);
  if (value.includes('\u0000')) throw new ContextError(field, 'text without NUL characters', describeValue(value), step);
  if (sink === 'line' && /[\r\n]/.test(value)) {
    throw new ContextError(field, 'a single line of text (it becomes one argument, header or variable)', describeValue(value), step);
  }
  return value;
}

function mapValues<T, U>(record: Record<string, T>, fn: (value: T) => U): Record<string, U> {
  const out: Record<string, U> = {};
  for (const [key, value] of Object.entries(record)) out[key] = fn(value);
  return out;
}

// ---------------------------------------------------------------------------
// Checking an incident's context against a runbook, before anything runs.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const EXPECTED: Record<ParamType, string> = {
  string: 'a string',
  int: 'an integer',
  number: 'a number',
  bool: 'true or false',
  dns_label: 'a DNS label (lowercase letters, digits and "-", at most 63 characters)',
  dns_subdomain: 'a DNS subdomain (lowercase DNS labels joined by ".", at most 253 characters)',
};

function fitsParamType(type: ParamType, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'bool':
      return typeof value === 'boolean';
    case 'dns_label':
      return typeof value === 'string' && value.length <= 63 && DNS_LABEL.test(value);
    case 'dns_subdomain':
      return (
        typeof value === 'string' && value.length <= 253 && value.split('.').every((label) => label.length <= 63 && DNS_LABEL.test(label))
      );
  }
}

/**
 * Every problem with the incident's context for this runbook: declared fields
 * missing or of the wrong type, and values any step's placeholders need that
 * are missing or cannot be bound safely. Empty when it may run.
 */
export function validateIncidentContext(runbook: CompiledRunbook, incident: Incident): ContextError[] {
  const errors = new Map<string, ContextError>();
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
      for (const { template, sink } of templatesOf(spec)) {
        for (const path of placeholders(template)) {
          if (path[0] === 'steps') continue;
          const field = path.join('.');
          if (errors.has(field)) continue;
          try {
            scalarText(path, lookup(path, vars, {}), sink, step.id);
          } catch (error) {
            if (error instanceof ContextError) errors.set(field, error);
            else throw error;
          }
        }
      }
    }
  }
  return [...errors.values()];
}

function describeDecl(decl: ParamDecl): string {
  return decl.description ? `${EXPECTED[decl.type]}: ${decl.description}` : EXPECTED[decl.type];
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

function templatesOf(spec: ExecutorSpec): { template: Template; sink: Sink }[] {
  const line = (template: Template) => ({ template, sink: 'line' as const });
  if (spec.executor === 'exec') return [...spec.argv.map(line), ...Object.values(spec.env).map(line)];
  if (spec.executor === 'kubernetes') {
    return [spec.namespace, spec.name, spec.replicas, spec.delta, spec.toRevision].filter((t): t is Template => t !== undefined).map(line);
  }
  const out: { template: Template; sink: Sink }[] = [{ template: spec.url, sink: 'url' }, ...Object.values(spec.headers).map(line)];
  const walk = (value: TemplateValue | undefined): void => {
    if (!value) return;
    if (value.kind === 'template') out.push({ template: value.template, sink: 'body' });
    if (value.kind === 'list') value.items.forEach(walk);
    if (value.kind === 'object') Object.values(value.entries).forEach(walk);
  };
  walk(spec.body);
  return out;
}

// ---------------------------------------------------------------------------
// Plans

/**
 * The runbook's steps for this incident, placeholders filled (step outputs
 * stay `{steps.ID.NAME}` until run time). Throws the first ContextError;
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
  return phases.flatMap(([phase, steps]) => steps.map((step) => planStep(phase, step, vars)));
}

function planStep(phase: PlannedStep['phase'], step: Step, vars: RenderVars): PlannedStep {
  const deferred: string[] = [];
  const options: RenderOptions = { deferred, step: step.id };
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

/** One line per step, for people (plan output, approval requests). */
export function describePlannedStep(step: PlannedStep): string {
  const label = { pre_check: 'pre-check', action: 'action', post_check: 'post-check', rollback: 'rollback' }[step.phase];
  const guard = step.when ? ` (only when ${step.when})` : '';
  switch (step.kind) {
    case 'check': {
      const override = step.origin === 'file_override' ? ' [overrides the standard library]' : '';
      const probe = step.probe ? `probe ${describeResolved(step.probe)}; ` : '';
      const polling = step.deadlineMs > 0 ? `, polled every ${step.intervalMs / 1000}s for up to ${step.deadlineMs / 1000}s` : '';
      return `${label} ${step.check}${override}: ${probe}${step.condition}${polling}${guard}`;
    }
    case 'action':
      return `${label} ${step.id}: ${describeResolved(step.run)}${guard}`;
    case 'wait':
      return `${label} ${step.id}: wait ${step.durationMs / 1000}s${guard}`;
  }
}

function describeResolved(run: ResolvedExecutor): string {
  if (run.executor === 'http') return `${run.method} ${run.url}`;
  if (run.executor === 'kubernetes') return describeKubernetes(run);
  // Quote arguments a reader could otherwise misread; this is display only, never executed by a shell.
  return run.argv.map((arg) => (/^[A-Za-z0-9_./:=@%+,{}-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(' ');
}

/** `kubernetes scale production/worker delta=1`: for plans and the audit trail. */
export function describeKubernetes(run: ResolvedKubernetes): string {
  const counts = (['replicas', 'delta', 'toRevision'] as const)
    .filter((field) => run[field] !== undefined)
    .map((field) => ` ${field}=${run[field]}`);
  return `kubernetes ${run.op} ${run.namespace}/${run.name}${counts.join('')}`;
}
