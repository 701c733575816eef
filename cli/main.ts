/**
 * The `remediate` command line. Each command module exports a register
 * function; adding a command is one line in COMMANDS.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { EXIT, InvalidInputError, UsageError } from './errors';
import { registerDev } from './dev';
import { registerPlan } from './plan';
import { registerValidate } from './validate';

const COMMANDS: ((program: Command) => void)[] = [registerValidate, registerPlan, registerDev];

export function buildProgram(): Command {
  const program = new Command('remediate')
    .description('Policy-as-code auto-remediation: runbooks compiled to a typed DSL, run by durable Temporal workflows.')
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
    if (error instanceof UsageError) {
      process.stderr.write(`remediate: ${error.message}\n`);
      return EXIT.USAGE;
    }
    if (error instanceof InvalidInputError) {
      process.stderr.write(`${error.lines.join('\n')}\n`);
      return EXIT.USAGE;
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
