import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { portOpen, ServerStartError, startServerProcess } from './server-process';
import { EXIT, UserFacingError } from '../dsl/user-facing-error';

/** A dev server the project started: where it listens and how to stop it. */
export interface RunningDevServer {
  address: string;
  uiUrl: string | undefined;
  dbFile: string;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  temporalCli: string;
  /** Folder for the SQLite database: workflows survive a restart of the server. */
  dataDir: string;
  ip?: string;
  port?: number;
  /** Web UI port; `false` runs headless. */
  uiPort?: number | false;
  /** Search attributes to register, as `Name=Type` (Keyword, Int, ...). */
  searchAttributes?: string[];
  /** Server settings: `tuned` (the default) or the CLI's own `plain` defaults, for comparison. */
  profile?: DevServerProfile;
  /** More arguments for `temporal server start-dev` (the benchmark adds settings one at a time). */
  extraArgs?: readonly string[];
  log: (line: string) => void;
}

export type DevServerProfile = 'tuned' | 'plain';

/**
 * What `tuned` changes, each measured by the benchmark against `plain` (docs/benchmarks.md):
 * SQLite in WAL mode with normal syncs (the dev server's one connection spends most of its time
 * in fsync otherwise); search attributes registered at start, so their cache need not be refreshed
 * on every read; one task-queue partition (four on one host only split the backlog, and priority is
 * ordered within a partition); the priority matcher; eager activities and eager workflow start.
 */
export const DEV_SERVER_TUNING = [
  { name: 'SQLite WAL, synchronous=normal', args: ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'] },
  {
    name: 'search-attribute cache not refreshed on every read',
    args: ['--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false'],
  },
  {
    name: 'one task-queue partition',
    args: [
      '--dynamic-config-value',
      'matching.numTaskqueueReadPartitions=1',
      '--dynamic-config-value',
      'matching.numTaskqueueWritePartitions=1',
    ],
  },
  { name: 'priority matcher', args: ['--dynamic-config-value', 'matching.useNewMatcher=true'] },
  {
    name: 'eager activities and eager workflow start',
    args: [
      '--dynamic-config-value',
      'system.enableActivityEagerExecution=true',
      '--dynamic-config-value',
      'system.enableEagerWorkflowStart=true',
    ],
  },
] as const;

export const TUNED_DEV_SERVER_ARGS: readonly string[] = DEV_SERVER_TUNING.flatMap((setting) => setting.args);

export class PortInUseError extends UserFacingError {
  readonly exitCode = EXIT.USAGE;
  constructor(readonly address: string) {
    super(
      `${address} is already in use. A Temporal server may already be running there: ` +
        `point at it with TEMPORAL_ADDRESS=${address} instead of starting one, or pick another port.`,
    );
    this.name = 'PortInUseError';
  }
}

export class DevServerStartError extends UserFacingError {
  readonly exitCode = EXIT.INTERNAL;
  constructor(message: string) {
    super(message);
    this.name = 'DevServerStartError';
  }
}

/** Starts `temporal server start-dev` on loopback with a database file and waits until it accepts connections. */
export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? 7233;
  const address = `${ip}:${port}`;
  if (await portOpen(ip, port)) throw new PortInUseError(address);

  mkdirSync(options.dataDir, { recursive: true });
  const dbFile = join(options.dataDir, 'temporal.db');
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--db-filename', dbFile, '--log-level', 'warn'];
  if (options.uiPort === false) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort ?? port + 1000));
  for (const attribute of options.searchAttributes ?? []) args.push('--search-attribute', attribute);
  if ((options.profile ?? 'tuned') === 'tuned') args.push(...TUNED_DEV_SERVER_ARGS);
  args.push(...(options.extraArgs ?? []));

  options.log(`starting Temporal dev server on ${address} (database ${dbFile})`);
  const server = await startServerProcess({ name: 'the dev server', command: options.temporalCli, args, host: ip, port }).catch(
    (error: unknown) => {
      throw error instanceof ServerStartError ? new DevServerStartError(error.message) : error;
    },
  );
  const uiUrl = options.uiPort === false ? undefined : `http://${ip}:${options.uiPort ?? port + 1000}`;
  return { address, uiUrl, dbFile, stop: () => server.stop() };
}
