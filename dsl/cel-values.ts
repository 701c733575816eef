/**
 * Values between JSON and CEL. JSON has one number type, CEL has int and double: a declared `int`
 * becomes int, a declared `number` becomes double, and in untyped data a whole number becomes int.
 * Back from CEL, ints become numbers; what JSON cannot hold is an error value, not an exception.
 */
import type { ParamDecl, ParamType } from './types';

export type CelJson = null | boolean | number | string | CelJson[] | { [key: string]: CelJson };

export const CEL_TYPES: Record<ParamType, string> = {
  string: 'string',
  int: 'int',
  number: 'double',
  bool: 'bool',
  dns_label: 'string',
  dns_subdomain: 'string',
};

export function declaredCelTypes(decls: Record<string, ParamDecl> | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, decl] of Object.entries(decls ?? {})) out[name] = CEL_TYPES[decl.type];
  return out;
}

/** JSON-ish data to CEL values; `types` fixes int vs double for named top-level fields. */
export function toCel(value: unknown, types: Record<string, string> = {}): unknown {
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

/** A CEL value as JSON, or why it cannot be one. */
export function fromCel(value: unknown): { ok: true; value: CelJson } | { ok: false; reason: string } {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return { ok: true, value };
  if (typeof value === 'bigint') return { ok: true, value: Number(value) };
  if (typeof value === 'number')
    return Number.isFinite(value) ? { ok: true, value } : { ok: false, reason: `result ${value} is not a finite number` };
  if (value instanceof Date) return { ok: true, value: value.toISOString() };
  if (Array.isArray(value)) return fromEntries(value.entries(), (items) => items.map(([, item]) => item));
  if (value instanceof Map) return fromEntries(value.entries(), objectOf);
  if (typeof value === 'object' && value.constructor === Object) return fromEntries(Object.entries(value).values(), objectOf);
  return { ok: false, reason: `result is ${describeCel(value)}, which cannot be stored as JSON` };
}

function fromEntries<K>(
  entries: Iterable<[K, unknown]>,
  build: (converted: [K, CelJson][]) => CelJson,
): { ok: true; value: CelJson } | { ok: false; reason: string } {
  const converted: [K, CelJson][] = [];
  for (const [key, item] of entries) {
    const json = fromCel(item);
    if (!json.ok) return json;
    converted.push([key, json.value]);
  }
  return { ok: true, value: build(converted) };
}

function objectOf(entries: [unknown, CelJson][]): CelJson {
  const out: Record<string, CelJson> = {};
  for (const [key, item] of entries) out[String(key)] = item;
  return out;
}

export function describeCel(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return `the int ${value}`;
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`;
  return `the ${typeof value} ${String(value)}`;
}
