/**
 * The CLI's own user errors, and the exit codes the CLI contract promises (dsl/user-facing-error.ts,
 * which every module's user errors extend). These print as one clear message each, never as a stack trace.
 */
import { EXIT, UserFacingError } from '../dsl/user-facing-error';

export { EXIT, isUserFacingError, UserFacingError, type ExitCode } from '../dsl/user-facing-error';

/** Wrong arguments: a missing file, a folder without runbooks, an unknown incident id. */
export class UsageError extends UserFacingError {
  override readonly name = 'UsageError';
  readonly exitCode = EXIT.USAGE;
}

/** Input that was read but cannot be used; each line is one complete message, printed as it is. */
export class InvalidInputError extends UserFacingError {
  override readonly name = 'InvalidInputError';
  readonly exitCode = EXIT.USAGE;
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }

  override report(): string {
    return this.lines.join('\n');
  }
}
