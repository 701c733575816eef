/** Whole milliseconds since a `performance.now()` reading. */
export function since(started: number): number {
  return Math.round(performance.now() - started);
}

/** An error's message plus its cause's: fetch says only "fetch failed" and hides ECONNREFUSED in `cause`. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return cause !== undefined && cause !== err.message ? `${err.message}: ${cause}` : err.message;
}
