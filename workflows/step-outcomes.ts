/** How the step runner tells what a step did: a failure as one message, a result cut to a size the audit trail can carry. */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/** A result for the audit trail: long outputs and bodies cut at 500 characters. */
export function summarise(result: unknown): unknown {
  if (!result || typeof result !== 'object') return result;
  const { stdout, stderr, body, ...rest } = result as Record<string, unknown>;
  const cut = (v: unknown) => (typeof v === 'string' && v.length > 500 ? `${v.slice(0, 500)}…` : v);
  return { ...rest, stdout: cut(stdout), stderr: cut(stderr), body: cut(body) };
}

/** The message of the innermost failure that says what went wrong (an activity's, not the wrapper's). */
export function failureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return failureMessage(error.cause);
  if (error instanceof ApplicationFailure) return error.message;
  return error instanceof Error ? error.message : String(error);
}
