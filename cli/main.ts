/**
 * The `remediate` command line. Each command module exports a register
 * function; adding a command is one line in COMMANDS.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerApprove, registerReject } from './approve';
import { registerApprovals } from './approvals';
import { registerAudit } from './audit';
import { registerBacktest } from './backtest';
import { registerDemo } from './demo';
import { registerDev } from './dev';
import { EXIT, isUserFacingError, type ExitCode } from './errors';
import { registerHistory, registerReplay } from './history';
import { registerGuardrails } from './guardrails';
import { registerList } from './list';
import { registerPlan } from './plan';
import { registerServe } from './serve';
import { registerStats } from './stats';
import { registerStatus } from './status';
import { registerSubmit } from './submit';
import { registerValidate } from './validate';
import { registerWatch } from './watch';
import { registerWorker } from './worker';

const COMMANDS: ((program: Command) => void)[] = [
  registerValidate,
  registerPlan,
  registerDemo,
  registerDev,
  registerWorker,
  registerServe,
  registerSubmit,
  registerApprove,
  registerReject,
  registerStatus,
  registerList,
  registerAudit,
  registerHistory,
  registerReplay,
  registerBacktest,
  registerStats,
  registerGuardrails,
  registerWatch,
  registerApprovals,
];

export function buildProgram(): Command {
  const program = new Command('remediate')
    .description('Policy-as-code auto-remediation: runbooks compiled to a typed DSL, run by durable Temporal workflows.')
    .addHelpText(
      'after',
      [
        '',
        'Exit codes: 0 ok, 1 a negative result (invalid runbooks, replay failure, outcome not remediated,',
        'approval refused), 2 usage or invalid input, 3 Temporal server unreachable, 4 internal error.',
        'Connection: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE (the SDK conventions).',
      ].join('\n'),
    )
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

/** Runs the CLI and returns the exit code; user mistakes print one message, never a stack trace. */
export async function run(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (error) {
    return reportError(error);
  }
}

/**
 * Prints what went wrong and returns the exit code. A UserFacingError (every module's user errors
 * extend it) is the user's or the environment's to fix: one message and its exit code. Anything
 * else is a bug and says so.
 */
export async function reportError(error: unknown): Promise<ExitCode> {
  if (error instanceof CommanderError) {
    // Commander has printed the message (or the help) already.
    return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  if (isUserFacingError(error)) {
    process.stderr.write(`${error.report()}\n`);
    return error.exitCode;
  }
  const sdkError = await sdkUserError(error);
  if (sdkError) {
    process.stderr.write(`remediate: ${sdkError.message}\n`);
    return EXIT.USAGE;
  }
  const detail = error instanceof Error ? (process.env.REMEDIATE_DEBUG ? error.stack : error.message) : String(error);
  process.stderr.write(`remediate: internal error: ${detail}\n(set REMEDIATE_DEBUG=1 for details)\n`);
  return EXIT.INTERNAL;
}

/**
 * The Temporal SDK's error for a namespace the server does not know: the user's to fix, but not a
 * class of ours to extend. Loaded only on the error path, so the startup path stays light; the
 * SDK's instanceof is symbol-based, so it holds across copies of the SDK too.
 */
async function sdkUserError(error: unknown): Promise<Error | undefined> {
  if (!(error instanceof Error)) return undefined;
  const { NamespaceNotFoundError } = await import('@temporalio/common');
  return error instanceof NamespaceNotFoundError ? error : undefined;
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(resolve(entry)).href) {
  process.exitCode = await run(process.argv);
}
