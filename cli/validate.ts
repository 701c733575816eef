/** `remediate validate PATH...`: compile runbook files and report every error. */
import type { Command } from 'commander';
import { compileCatalogue } from '../dsl/compile';
import { compileOptions } from '../worker/operator-config';
import { loadOperatorPolicy, operatorPolicyFile } from '../worker/operator-policy';
import { EXIT } from './errors';
import { loadRunbookFiles } from './load-runbooks';
import { compileErrorsJson, formatCompileError, processIo, type Io } from './output';

export interface ValidateOptions {
  json?: boolean;
  /** The operator policy whose compile options (secret names, launchers, Prometheus servers, check queries) apply, as the worker applies them. */
  policy?: string;
}

export async function runValidate(paths: string[], options: ValidateOptions, io: Io = processIo): Promise<number> {
  const files = await loadRunbookFiles(paths);
  // Only with a policy named (flag or REMEDIATE_POLICY_FILE): without one, checks that need its names stay as they were.
  const policyFile = options.policy ?? operatorPolicyFile();
  const result = compileCatalogue(files, policyFile ? compileOptions(loadOperatorPolicy(policyFile)) : {});
  if (options.json) {
    io.out(compileErrorsJson(result.ok ? [] : result.errors));
  } else if (result.ok) {
    const { runbooks, version } = result.catalogue;
    io.out(
      `ok: ${runbooks.length} runbook${runbooks.length === 1 ? '' : 's'} in ${files.length} file${files.length === 1 ? '' : 's'} (catalogue version ${version.slice(0, 12)})`,
    );
  } else {
    for (const error of result.errors) io.err(formatCompileError(error));
    io.err(`${result.errors.length} error${result.errors.length === 1 ? '' : 's'}`);
  }
  return result.ok ? EXIT.OK : EXIT.FAILED;
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('Check runbook files (YAML files or folders of them); exit 0 if all are valid, 1 if not, 2 on usage errors.')
    .argument('<paths...>', 'runbook files or folders')
    .option('--json', 'print the errors as a JSON array of {file, line, column, path, message}')
    .option(
      '--policy <file>',
      "the operator policy file, for the worker's compile options: secret names, allowed programs, Prometheus servers (default: REMEDIATE_POLICY_FILE; none: those checks need no policy, and a secret reference is an error)",
    )
    .action(async (paths: string[], options: ValidateOptions) => {
      process.exitCode = await runValidate(paths, options);
    });
}
