/**
 * Filling placeholders, purely (the workflow calls this). Each placeholder
 * value lands inside exactly one argument, header, env value or URL component;
 * nothing is ever re-parsed, so `x; rm -rf /` stays one odd argument.
 *
 * Incident data is hostile, so where a value lands also limits what it may be:
 * an argument may not start with "-" (it would be read as an option), a URL
 * path segment may not be "." or "..", a Kubernetes name must be a DNS name.
 * Every refusal is a RenderError, which the workflow treats as the step failing.
 */
import { describeValue } from './describe';
import { placeholders, urlLayout, type UrlRole } from './template';
import type {
  CompiledRunbook,
  ExecutorSpec,
  Incident,
  ParamDecl,
  ParamType,
  PlannedStep,
  ResolvedExecutor,
  ResolvedKubernetes,
  Step,
  Template,
  TemplateValue,
} from './types';

/** A step cannot be rendered: a value is missing, or refused where it would land. The step fails; nothing runs. */
export class RenderError extends Error {
  override readonly name: string = 'RenderError';
  constructor(
    /** The step being rendered, when known. */
    readonly step: string | undefined,
    /** The placeholder's value at fault: `context.pod_name`, `steps.capture.replicas`, ... */
    readonly field: string,
    /** Why, without the step and field. */
    readonly reason: string,
    message?: string,
  ) {
    super(message ?? `${step ? `step ${step}: ` : ''}${field}: ${reason}`);
  }
}

/** A context value (or step output) is missing or not a bindable scalar: a RenderError, as before. */
export class ContextError extends RenderError {
  override readonly name: string = 'ContextError';
  constructor(
    field: string,
    readonly expected: string,
    readonly found: string,
    step?: string,
  ) {
    super(step, field, `expected ${expected}, found ${found}`, `${field}: expected ${expected}, found ${found}${step ? ` (needed by step ${step})` : ''}`);
  }
}

/**
 * A context declaration as compiled. `allowLeadingDash` (`allow_leading_dash: true`
 * in the runbook) lets a value start with "-" in an argument; it lives here until
 * ParamDecl in types.ts gains it.
 */
export type ContextDecl = ParamDecl & { allowLeadingDash?: boolean };

export interface RenderVars {
  incident: Incident;
  context: Record<string, unknown>;
  steps: Record<string, Record<string, unknown>>;
}

/**
 * Where a value lands decides what it may contain. `line`: one argument, header,
 * variable or Kubernetes field (no line breaks); `url` and `body` are encoded.
 */
type Sink = 'line' | 'url' | 'body';

/** The rules of one template's destination, beyond its sink. */
type Slot =
  | { sink: 'line'; at: string }
  /** An argv element: a value may not start it with "-" unless a literal "--" came before. */
  | { sink: 'line'; at: string; argv: { afterDashDash: boolean } }
  /** A Kubernetes namespace or name: the rendered field must be this kind of DNS name. */
  | { sink: 'line'; at: string; dns: 'dns_label' | 'dns_subdomain' }
  | { sink: 'url'; at: string }
  | { sink: 'body'; at: string };

export interface RenderExecutorOptions {
  /** The step being rendered, for messages. */
  step?: string;
  /** The runbook's context declarations (`runbook.context`): which parameters may start an argument with "-". */
  context?: Record<string, ParamDecl> | null;
}

interface RenderOptions extends RenderExecutorOptions {
  /** In a plan, step outputs are not known yet: keep `{steps.ID.NAME}` and list it. */
  deferred?: string[];
}

/** Throws a RenderError (ContextError for a missing or ill-typed value) when the step cannot be rendered. */
export function renderExecutor(spec: ExecutorSpec, vars: RenderVars, options: RenderExecutorOptions = {}): ResolvedExecutor {
  return render(spec, vars, options);
}

function render(spec: ExecutorSpec, vars: RenderVars, options: RenderOptions): ResolvedExecutor {
  const fill = (template: Template, slot: Slot) => renderTemplate(template, vars, slot, options);
  if (spec.executor === 'exec') {
    const slots = argvSlots(spec.argv);
    const resolved: ResolvedExecutor = {
      executor: 'exec',
      argv: spec.argv.map((arg, i) => fill(arg, slots[i]!)),
      env: mapValues(spec.env, (value) => fill(value, { sink: 'line', at: 'env' })),
      okExitCodes: spec.okExitCodes,
    };
    if (spec.cwd !== undefined) resolved.cwd = spec.cwd;
    return resolved;
  }
  if (spec.executor === 'kubernetes') {
    const count = (template: Template, at: string) => fill(template, { sink: 'line', at });
    const resolved: ResolvedKubernetes = {
      executor: 'kubernetes',
      op: spec.op,
      namespace: fill(spec.namespace, KUBERNETES_SLOTS.namespace),
      name: fill(spec.name, KUBERNETES_SLOTS.name),
      namespaces: spec.namespaces,
    };
    if (spec.replicas) resolved.replicas = count(spec.replicas, 'replicas');
    if (spec.delta) resolved.delta = count(spec.delta, 'delta');
    if (spec.toRevision) resolved.toRevision = count(spec.toRevision, 'to_revision');
    return resolved;
  }
  const resolved: ResolvedExecutor = {
    executor: 'http',
    method: spec.method,
    url: fill(spec.url, { sink: 'url', at: 'url' }),
    headers: mapValues(spec.headers, (value) => fill(value, { sink: 'line', at: 'header' })),
    okStatuses: spec.okStatuses,
  };
  if (spec.body !== undefined) resolved.body = renderBody(spec.body, vars, options);
  return resolved;
}

/** Pods and deployments are named by DNS subdomains, namespaces by DNS labels: neither can hold "/" or start with "-". */
const KUBERNETES_SLOTS = {
  namespace: { sink: 'line', at: 'namespace', dns: 'dns_label' },
  name: { sink: 'line', at: 'name', dns: 'dns_subdomain' },
} as const satisfies Record<string, Slot>;

/** Each argv element's slot: whether a literal "--" (end of options) comes before it. */
function argvSlots(argv: Template[]): Slot[] {
  const dashDash = argv.findIndex((arg) => arg.parts.length === 1 && arg.parts[0]!.kind === 'literal' && arg.parts[0]!.text === '--');
  return argv.map((_, i) => ({ sink: 'line', at: `argv[${i}]`, argv: { afterDashDash: dashDash >= 0 && i > dashDash } }));
}

function renderTemplate(template: Template, vars: RenderVars, slot: Slot, options: RenderOptions): string {
  if (slot.sink === 'url') return renderUrl(template, vars, options);
  let deferred = false;
  let text = '';
  for (const part of template.parts) {
    if (part.kind === 'literal') {
      text += part.text;
      continue;
    }
    const value = lookup(part.path, vars, options);
    if (value === DEFERRED) {
      deferred = true;
      text += `{${part.path.join('.')}}`;
      continue;
    }
    const bound = scalarText(part.path, value, slot.sink, options.step);
    // Only the value that starts the argument can make it an option.
    if ('argv' in slot && text === '' && bound.startsWith('-') && !slot.argv.afterDashDash && !allowsLeadingDash(part.path, options)) {
      throw refusal(options, part.path, slot.at, bound, `starts with "-", so the program would read it as an option; a runbook that means it puts a literal "--" argument before it, or declares the parameter with allow_leading_dash: true`);
    }
    text += bound;
  }
  if ('dns' in slot && !deferred && !isLiteralTemplate(template) && !fitsParamType(slot.dns, text)) {
    const [first] = placeholders(template);
    throw refusal(options, first!, slot.at, text, `makes the Kubernetes ${slot.at} ${JSON.stringify(text)}, which is not ${EXPECTED[slot.dns]}`);
  }
  return text;
}

function isLiteralTemplate(template: Template): boolean {
  return template.parts.every((part) => part.kind === 'literal');
}

function allowsLeadingDash(path: string[], options: RenderOptions): boolean {
  const [root, name = ''] = path;
  const decl = root === 'context' && options.context ? (ownValue(options.context, name) as ContextDecl | undefined) : undefined;
  return decl?.allowLeadingDash === true;
}

function refusal(options: RenderOptions, path: string[], at: string, value: string, why: string): RenderError {
  const field = path.join('.');
  const reason = `${field} is ${describeValue(value)}, which ${why}`;
  return new RenderError(options.step, field, reason, `${options.step ? `step ${options.step}: ` : ''}${at}: ${reason}`);
}

/**
 * A URL: each value fills its whole path segment or query value, percent-encoded,
 * so it cannot add a "/", "?" or "#". "." and ".." (and an empty segment) would still
 * change the path once resolved, so they are refused. The origin is literal by
 * construction (the compiler checks it); checked again here in case a spec did not
 * come from the compiler.
 */
function renderUrl(template: Template, vars: RenderVars, options: RenderOptions): string {
  const layout = urlLayout(template);
  const [first] = placeholders(template);
  if (!layout.ok) throw new RenderError(options.step, first?.join('.') ?? 'url', `url: refused: ${layout.message}`);
  let index = 0;
  const url = template.parts
    .map((part) => {
      if (part.kind === 'literal') return part.text;
      const role: UrlRole = layout.roles[index++]!;
      const value = lookup(part.path, vars, options);
      if (value === DEFERRED) return `{${part.path.join('.')}}`;
      const text = scalarText(part.path, value, 'url', options.step);
      if (role === 'segment' && (text === '' || text === '.' || text === '..')) {
        throw refusal(options, part.path, 'url', text, 'would change the URL path (a path segment may not be empty, "." or "..")');
      }
      try {
        return encodeURIComponent(text);
      } catch {
        // A lone surrogate has no UTF-8 form (URIError).
        throw refusal(options, part.path, 'url', text, 'is not well-formed Unicode text, so it cannot be put in a URL');
      }
    })
    .join('');
  let origin: string | undefined;
  try {
    origin = new URL(url).origin;
  } catch {
    origin = undefined;
  }
  if (origin !== layout.origin) {
    throw new RenderError(options.step, first?.join('.') ?? 'url', `url: ${JSON.stringify(url)} does not stay on ${layout.origin}`);
  }
  return url;
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
      return renderTemplate(value.template, vars, { sink: 'body', at: 'body' }, options);
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

/** The value as text, or a ContextError when it is missing or cannot be bound at all. */
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
        typeof value === 'string' &&
        value.length <= 253 &&
        value.split('.').every((label) => label.length <= 63 && DNS_LABEL.test(label))
      );
  }
}

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

function templatesOf(spec: ExecutorSpec): { template: Template; slot: Slot }[] {
  const line = (at: string) => (template: Template) => ({ template, slot: { sink: 'line', at } as Slot });
  if (spec.executor === 'exec') {
    const slots = argvSlots(spec.argv);
    return [...spec.argv.map((template, i) => ({ template, slot: slots[i]! })), ...Object.values(spec.env).map(line('env'))];
  }
  if (spec.executor === 'kubernetes') {
    return [
      { template: spec.namespace, slot: KUBERNETES_SLOTS.namespace },
      { template: spec.name, slot: KUBERNETES_SLOTS.name },
      ...[spec.replicas, spec.delta, spec.toRevision].filter((t): t is Template => t !== undefined).map(line('count')),
    ];
  }
  const out: { template: Template; slot: Slot }[] = [{ template: spec.url, slot: { sink: 'url', at: 'url' } }, ...Object.values(spec.headers).map(line('header'))];
  const walk = (value: TemplateValue | undefined): void => {
    if (!value) return;
    if (value.kind === 'template') out.push({ template: value.template, slot: { sink: 'body', at: 'body' } });
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
  const counts = (['replicas', 'delta', 'toRevision'] as const).filter((field) => run[field] !== undefined).map((field) => ` ${field}=${run[field]}`);
  return `kubernetes ${run.op} ${run.namespace}/${run.name}${counts.join('')}`;
}
