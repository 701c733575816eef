/**
 * CEL for conditions and step outputs: type-checked at compile time against
 * the variables an expression may see, evaluated (purely) where it runs.
 *
 * Variables:
 * - `incident`: id, root_cause, confidence (double), service, services, symptoms, submitted_by
 * - `context`: a map, or a typed object when the runbook declares its context
 * - `steps`: outputs of earlier steps, `steps.ID.NAME`
 * - `result`: the probe's or action's ExecutorResult (only where there is one)
 *
 * Numbers: JSON has one number type, CEL has int and double. A declared `int`
 * becomes int, a declared `number` becomes double; in untyped data a whole
 * number becomes int, so `context.replicas > 1` holds whether the pipeline sent
 * 3 or 3.0, and `context.replicas + 1` works. Arithmetic mixing an untyped whole
 * number with a double literal needs `double(...)`, as CEL requires.
 */
import { Environment, type TypeCheckResult } from '@marcbachmann/cel-js';
import type { ExecutorResult, Incident, ParamDecl, ParamType } from './types';

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

export type CelJson = null | boolean | number | string | CelJson[] | { [key: string]: CelJson };

/** An expression failed at evaluation time (missing key, wrong type, non-boolean condition). */
export class CelEvalError extends Error {
  override readonly name = 'CelEvalError';
  constructor(
    readonly expr: string,
    readonly reason: string,
  ) {
    super(`${reason} in CEL expression: ${expr}`);
  }
}

const CEL_TYPES: Record<ParamType, string> = {
  string: 'string',
  int: 'int',
  number: 'double',
  bool: 'bool',
  dns_label: 'string',
  dns_subdomain: 'string',
};

const INCIDENT_SCHEMA = {
  id: 'string',
  root_cause: 'string',
  confidence: 'double',
  service: 'string',
  services: 'list<string>',
  symptoms: 'list<string>',
  submitted_by: 'string',
};

const checkEnvironments = new Map<string, Environment>();

function checkEnvironment(scope: CelScope): Environment {
  const key = JSON.stringify([scope.result, scope.context && Object.entries(scope.context).map(([k, d]) => [k, d.type])]);
  let env = checkEnvironments.get(key);
  if (!env) {
    env = new Environment()
      .registerVariable({ name: 'incident', schema: INCIDENT_SCHEMA })
      .registerVariable('steps', 'map');
    if (scope.context) {
      const schema: Record<string, string> = {};
      for (const [name, decl] of Object.entries(scope.context)) schema[name] = CEL_TYPES[decl.type];
      env.registerVariable({ name: 'context', schema });
    } else {
      env.registerVariable('context', 'map');
    }
    if (scope.result) env.registerVariable('result', 'map');
    checkEnvironments.set(key, env);
  }
  return env;
}

/** Parse and type-check; never throws. */
export function checkExpr(expr: string, scope: CelScope): CelCheck {
  let result: TypeCheckResult;
  try {
    result = checkEnvironment(scope).check(expr);
  } catch (error) {
    return { ok: false, offset: 0, message: firstLine((error as Error).message) };
  }
  if (result.valid) return { ok: true, type: result.type ?? 'dyn' };
  const error = result.error;
  const offset = error?.range?.start ?? 0;
  const summary = error?.summary ?? firstLine(error?.message ?? 'invalid expression');
  if (error?.code === 'no_such_key') {
    const field = /([A-Za-z_][A-Za-z0-9_.]*)$/.exec(expr.slice(0, error.range?.end ?? 0))?.[1] ?? summary;
    const declared = field.startsWith('context.') && scope.context ? Object.keys(scope.context) : undefined;
    const hint = declared
      ? `; the runbook's context declares ${declared.length > 0 ? declared.join(', ') : 'no fields'}`
      : '';
    return { ok: false, offset, message: `unknown field ${field}${hint}` };
  }
  return { ok: false, offset, message: summary };
}

/** A condition must produce a boolean (or dyn, checked when evaluated). */
export function checkCondition(expr: string, scope: CelScope): CelCheck {
  const checked = checkExpr(expr, scope);
  if (checked.ok && checked.type !== 'bool' && checked.type !== 'dyn') {
    return { ok: false, offset: 0, message: `a condition must be true or false, but this expression is of type ${checked.type}` };
  }
  return checked;
}

let evalEnvironment: Environment | undefined;

/** Evaluation uses untyped maps; values are converted by their declared types, so typed checks stay valid. */
function evaluationEnvironment(): Environment {
  evalEnvironment ??= new Environment()
    .registerVariable('incident', 'map')
    .registerVariable('context', 'map')
    .registerVariable('steps', 'map')
    .registerVariable('result', 'map');
  return evalEnvironment;
}

function evaluate(expr: string, vars: CelVars, contextTypes: Record<string, ParamDecl> | null): unknown {
  const celVars: Record<string, unknown> = {
    incident: toCel({ ...vars.incident, context: undefined }, { confidence: 'double' }),
    context: toCel(vars.context, declaredCelTypes(contextTypes)),
    steps: toCel(vars.steps),
    result: vars.result === undefined ? {} : toCel(vars.result),
  };
  try {
    return evaluationEnvironment().evaluate(expr, celVars);
  } catch (error) {
    throw new CelEvalError(expr, firstLine((error as Error).message));
  }
}

/** Evaluate a condition; throws CelEvalError on errors or a non-boolean result. */
export function evalCondition(expr: string, vars: CelVars, contextTypes: Record<string, ParamDecl> | null = null): boolean {
  const value = evaluate(expr, vars, contextTypes);
  if (typeof value !== 'boolean') throw new CelEvalError(expr, `expected true or false, got ${describeCel(value)}`);
  return value;
}

/** Evaluate a step output to plain JSON (ints become numbers). */
export function evalOutput(expr: string, vars: CelVars, contextTypes: Record<string, ParamDecl> | null = null): CelJson {
  return fromCel(evaluate(expr, vars, contextTypes), expr);
}

function declaredCelTypes(decls: Record<string, ParamDecl> | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, decl] of Object.entries(decls ?? {})) out[name] = CEL_TYPES[decl.type];
  return out;
}

/** JSON-ish data to CEL values; `types` fixes int vs double for named top-level fields. */
function toCel(value: unknown, types: Record<string, string> = {}): unknown {
  if (value === null || typeof value !== 'object') return scalarToCel(value, undefined);
  if (Array.isArray(value)) return value.map((item) => toCel(item));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    out[key] = item !== null && typeof item === 'object' ? toCel(item) : scalarToCel(item, types[key]);
  }
  return out;
}

function scalarToCel(value: unknown, type: string | undefined): unknown {
  if (typeof value !== 'number') return value;
  if (type === 'double') return value;
  if (Number.isInteger(value)) return BigInt(value);
  return value;
}

function fromCel(value: unknown, expr: string): CelJson {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CelEvalError(expr, `result ${value} is not a finite number`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => fromCel(item, expr));
  if (value instanceof Map) {
    const out: Record<string, CelJson> = {};
    for (const [key, item] of value) out[String(key)] = fromCel(item, expr);
    return out;
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && value.constructor === Object) {
    const out: Record<string, CelJson> = {};
    for (const [key, item] of Object.entries(value)) out[key] = fromCel(item, expr);
    return out;
  }
  throw new CelEvalError(expr, `result is ${describeCel(value)}, which cannot be stored as JSON`);
}

function describeCel(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return `the int ${value}`;
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`;
  return `the ${typeof value} ${String(value)}`;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
