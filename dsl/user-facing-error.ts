/**
 * Errors that are the user's or the environment's to fix, and the exit codes the CLI promises.
 * Each such class extends UserFacingError with its exit code; the CLI prints it as one message
 * (never a stack trace) and exits with that code. Anything else is a bug and says so.
 *
 * Pure and import-free: dsl/ and the workflows may throw these, and the CLI's startup path stays light.
 */

export const EXIT = {
  OK: 0,
  /** A negative result: invalid runbooks (`validate`), a failed replay, an outcome other than remediated, a refused approval. */
  FAILED: 1,
  /** Bad usage, or input that cannot be used (an invalid incident, runbooks, state, an unknown incident id). */
  USAGE: 2,
  /** The Temporal server cannot be reached (or the demo's Kubernetes cluster cannot be set up). */
  UNREACHABLE: 3,
  /** A bug in remediate itself, or an environment it cannot work in. */
  INTERNAL: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A global symbol, so an error from another copy of this module (a second install, a bundle) is recognised too. */
const BRAND: unique symbol = Symbol.for('remediate.UserFacingError');

export abstract class UserFacingError extends Error {
  abstract readonly exitCode: ExitCode;

  /** The brand isUserFacingError checks: on the prototype, so it is neither enumerable nor copied into messages. */
  get [BRAND](): true {
    return true;
  }

  /** What the CLI prints for it. */
  report(): string {
    return `remediate: ${this.message}`;
  }
}

const EXIT_CODES: ReadonlySet<unknown> = new Set(Object.values(EXIT));

/** Whether `error` is a UserFacingError, from this copy of the module or another one. */
export function isUserFacingError(error: unknown): error is UserFacingError {
  return (
    typeof error === 'object' &&
    error !== null &&
    Reflect.get(error, BRAND) === true &&
    EXIT_CODES.has(Reflect.get(error, 'exitCode')) &&
    typeof Reflect.get(error, 'report') === 'function'
  );
}
