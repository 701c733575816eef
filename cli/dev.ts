/**
 * `remediate dev`: the embedded default. Starts the Temporal dev server (SQLite database under
 * the data folder, Web UI on), then a remediation worker, and runs until Ctrl-C.
 * With TEMPORAL_ADDRESS set, it starts no server and runs the worker against that cluster.
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import type { RunningDevServer } from '../toolchain/dev-server';

export interface DevOptions {
  port: string;
  uiPort: string;
  dataDir: string;
}

const log = (line: string) => console.log(`[dev] ${line}`);

export async function runDev(options: DevOptions): Promise<void> {
  // Loaded here, not at the top: `validate` and `plan` should not pay for the worker at startup.
  const { ensureTemporalCli } = await import('../toolchain');
  const { startDevServer } = await import('../toolchain/dev-server');
  const { temporalSettings } = await import('../worker/config');
  const { createRemediationWorker } = await import('../worker/worker');
  const { ALL_SEARCH_ATTRIBUTES } = await import('../workflows/search-attributes');
  let server: RunningDevServer | undefined;
  if (!process.env.TEMPORAL_ADDRESS) {
    const cli = await ensureTemporalCli(log);
    server = await startDevServer({
      temporalCli: cli.path,
      dataDir: options.dataDir,
      port: Number(options.port),
      uiPort: Number(options.uiPort),
      searchAttributes: ALL_SEARCH_ATTRIBUTES.map((key) => `${key.name}=Keyword`),
      log,
    });
    log(`Temporal dev server: ${server.address}`);
    log(`Web UI: ${server.uiUrl}`);
  }
  const settings = temporalSettings({ address: server?.address });
  const { worker, close } = await createRemediationWorker({ settings });
  log(`worker polling task queue "${settings.taskQueue}" on ${settings.address} (namespace ${settings.namespace}); Ctrl-C stops`);
  try {
    await worker.run();
  } finally {
    await close();
    await server?.stop();
    log('stopped');
  }
}

export function registerDev(program: Command): void {
  program
    .command('dev')
    .description('start the embedded Temporal dev server (with Web UI) and a remediation worker')
    .option('--port <port>', 'gRPC port of the dev server', '7233')
    .option('--ui-port <port>', 'Web UI port', '8233')
    .option('--data-dir <dir>', 'folder for the server database', process.env.REMEDIATE_DATA_DIR ?? join('.data', 'temporal'))
    .action(async (options: DevOptions) => runDev(options));
}
