/**
 * CEL for conditions and step outputs, as cel-es does it: parse and type-check once, then run the
 * checked program many times. One environment defines the variables:
 * - `incident`: id, root_cause, confidence (double), service, services, symptoms, submitted_by
 * - `context`: a map, or a typed object when the runbook declares its context
 * - `steps`: outputs of earlier steps, `steps.ID.NAME`
 * - `result`: the probe's or action's ExecutorResult (only where there is one)
 * The compiler checks an expression in a scope of that environment (the runbook's declared context
 * types, `result` only where there is one), for its diagnostics. What runs is the program checked
 * in the environment's evaluation scope (context and result as maps, as the values arrive), cached
 * by expression text: a post-check that polls a hundred times parses and checks once.
 *
 * Numbers: see ./cel-values. `context.replicas > 1` holds whether the pipeline sent 3 or 3.0, and
 * `context.replicas + 1` works; arithmetic mixing an untyped whole number with a double literal
 * needs `double(...)`, as CEL requires.
 */
import { Environment, type ParseResult, type TypeCheckResult } from '@marcbachmann/cel-js';
import { CEL_TYPES, declaredCelTypes, describeCel, fromCel, toCel, type CelJson } from './cel-values';
import { promqlNumber } from './steps/promql';
import type { ExecutorResult, Incident, ParamDecl } from './types';

export type { CelJson } from './cel-values';

export interface CelScope {
  /** Declared context fields, or null when the context is an untyped map. */
  context: Record<string, ParamDecl> | null;
  /** Whether `result` is in scope (checks with a probe, action outputs). */
  result: boolean;
}

export type CelCheck = { ok: true; type: string } | { ok: false; message: string; offset: number };

export interface CelVars {
  incident: Incident;
  context: Record<string, unknown>;
  steps: Record<string, Record<string, unknown>>;
  result?: ExecutorResult;
}

/** Why an expression failed at evaluation time (missing key, wrong type, non-boolean condition). */
export interface CelFailure {
  expr: string;
  reason: string;
  /** `REASON in CEL expression: EXPR`, as users read it. */
  message: string;
}

export type CelEvaluation<T> = { ok: true; value: T } | { ok: false; error: CelFailure };

/** The thrown form of a CelFailure, for callers that turn it into a failed step. */
export class CelEvalError extends Error {
  override readonly name = 'CelEvalError';
  constructor(
    readonly expr: string,
    readonly reason: string,
  ) {
    super(failure(expr, reason).message);
  }
}

const INCIDENT_SCHEMA = {
  id: 'string',
  root_cause: 'string',
  confidence: 'double',
  service: 'string',
  services: 'list<string>',
  symptoms: 'list<string>',
  submitted_by: 'string',
};

/** The environment: the variables every scope shares. Its scopes are clones that add `context` and `result`. */
const ENVIRONMENT = new Environment().registerVariable({ name: 'incident', schema: INCIDENT_SCHEMA }).registerVariable('steps', 'map');

/** What evaluation sees: `context` and `result` as the maps they arrive as (typed values are converted to fit). */
const EVALUATION_SCOPE = ENVIRONMENT.clone().registerVariable('context', 'map').registerVariable('result', 'map');

const scopes = new Map<string, Environment>();

function scopeEnvironment(scope: CelScope): Environment {
  const key = JSON.stringify([scope.result, scope.context && Object.entries(scope.context).map(([k, d]) => [k, d.type])]);
  let env = scopes.get(key);
  if (!env) {
    env = ENVIRONMENT.clone();
    if (scope.context) {
      const schema: Record<string, string> = {};
      for (const [name, decl] of Object.entries(scope.context)) schema[name] = CEL_TYPES[decl.type];
      env.registerVariable({ name: 'context', schema });
    } else {
      env.registerVariable('context', 'map');
    }
    if (scope.result) env.registerVariable('result', 'map');
    scopes.set(key, env);
  }
  return env;
}

/** Checked programs by expression text; bounded, oldest out first (a catalogue holds far fewer). */
const programs = new Map<string, ParseResult>();
const MAX_PROGRAMS = 4096;

/**
 * The checked program for an expression, parsed and checked on first use. One that does not check
 * in the evaluation scope (it never compiled) runs as parsed, checked against its values each time.
 */
function program(expr: string): ParseResult {
  const cached = programs.get(expr);
  if (cached) return cached;
  let parsed = EVALUATION_SCOPE.parse(expr);
  // A failed check may leave the tree half-annotated: run a fresh parse, checked on each call as before.
  if (!parsed.check().valid) parsed = EVALUATION_SCOPE.parse(expr);
  if (programs.size >= MAX_PROGRAMS) programs.delete(programs.keys().next().value!);
  programs.set(expr, parsed);
  return parsed;
}

/** Parse and type-check in the scope; never throws. A valid expression's program is cached for evaluation. */
export function checkExpr(expr: string, scope: CelScope): CelCheck {
  let result: TypeCheckResult;
  try {
    result = scopeEnvironment(scope).check(expr);
  } catch (error) {
    return { ok: false, offset: 0, message: firstLine((error as Error).message) };
  }
  if (result.valid) {
    prepare(expr);
    return { ok: true, type: result.type ?? 'dyn' };
  }
  const error = result.error;
  const offset = error?.range?.start ?? 0;
  const summary = error?.summary ?? firstLine(error?.message ?? 'invalid expression');
  if (error?.code === 'no_such_key') {
    const field = /([A-Za-z_][A-Za-z0-9_.]*)$/.exec(expr.slice(0, error.range?.end ?? 0))?.[1] ?? summary;
    const declared = field.startsWith('context.') && scope.context ? Object.keys(scope.context) : undefined;
    const hint = declared ? `; the runbook's context declares ${declared.length > 0 ? declared.join(', ') : 'no fields'}` : '';
    return { ok: false, offset, message: `unknown field ${field}${hint}` };
  }
  return { ok: false, offset, message: summary };
}

/** Caches the program at compile time, so evaluation in this process runs what was checked. */
function prepare(expr: string): void {
  try {
    program(expr);
  } catch {
    // Parsed in the scope, so it parses here too; were it not, evaluation reports it.
  }
}

/** A condition must produce a boolean (or dyn, checked when evaluated). */
export function checkCondition(expr: string, scope: CelScope): CelCheck {
  const checked = checkExpr(expr, scope);
  if (checked.ok && checked.type !== 'bool' && checked.type !== 'dyn') {
    return { ok: false, offset: 0, message: `a condition must be true or false, but this expression is of type ${checked.type}` };
  }
  return checked;
}

function run(expr: string, vars: CelVars, contextTypes: Record<string, ParamDecl> | null): CelEvaluation<unknown> {
  const celVars: Record<string, unknown> = {
    incident: toCel({ ...vars.incident, context: undefined }, { confidence: 'double' }),
    context: toCel(vars.context, declaredCelTypes(contextTypes)),
    steps: toCel(vars.steps),
    result: vars.result === undefined ? {} : resultToCel(vars.result),
  };
  try {
    return { ok: true, value: program(expr)(celVars) };
  } catch (error) {
    return { ok: false, error: failure(expr, firstLine((error as Error).message)) };
  }
}

/** A Prometheus value is a double even when whole ("1"), so `result.value < 0.5` holds for 0 too. */
function resultToCel(result: ExecutorResult): unknown {
  const cel = toCel(result);
  if (result.executor !== 'prometheus' || typeof cel !== 'object' || cel === null) return cel;
  const samples = result.samples.map((sample) => ({ labels: toCel(sample.labels), value: promqlNumber(sample.value) }));
  return { ...cel, samples, ...(result.value === undefined ? {} : { value: promqlNumber(result.value) }) };
}

/** Evaluates a condition: true or false, or why not (an error, or a result that is not a boolean). */
export function evaluateCondition(
  expr: string,
  vars: CelVars,
  contextTypes: Record<string, ParamDecl> | null = null,
): CelEvaluation<boolean> {
  const result = run(expr, vars, contextTypes);
  if (!result.ok) return result;
  if (typeof result.value === 'boolean') return { ok: true, value: result.value };
  return { ok: false, error: failure(expr, `expected true or false, got ${describeCel(result.value)}`) };
}

/** Evaluates a step output to plain JSON (ints become numbers), or why it cannot. */
export function evaluateOutput(expr: string, vars: CelVars, contextTypes: Record<string, ParamDecl> | null = null): CelEvaluation<CelJson> {
  const result = run(expr, vars, contextTypes);
  if (!result.ok) return result;
  const json = fromCel(result.value);
  return json.ok ? json : { ok: false, error: failure(expr, json.reason) };
}

/** evaluateCondition for callers that fail a step by throwing: throws CelEvalError. */
export function evalCondition(expr: string, vars: CelVars, contextTypes: Record<string, ParamDecl> | null = null): boolean {
  return valueOrThrow(evaluateCondition(expr, vars, contextTypes));
}

/** evaluateOutput for callers that fail a step by throwing: throws CelEvalError. */
export function evalOutput(expr: string, vars: CelVars, contextTypes: Record<string, ParamDecl> | null = null): CelJson {
  return valueOrThrow(evaluateOutput(expr, vars, contextTypes));
}

function valueOrThrow<T>(evaluation: CelEvaluation<T>): T {
  if (evaluation.ok) return evaluation.value;
  throw new CelEvalError(evaluation.error.expr, evaluation.error.reason);
}

function failure(expr: string, reason: string): CelFailure {
  return { expr, reason, message: `${reason} in CEL expression: ${expr}` };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
