/**
 * ajv validation with messages a person can act on: every issue names the
 * path, what was expected and what was found. Union noise (one error per
 * branch of an anyOf) is collapsed into the error of the branch that matched
 * the value's shape, or into one "expected A or B" message.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { describeValue } from './describe';
import type { JsonSchema } from './schema-builder';
import { didYouMean } from './suggest';
import type { PathSegment } from './yaml-source';

export interface SchemaIssue {
  path: PathSegment[];
  /** The issue is about the key at `path` (unknown field, bad name), not its value. */
  key: boolean;
  message: string;
}

export interface SchemaValidator<T> {
  (data: unknown): { ok: true; value: T } | { ok: false; issues: SchemaIssue[] };
}

/** `patterns` gives each regex used in the schema a readable name. */
export function schemaValidator<T>(schema: JsonSchema, patterns: Record<string, string> = {}): SchemaValidator<T> {
  let validate: ValidateFunction | undefined;
  return (data) => {
    validate ??= new Ajv({ strict: true, allErrors: true, verbose: true }).compile(schema);
    if (validate(data)) return { ok: true, value: data as T };
    return { ok: false, issues: toIssues(validate.errors ?? [], data, patterns) };
  };
}

const UNION_KEYWORDS = new Set(['anyOf', 'oneOf']);

interface Pending extends SchemaIssue {
  instancePath: string;
  keyword: string;
  /** For `required`: the missing field. */
  missing?: string;
}

function toIssues(errors: ErrorObject[], data: unknown, patterns: Record<string, string>): SchemaIssue[] {
  const out: Pending[] = [];
  for (const error of errors) {
    if (error.keyword === 'propertyNames' || error.keyword === 'if') continue;
    if (UNION_KEYWORDS.has(error.keyword)) {
      collapseUnion(out, error, data);
      continue;
    }
    const issue = describeError(error, data, patterns);
    if (issue) out.push(issue);
  }
  const seen = new Set<string>();
  // A value of the wrong type entirely needs one message, not one per union that also failed.
  const wrongType = new Set(out.filter((issue) => issue.keyword === 'type').map((issue) => issue.instancePath));
  return out
    .filter((issue) => !(UNION_KEYWORDS.has(issue.keyword) && wrongType.has(issue.instancePath)))
    .filter((issue) => {
      const id = `${issue.path.join('\u0000')}|${issue.key}|${issue.message}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    })
    .map(({ path, key, message }) => ({ path, key, message }));
}

/**
 * ajv reports a failed union's branch errors right before the union's own error,
 * all at or below its path. At the union's own path, only errors of a branch
 * whose type fits the value matter (a pattern for a string, a minimum for a
 * number); the rest just say "this branch did not apply". Deeper errors come
 * from the branch that fits. If nothing remains, one summary says what the
 * union accepts.
 */
function collapseUnion(out: Pending[], error: ErrorObject, data: unknown): void {
  const branch: Pending[] = [];
  while (out.length > 0 && isWithin(out[out.length - 1]!.instancePath, error.instancePath)) branch.unshift(out.pop()!);
  const kind = valueKind(error.data);
  const relevant = branch.filter(
    (issue) => issue.instancePath !== error.instancePath || (KEYWORDS_BY_KIND[kind] ?? []).includes(issue.keyword),
  );
  // A branch that got past the required fields shows the real problem; "missing X" from other branches is noise.
  const deeper = relevant.filter((issue) => issue.instancePath !== error.instancePath);
  if (deeper.length > 0) {
    out.push(...deeper);
    return;
  }
  const missing = relevant.map((issue) => issue.missing);
  if (relevant.length > 1 && missing.every((field) => field !== undefined)) {
    const [first] = relevant;
    out.push({ ...first!, message: `missing required field: one of ${missing.map((field) => `"${field}"`).join(', ')}` });
    return;
  }
  if (relevant.length > 0) {
    out.push(...relevant);
    return;
  }
  const parent = error.parentSchema;
  const expected = typeof parent?.description === 'string' ? parent.description.replace(/\.$/, '') : 'a different kind of value';
  out.push({
    instancePath: error.instancePath,
    keyword: error.keyword,
    path: toPath(error.instancePath, data),
    key: false,
    message: `expected ${lowerFirst(expected)}, found ${describeValue(error.data)}`,
  });
}

/** Keywords that can only fail in a branch whose type fits the value. */
const KEYWORDS_BY_KIND: Record<string, string[]> = {
  string: ['pattern', 'minLength', 'maxLength', 'enum'],
  number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'enum'],
  object: ['required', 'minProperties'],
  array: ['minItems'],
};

function valueKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value;
}

function isWithin(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(`${ancestor}/`);
}

function describeError(error: ErrorObject, data: unknown, patterns: Record<string, string>): Pending | undefined {
  const path = toPath(error.instancePath, data);
  const base = { instancePath: error.instancePath, keyword: error.keyword, path, key: false };
  const params = error.params as Record<string, unknown>;
  const schema = error.parentSchema;
  const found = describeValue(error.data);
  // Errors about a property name (propertyNames) carry the offending name.
  if (error.propertyName !== undefined) {
    const name = error.propertyName;
    return {
      ...base,
      instancePath: `${error.instancePath}/${name}`,
      path: [...path, name],
      key: true,
      message: `invalid name ${JSON.stringify(name)}: expected ${patternName(String(params.pattern ?? ''), patterns)}`,
    };
  }
  switch (error.keyword) {
    case 'type':
      return { ...base, message: `expected ${typeName(params.type)}, found ${found}` };
    case 'required': {
      const field = String(params.missingProperty);
      // Point at the key of the object that lacks it.
      return { ...base, key: path.length > 0, missing: field, message: `missing required field "${field}"` };
    }
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const known = Object.keys((schema?.properties as JsonSchema | undefined) ?? {});
      return {
        ...base,
        instancePath: `${error.instancePath}/${field}`,
        path: [...path, field],
        key: true,
        message: `unknown field "${field}"${didYouMean(field, known)}; expected one of: ${known.join(', ')}`,
      };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ');
      return { ...base, message: `expected one of ${allowed}, found ${found}` };
    }
    case 'pattern':
      return { ...base, message: `expected ${patternName(String(params.pattern), patterns)}, found ${found}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { ...base, message: `expected ${rangeName(schema)}, found ${found}` };
    case 'minLength':
      return { ...base, message: `expected a non-empty string, found ${found}` };
    case 'minItems': {
      const limit = Number(params.limit);
      return { ...base, message: `expected at least ${limit} item${limit === 1 ? '' : 's'}, found ${found}` };
    }
    case 'minProperties':
      return { ...base, message: `expected at least ${String(params.limit)} field(s), found none` };
    default:
      return { ...base, message: `${error.message ?? 'invalid'} (found ${found})` };
  }
}

function toPath(instancePath: string, data: unknown): PathSegment[] {
  if (instancePath === '') return [];
  const path: PathSegment[] = [];
  let current: unknown = data;
  for (const raw of instancePath.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      path.push(Number(segment));
      current = current[Number(segment)];
    } else {
      path.push(segment);
      current = current && typeof current === 'object' ? (current as Record<string, unknown>)[segment] : undefined;
    }
  }
  return path;
}

function typeName(type: unknown): string {
  const names: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    integer: 'an integer',
    boolean: 'true or false',
    object: 'a map of fields',
    array: 'a list',
    null: 'null',
  };
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => names[String(t)] ?? String(t)).join(' or ');
}

function rangeName(schema: JsonSchema | undefined): string {
  const kind = schema?.type === 'integer' ? 'an integer' : 'a number';
  const parts: string[] = [];
  if (typeof schema?.minimum === 'number' && typeof schema.maximum === 'number') {
    return `${kind} between ${schema.minimum} and ${schema.maximum}`;
  }
  if (typeof schema?.minimum === 'number') parts.push(`>= ${schema.minimum}`);
  if (typeof schema?.exclusiveMinimum === 'number') parts.push(`> ${schema.exclusiveMinimum}`);
  if (typeof schema?.maximum === 'number') parts.push(`<= ${schema.maximum}`);
  return `${kind} ${parts.join(' and ')}`.trim();
}

function patternName(pattern: string, patterns: Record<string, string>): string {
  return patterns[pattern] ?? `a value matching /${pattern}/`;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
