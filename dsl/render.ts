/**
 * Filling placeholders, purely (the workflow calls this). Each placeholder
 * value lands inside exactly one argument, header, env value or URL component;
 * nothing is ever re-parsed, so `x; rm -rf /` stays one odd argument.
 *
 * Incident data is hostile, so where a value lands also limits what it may be:
 * an argument may not start with "-" (it would be read as an option), a URL
 * path segment may not be "." or "..", a Kubernetes name must be a DNS name.
 * Every refusal is a RenderError, which the workflow treats as the step failing.
 * Each step kind's module (dsl/steps/) says which templates it has and where each lands.
 */
import { describeValue } from './describe';
import { EXPECTED, fitsParamType } from './param-types';
import { stepKind } from './steps';
import type { Filler, Sink, Slot } from './steps/kind';
import { promqlStringContent } from './steps/promql';
import { placeholders, urlLayout, type UrlRole } from './template';
import type { ExecutorSpec, Incident, ParamDecl, ResolvedExecutor, Template } from './types';

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
    super(
      step,
      field,
      `expected ${expected}, found ${found}`,
      `${field}: expected ${expected}, found ${found}${step ? ` (needed by step ${step})` : ''}`,
    );
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

export interface RenderExecutorOptions {
  /** The step being rendered, for messages. */
  step?: string;
  /** The runbook's context declarations (`runbook.context`): which parameters may start an argument with "-". */
  context?: Record<string, ParamDecl> | null;
}

export interface RenderOptions extends RenderExecutorOptions {
  /** In a plan, step outputs are not known yet: keep `{steps.ID.NAME}` and list it. */
  deferred?: string[];
}

/** Throws a RenderError (ContextError for a missing or ill-typed value) when the step cannot be rendered. */
export function renderExecutor(spec: ExecutorSpec, vars: RenderVars, options: RenderExecutorOptions = {}): ResolvedExecutor {
  return render(spec, vars, options);
}

/** One step's executor, by its kind's module; a spec of no known kind (a decoded payload) cannot be rendered. */
export function render(spec: ExecutorSpec, vars: RenderVars, options: RenderOptions): ResolvedExecutor {
  const kind = stepKind(spec.executor);
  if (!kind) throw new RenderError(options.step, 'executor', `unknown executor ${JSON.stringify(spec.executor)}`);
  return kind.render(spec, filler(vars, options));
}

function filler(vars: RenderVars, options: RenderOptions): Filler {
  return {
    text: (template, slot) => renderTemplate(template, vars, slot, options),
    json: (template) => renderJson(template, vars, options),
  };
}

export function renderTemplate(template: Template, vars: RenderVars, slot: Slot, options: RenderOptions): string {
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
      throw refusal(
        options,
        part.path,
        slot.at,
        bound,
        `starts with "-", so the program would read it as an option; a runbook that means it puts a literal "--" argument before it, or declares the parameter with allow_leading_dash: true`,
      );
    }
    text += slot.sink === 'promql' ? promqlStringContent(bound) : bound;
  }
  if ('dns' in slot && !deferred && !isLiteralTemplate(template) && !fitsParamType(slot.dns, text)) {
    const [first] = placeholders(template);
    throw refusal(
      options,
      first!,
      slot.at,
      text,
      `makes the Kubernetes ${slot.at} ${JSON.stringify(text)}, which is not ${EXPECTED[slot.dns]}`,
    );
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
function renderJson(template: Template, vars: RenderVars, options: RenderOptions): unknown {
  const [only, ...rest] = template.parts;
  if (only?.kind === 'placeholder' && rest.length === 0) {
    const resolved = lookup(only.path, vars, options);
    if (resolved === DEFERRED) return `{${only.path.join('.')}}`;
    scalarText(only.path, resolved, 'body', options.step);
    return resolved;
  }
  return renderTemplate(template, vars, { sink: 'body', at: 'body' }, options);
}

const DEFERRED = Symbol('deferred');

export function lookup(path: string[], vars: RenderVars, options: RenderOptions): unknown {
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
export function ownValue(record: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/** The value as text, or a ContextError when it is missing or cannot be bound at all. */
export function scalarText(path: string[], value: unknown, sink: Sink, step: string | undefined): string {
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
