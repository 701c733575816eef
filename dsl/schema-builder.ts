/**
 * A tiny typed JSON Schema builder: each builder returns the JSON Schema and,
 * as a phantom type, the TypeScript type of the data it accepts. The published
 * schema and the types the compiler reads are therefore one definition and
 * cannot drift apart.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonSchema = { [key: string]: JsonValue };

export interface Typed<T> {
  readonly schema: JsonSchema;
  /** Phantom: never set, only carries T. */
  readonly __type?: T;
}

export type Static<S> = S extends Typed<infer T> ? T : never;

interface Doc {
  description?: string;
}

function typed<T>(schema: JsonSchema, doc: Doc = {}): Typed<T> {
  return { schema: doc.description === undefined ? schema : { description: doc.description, ...schema } };
}

export function str(opts: Doc & { minLength?: number; maxLength?: number; pattern?: string } = {}): Typed<string> {
  const { description, ...rest } = opts;
  return typed({ type: 'string', ...rest }, { description });
}

export function strEnum<const E extends readonly string[]>(values: E, doc: Doc = {}): Typed<E[number]> {
  return typed({ type: 'string', enum: [...values] }, doc);
}

type NumberOpts = Doc & { minimum?: number; maximum?: number; exclusiveMinimum?: number };

export function num(opts: NumberOpts = {}): Typed<number> {
  const { description, ...rest } = opts;
  return typed({ type: 'number', ...rest }, { description });
}

export function int(opts: NumberOpts = {}): Typed<number> {
  const { description, ...rest } = opts;
  return typed({ type: 'integer', ...rest }, { description });
}

export function bool(doc: Doc = {}): Typed<boolean> {
  return typed({ type: 'boolean' }, doc);
}

export function nul(doc: Doc = {}): Typed<null> {
  return typed({ type: 'null' }, doc);
}

/** Any JSON value (HTTP bodies). */
export function anyJson(doc: Doc = {}): Typed<unknown> {
  return typed({}, doc);
}

export function arr<T>(items: Typed<T>, opts: Doc & { minItems?: number; uniqueItems?: boolean } = {}): Typed<T[]> {
  const { description, ...rest } = opts;
  return typed({ type: 'array', items: items.schema, ...rest }, { description });
}

type Props = Record<string, Typed<unknown>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type ObjectOf<P extends Props, R extends keyof P> = Simplify<{ [K in R]: Static<P[K]> } & { [K in Exclude<keyof P, R>]?: Static<P[K]> }>;

/** A closed object: unknown keys are errors (typos must not pass silently). */
export function obj<P extends Props, R extends keyof P & string = never>(
  properties: P,
  opts: Doc & { required?: readonly R[]; minProperties?: number } = {},
): Typed<ObjectOf<P, R>> {
  const props: { [key: string]: JsonValue } = {};
  for (const [key, value] of Object.entries(properties)) props[key] = value.schema;
  const schema: JsonSchema = { type: 'object', properties: props, additionalProperties: false };
  if (opts.required && opts.required.length > 0) schema.required = [...opts.required];
  if (opts.minProperties !== undefined) schema.minProperties = opts.minProperties;
  return typed(schema, opts);
}

/** A map from names matching `keyPattern` to values of one schema. */
export function record<T>(values: Typed<T>, opts: Doc & { keyPattern?: string } = {}): Typed<Record<string, T>> {
  const schema: JsonSchema = { type: 'object', additionalProperties: values.schema };
  if (opts.keyPattern !== undefined) schema.propertyNames = { pattern: opts.keyPattern };
  return typed(schema, opts);
}

export function anyOf<const S extends readonly Typed<unknown>[]>(branches: S, doc: Doc = {}): Typed<Static<S[number]>> {
  return typed({ anyOf: branches.map((branch) => branch.schema) }, doc);
}

/** A named definition, referenced as `#/definitions/NAME` so editors show it once. */
export interface Definition<T> extends Typed<T> {
  readonly name: string;
  readonly definition: JsonSchema;
}

export function define<T>(name: string, body: Typed<T>): Definition<T> {
  return { name, definition: body.schema, schema: { $ref: `#/definitions/${name}` } };
}

export function definitions(defs: readonly Definition<unknown>[]): JsonSchema {
  const out: JsonSchema = {};
  for (const def of defs) out[def.name] = def.definition;
  return out;
}
