/**
 * `remediate worker`: a remediation worker against the configured cluster (TEMPORAL_* settings,
 * REMEDIATE_TASK_QUEUE). SIGINT or SIGTERM shut it down gracefully: running activities get their
 * grace period, and workflows continue on the next worker.
 */
import type { Command } from 'commander';

const log = (line: string) => console.log(`[worker] ${line}`);

export async function runWorker(): Promise<void> {
  const { temporalSettings } = await import('../worker/config');
  const { explainUnreachable } = await import('../client/connect');
  const { createRemediationWorker } = await import('../worker/worker');
  const settings = temporalSettings();
  const { worker, close } = await createRemediationWorker({ settings }).catch((error: unknown) => {
    throw explainUnreachable(error, settings);
  });
  log(`polling task queue "${settings.taskQueue}" on ${settings.address} (namespace ${settings.namespace}); Ctrl-C stops`);
  try {
    await worker.run();
  } catch (error) {
    throw explainUnreachable(error, settings);
  } finally {
    await close();
  }
  log('stopped');
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('Run a remediation worker against the configured Temporal cluster until SIGINT/SIGTERM.')
    .action(async () => runWorker());
}
