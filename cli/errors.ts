/**
 * Errors a user can cause, and the exit codes the CLI contract promises.
 * These print as one clear message each, never as a stack trace.
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

/** Wrong arguments: a missing file, a folder without runbooks, an unknown incident id. */
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
