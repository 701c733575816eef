/**
 * The `remediate` command line. Each command module exports a register
 * function; adding a command is one line in COMMANDS.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerApprove, registerReject } from './approve';
import { registerAudit } from './audit';
import { registerBacktest } from './backtest';
import { registerDemo } from './demo';
import { registerDev } from './dev';
import { EXIT, InvalidInputError } from './errors';
import { registerHistory, registerReplay } from './history';
import { registerGuardrails } from './guardrails';
import { registerList } from './list';
import { registerPlan } from './plan';
import { registerStats } from './stats';
import { registerStatus } from './status';
import { registerSubmit } from './submit';
import { registerValidate } from './validate';
import { registerWorker } from './worker';

const COMMANDS: ((program: Command) => void)[] = [
  registerValidate,
  registerPlan,
  registerDemo,
  registerDev,
  registerWorker,
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
];

/**
 * Errors that are the user's or the environment's to fix, by class name (matching by name keeps
 * the modules that define them out of the startup path), and the exit code each one means.
 * They print as one message; anything else is a bug and says so.
 */
const EXPECTED_ERRORS: Record<string, number> = {
  UsageError: EXIT.USAGE,
  FilterValueError: EXIT.USAGE,
  PolicyFileError: EXIT.FAILED,
  WorkerConfigError: EXIT.FAILED,
  SigningError: EXIT.USAGE,
  NotAwaitingApprovalError: EXIT.FAILED,
  ConfigError: EXIT.USAGE,
  NotARemediationError: EXIT.USAGE,
  NamespaceNotFoundError: EXIT.USAGE,
  MissingToolError: EXIT.USAGE,
  BadOverrideError: EXIT.USAGE,
  PortInUseError: EXIT.USAGE,
  MissingSearchAttributesError: EXIT.USAGE,
  ChangeWindowError: EXIT.USAGE,
  RemediationClosedError: EXIT.FAILED,
  CoordinatorRecoveryError: EXIT.FAILED,
  SettingsError: EXIT.USAGE,
  ServerUnreachableError: EXIT.UNREACHABLE,
  ProvisionError: EXIT.INTERNAL,
  DevServerStartError: EXIT.INTERNAL,
  ClusterStartError: EXIT.INTERNAL,
  DemoWorkloadsError: EXIT.UNREACHABLE,
};

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
    if (error instanceof CommanderError) {
      // Commander has printed the message (or the help) already.
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (error instanceof InvalidInputError) {
      process.stderr.write(`${error.lines.join('\n')}\n`);
      return EXIT.USAGE;
    }
    const name = error instanceof Error ? error.name : '';
    if (Object.hasOwn(EXPECTED_ERRORS, name)) {
      process.stderr.write(`remediate: ${(error as Error).message}\n`);
      return EXPECTED_ERRORS[name]!;
    }
    const detail = process.env.REMEDIATE_DEBUG ? (error as Error).stack : (error as Error).message;
    process.stderr.write(`remediate: internal error: ${detail}\n(set REMEDIATE_DEBUG=1 for details)\n`);
    return EXIT.INTERNAL;
  }
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(resolve(entry)).href) {
  process.exitCode = await run(process.argv);
}
