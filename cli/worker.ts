/**
 * `remediate worker`: a remediation worker against the configured cluster (TEMPORAL_* settings,
 * REMEDIATE_TASK_QUEUE). SIGINT or SIGTERM shut it down gracefully: running activities get their
 * grace period, and workflows continue on the next worker.
 */
import type { Command } from 'commander';

const log = (line: string) => console.log(`[worker] ${line}`);

export interface OperatorOptions {
  runbooks: string;
  policy?: string;
}

/** The options every command that runs a worker shares: the operator's catalogue and policy. */
export function operatorOptions(command: Command): Command {
  return command
    .option('--runbooks <path>', 'the catalogue: runbook file or folder, compiled at start (any error stops the worker)', './runbooks')
    .option('--policy <file>', 'the operator policy file (default: REMEDIATE_POLICY_FILE; none: built-in defaults)');
}

export async function runWorker(options: OperatorOptions): Promise<void> {
  const { temporalSettings } = await import('../worker/config');
  const { explainUnreachable } = await import('../client/connect');
  const { startRemediationWorkers, describeCoordinatorStart } = await import('../worker/worker');
  const { guardrailSettings } = await import('../worker/config');
  const settings = temporalSettings();
  const { workers, close } = await startRemediationWorkers({ settings, runbooks: options.runbooks, policyFile: options.policy }).catch(
    (error: unknown) => {
      throw explainUnreachable(error, settings);
    },
  );
  const guardrails = guardrailSettings(settings.taskQueue);
  log(describeCoordinatorStart(workers, guardrails.workflowId));
  log(
    `polling task queues "${settings.taskQueue}" and "${guardrails.taskQueue}" on ${settings.address} (namespace ${settings.namespace}); Ctrl-C stops`,
  );
  try {
    await workers.done;
  } catch (error) {
    throw explainUnreachable(error, settings);
  } finally {
    await close();
  }
  log('stopped');
}

export function registerWorker(program: Command): void {
  operatorOptions(
    program.command('worker').description('Run a remediation worker against the configured Temporal cluster until SIGINT/SIGTERM.'),
  ).action(async (options: OperatorOptions) => runWorker(options));
}
