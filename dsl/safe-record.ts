/**
 * Records keyed by strings that come from outside (incident ids, services, runbook ids). A plain
 * object treats `__proto__` as its prototype and inherits `constructor`, `toString`...; these
 * helpers make every key an ordinary own key. Records stay plain JSON (same shape when serialised),
 * so they can travel as workflow inputs and query results; JSON decoding yields plain objects
 * again, so whoever receives one restores it with `safeRecord`.
 */

/** A null-prototype copy of `from` (own enumerable keys only), or an empty one. */
export function safeRecord<T>(from?: Readonly<Record<string, T>> | null): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  if (from) for (const key of Object.keys(from)) setOwn(out, key, from[key] as T);
  return out;
}

/** A record's own value: keys such as `__proto__` or `constructor` read nothing inherited. */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Sets an own data property, even for `__proto__` on a record that still has a prototype. */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Deletes an own key; never touches anything inherited. Returns whether it was there. */
export function deleteOwn<T>(record: Record<string, T>, key: string): boolean {
  if (!Object.hasOwn(record, key)) return false;
  delete record[key];
  return true;
}
