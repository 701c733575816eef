/**
 * Exit codes come from the error classes themselves (UserFacingError), not from their names:
 * renaming or extending a user error keeps its exit code, and anything else is still a bug (exit 4).
 */
import { NamespaceNotFoundError } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../activities/config';
import { RemediationClosedError, NotAwaitingApprovalError } from '../../client/approvals';
import { ServerUnreachableError } from '../../client/connect';
import { CoordinatorRecoveryError } from '../../client/coordinator';
import { NotARemediationError } from '../../client/history';
import { FilterValueError } from '../../client/records';
import { SigningError } from '../../client/signing';
import { EXIT, InvalidInputError, UsageError } from '../../cli/errors';
import { reportError } from '../../cli/main';
import { DemoWorkloadsError } from '../../demo/cluster';
import { ChangeWindowError } from '../../dsl/change-window';
import { isUserFacingError, UserFacingError } from '../../dsl/user-facing-error';
import { DevServerStartError, PortInUseError } from '../../toolchain/dev-server';
import { BadOverrideError, MissingToolError, ProvisionError } from '../../toolchain/errors';
import { ClusterStartError } from '../../toolchain/kubernetes-cluster';
import { SettingsError } from '../../worker/config';
import { WorkerConfigError } from '../../worker/operator-config';
import { PolicyFileError } from '../../worker/operator-policy';
import { MissingSearchAttributesError } from '../../worker/search-attributes-check';

let stderr: string;
beforeEach(() => {
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.REMEDIATE_DEBUG;
});

describe('user errors', () => {
  // The table cli/main.ts used to keep by class name, now carried by each class.
  it.each([
    [new UsageError('u'), EXIT.USAGE],
    [new FilterValueError('f'), EXIT.USAGE],
    [new PolicyFileError([{ file: 'p.yaml', line: 1, column: 1, path: '/x', message: 'bad' }]), EXIT.FAILED],
    [new WorkerConfigError(['w']), EXIT.FAILED],
    [new SigningError('s'), EXIT.USAGE],
    [new NotAwaitingApprovalError('n'), EXIT.FAILED],
    [new ConfigError('REMEDIATE_X', 'bad'), EXIT.USAGE],
    [new NotARemediationError('r'), EXIT.USAGE],
    [new MissingToolError('go', 'the CLI', 'X_PATH'), EXIT.USAGE],
    [new BadOverrideError('X_PATH', '/nope', 'not executable'), EXIT.USAGE],
    [new PortInUseError('127.0.0.1:7233'), EXIT.USAGE],
    [new MissingSearchAttributesError('default', ['RemediateRunbook']), EXIT.USAGE],
    [new ChangeWindowError('c'), EXIT.USAGE],
    [new RemediationClosedError('remediation-INC1', 'COMPLETED'), EXIT.FAILED],
    [new CoordinatorRecoveryError('guardrails', 'TERMINATED', new Error('gone')), EXIT.FAILED],
    [new SettingsError('t'), EXIT.USAGE],
    [new ServerUnreachableError('127.0.0.1:1', 'default'), EXIT.UNREACHABLE],
    [new ProvisionError('p'), EXIT.INTERNAL],
    [new DevServerStartError('d'), EXIT.INTERNAL],
    [new ClusterStartError('k'), EXIT.INTERNAL],
    [new DemoWorkloadsError('w'), EXIT.UNREACHABLE],
  ])('%s exits %i with its message', async (error, code) => {
    expect(await reportError(error)).toBe(code);
    expect(stderr).toBe(`remediate: ${error.message}\n`);
  });

  it("the SDK's unknown-namespace error is the user's to fix (exit 2)", async () => {
    const error = new NamespaceNotFoundError('nowhere');
    expect(await reportError(error)).toBe(EXIT.USAGE);
    expect(stderr).toBe(`remediate: ${error.message}\n`);
  });

  it('invalid input prints its lines as they are (exit 2)', async () => {
    expect(await reportError(new InvalidInputError(['a.json: line 1: bad', 'a.json: line 2: worse']))).toBe(EXIT.USAGE);
    expect(stderr).toBe('a.json: line 1: bad\na.json: line 2: worse\n');
  });

  it('a renamed or extended class keeps its exit code', async () => {
    // As if UsageError were renamed: the name is no longer the one the old table listed.
    const renamed = Object.defineProperty(new UsageError('renamed'), 'name', { value: 'ArgumentError' });
    class MissingIncidentError extends UsageError {}
    class NewFailure extends UserFacingError {
      override readonly name = 'NewFailure';
      readonly exitCode = EXIT.FAILED;
    }
    expect(await reportError(renamed)).toBe(EXIT.USAGE);
    expect(await reportError(new MissingIncidentError('extended'))).toBe(EXIT.USAGE);
    expect(await reportError(new NewFailure('new'))).toBe(EXIT.FAILED);
    expect(stderr).toBe('remediate: renamed\nremediate: extended\nremediate: new\n');
  });

  it('is recognised from another copy of the base module', async () => {
    vi.resetModules();
    const copy = await import('../../dsl/user-facing-error');
    expect(copy.UserFacingError).not.toBe(UserFacingError);
    class FromCopy extends copy.UserFacingError {
      readonly exitCode = copy.EXIT.UNREACHABLE;
    }
    const error = new FromCopy('from the copy');
    expect(error).not.toBeInstanceOf(UserFacingError);
    expect(isUserFacingError(error)).toBe(true);
    expect(await reportError(error)).toBe(EXIT.UNREACHABLE);
    expect(stderr).toBe('remediate: from the copy\n');
  });
});

describe('anything else is a bug', () => {
  it('an unexpected error is an internal error (exit 4), without a stack unless asked', async () => {
    expect(await reportError(new TypeError('boom'))).toBe(EXIT.INTERNAL);
    expect(stderr).toBe('remediate: internal error: boom\n(set REMEDIATE_DEBUG=1 for details)\n');
  });

  it('with REMEDIATE_DEBUG it prints the stack', async () => {
    process.env.REMEDIATE_DEBUG = '1';
    expect(await reportError(new TypeError('boom'))).toBe(EXIT.INTERNAL);
    expect(stderr).toMatch(/^remediate: internal error: TypeError: boom\n\s+at /);
  });

  it('an error merely named like a user error is still a bug: names no longer decide', async () => {
    const impostor = Object.assign(new Error('named'), { name: 'UsageError' });
    expect(await reportError(impostor)).toBe(EXIT.INTERNAL);
    expect(isUserFacingError(impostor)).toBe(false);
  });
});
