/**
 * Schemas for what a history holds, on top of the DSL's typed builder (dsl/schema-builder.ts): each
 * schema carries the type of the data it accepts, so a validated payload has its type without a cast.
 * Objects are open here, unlike the runbook's: payloads written by other versions may carry fields
 * this reader does not know, and it reads only the ones it names.
 */
import { anyOf, nul, strEnum, type JsonSchema, type JsonValue, type Static, type Typed } from '../../dsl/schema-builder';
import { schemaValidator, type SchemaValidator } from '../../dsl/schema-check';

type Props = Record<string, Typed<unknown>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type ObjectOf<P extends Props, R extends keyof P> = Simplify<{ [K in R]: Static<P[K]> } & { [K in Exclude<keyof P, R>]?: Static<P[K]> }>;

/** An object with these fields (`required` must be present), and any others. */
export function open<P extends Props, R extends keyof P & string = never>(
  properties: P,
  required: readonly R[] = [],
): Typed<ObjectOf<P, R>> {
  const props: { [key: string]: JsonValue } = {};
  for (const [key, value] of Object.entries(properties)) props[key] = value.schema;
  const schema: JsonSchema = { type: 'object', properties: props };
  if (required.length > 0) schema.required = [...required];
  return { schema };
}

export function literal<const V extends string>(value: V): Typed<V> {
  return strEnum([value]);
}

export function nullable<T>(value: Typed<T>): Typed<T | null> {
  return anyOf([value, nul()]);
}

/**
 * A reference to a definition in `definitions`, for recursive types (a template value holds
 * template values). `T` is what the definition accepts: the module that defines it checks that.
 */
export function ref<T>(name: string): Typed<T> {
  return { schema: { $ref: `#/definitions/${name}` } };
}

/** A validator for one payload type; `definitions` resolves the refs its schema uses. */
export function payloadValidator<T>(typed: Typed<T>, definitions: JsonSchema = {}): SchemaValidator<T> {
  return schemaValidator<T>(Object.keys(definitions).length > 0 ? { ...typed.schema, definitions } : typed.schema);
}

/** The values of a union of string literals, checked at compile time to be all of them. */
export function allOf<U extends string>() {
  return <const L extends readonly U[]>(values: L & ([U] extends [L[number]] ? unknown : { missing: Exclude<U, L[number]> })): L => values;
}
