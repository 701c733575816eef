/**
 * Limits on what an incident may be, enforced at intake (a clear error naming the field and the
 * limit) and again by the workflow (a run whose input exceeds them ends blocked, never crashes):
 * incident data comes from alert pipelines and pasted JSON, and everything in it is copied into
 * history and evaluated by CEL. Iterative, so no input can overflow the stack here either.
 */
import type { InputError } from './incident';

export const INCIDENT_LIMITS = {
  /** The incident as JSON, in characters. */
  maxJsonChars: 65_536,
  /** Nesting of objects and lists inside `context`. */
  maxDepth: 8,
  maxStringChars: 4_096,
  maxListItems: 256,
  maxObjectKeys: 256,
} as const;

/** Ids and service names: letters, digits and `_ . : @ -`, starting with a letter, digit or `_`, at most 128. */
export const IDENTIFIER = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,127}$/;
export const IDENTIFIER_RULE = '1-128 letters, digits or _ . : @ -, starting with a letter, digit or _';

export function incidentLimitProblems(data: unknown): InputError[] {
  const problems: InputError[] = [];
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch {
    // JSON.stringify recurses: a document nested thousands deep overflows it before any walk of ours.
    return [{ field: '', message: `cannot be read: not JSON data, or nested deeper than ${INCIDENT_LIMITS.maxDepth} levels` }];
  }
  if (json !== undefined && json.length > INCIDENT_LIMITS.maxJsonChars) {
    return [
      { field: '', message: `the incident is ${json.length} characters of JSON; at most ${INCIDENT_LIMITS.maxJsonChars} are accepted` },
    ];
  }
  if (typeof data !== 'object' || data === null) return problems;
  const record = data as Record<string, unknown>;
  for (const field of ['id', 'service'] as const) {
    const value = record[field];
    if (typeof value === 'string' && value !== '' && !IDENTIFIER.test(value))
      problems.push({ field, message: `"${value.slice(0, 64)}" is not an identifier: expected ${IDENTIFIER_RULE}` });
  }
  if (Array.isArray(record.services)) {
    record.services.forEach((value, i) => {
      if (typeof value === 'string' && value !== '' && !IDENTIFIER.test(value))
        problems.push({ field: `services[${i}]`, message: `"${value.slice(0, 64)}" is not an identifier: expected ${IDENTIFIER_RULE}` });
    });
  }
  // Breadth-first over everything else, with the path for the message.
  const queue: Array<{ value: unknown; path: string; depth: number }> = [{ value: data, path: '', depth: 0 }];
  while (queue.length > 0 && problems.length < 20) {
    const { value, path, depth } = queue.shift()!;
    if (typeof value === 'string') {
      if (value.length > INCIDENT_LIMITS.maxStringChars)
        problems.push({ field: path, message: `a string of ${value.length} characters; at most ${INCIDENT_LIMITS.maxStringChars}` });
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    // The incident itself is depth 0, so `context` is level 1 of its nesting.
    if (depth > INCIDENT_LIMITS.maxDepth) {
      problems.push({ field: path, message: `nested deeper than ${INCIDENT_LIMITS.maxDepth} levels` });
      continue;
    }
    if (Array.isArray(value)) {
      if (value.length > INCIDENT_LIMITS.maxListItems)
        problems.push({ field: path, message: `a list of ${value.length} items; at most ${INCIDENT_LIMITS.maxListItems}` });
      value
        .slice(0, INCIDENT_LIMITS.maxListItems)
        .forEach((item, i) => queue.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 }));
      continue;
    }
    const keys = Object.keys(value);
    if (keys.length > INCIDENT_LIMITS.maxObjectKeys)
      problems.push({ field: path, message: `an object with ${keys.length} keys; at most ${INCIDENT_LIMITS.maxObjectKeys}` });
    for (const key of keys.slice(0, INCIDENT_LIMITS.maxObjectKeys)) {
      queue.push({ value: (value as Record<string, unknown>)[key], path: path ? `${path}.${key}` : key, depth: depth + 1 });
    }
  }
  return problems;
}
