import { EXIT, UserFacingError } from '../dsl/user-facing-error';

/** A tool the provisioning needs is not installed: say which, and how to skip the build instead. */
export class MissingToolError extends UserFacingError {
  readonly exitCode = EXIT.USAGE;
  constructor(
    readonly tool: string,
    readonly neededFor: string,
    readonly override: string,
  ) {
    super(
      `${tool} is required to build ${neededFor} but was not found on PATH. ` +
        `Install ${tool}, or set ${override} to an existing binary to skip the build.`,
    );
    this.name = 'MissingToolError';
  }
}

/** A build step ran and failed; carries the tail of its output so the user sees why. */
export class ProvisionError extends UserFacingError {
  readonly exitCode = EXIT.INTERNAL;
  constructor(
    message: string,
    readonly outputTail = '',
  ) {
    super(outputTail ? `${message}\n--- last output ---\n${outputTail}` : message);
    this.name = 'ProvisionError';
  }
}

/** An override variable points at something that cannot be executed. */
export class BadOverrideError extends UserFacingError {
  readonly exitCode = EXIT.USAGE;
  constructor(variable: string, path: string, why: string) {
    super(`${variable}=${path}: ${why}`);
    this.name = 'BadOverrideError';
  }
}
