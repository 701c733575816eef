/**
 * Replacing each resolved secret value with `secret:NAME` in whatever leaves an activity (captured
 * stdout and stderr, response bodies, error messages), so a value never reaches history, results,
 * the audit trail or notifications.
 */
import { secretLabel } from '../../dsl/secret-ref';

/** The values one step used, by secret name. */
export type RevealedSecrets = ReadonlyMap<string, string>;

/** `text` with every occurrence of each value replaced by its label; longer values first, so one inside another is still caught. */
export function redactText(text: string, secrets: RevealedSecrets): string {
  let out = text;
  const byLength = [...secrets].filter(([, value]) => value !== '').sort(([, a], [, b]) => b.length - a.length);
  for (const [name, value] of byLength) out = out.split(value).join(secretLabel(name));
  return out;
}

/** Every string in a JSON value (keys included) redacted; other values as they are. */
export function redactDeep<T>(value: T, secrets: RevealedSecrets): T {
  if (secrets.size === 0) return value;
  return walk(value, secrets) as T;
}

function walk(value: unknown, secrets: RevealedSecrets): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((item) => walk(item, secrets));
  if (value !== null && typeof value === 'object') {
    // Null prototype: a key "__proto__" in a response body stays a key.
    const out: Record<string, unknown> = Object.create(null);
    for (const [key, item] of Object.entries(value)) out[redactText(key, secrets)] = walk(item, secrets);
    return out;
  }
  return value;
}
