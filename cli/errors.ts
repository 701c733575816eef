/**
 * Errors a user can cause, and the exit codes the CLI contract promises.
 * These print as one clear message each, never as a stack trace.
 */

export const EXIT = {
  OK: 0,
  /** `validate`: some file is invalid. */
  INVALID: 1,
  /** Bad usage, or input that cannot be used (invalid incident, runbooks or state for `plan`). */
  USAGE: 2,
  /** A bug in remediate itself. */
  INTERNAL: 70,
} as const;

/** Wrong arguments: a missing file, a folder without runbooks. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Input that was read but cannot be used; each line is one complete message. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}
