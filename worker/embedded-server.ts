/**
 * The embedded default: the Temporal dev server from the provisioned CLI, with its SQLite database
 * under a data folder (workflows survive a restart) and the Web UI, and the search attributes the
 * workflow sets registered. With TEMPORAL_ADDRESS set, nothing is started: that cluster is used.
 * Used by `remediate dev` and by the demo, which is why it lives here and not in cli/. With encryption
 * on, `dev` points the Web UI at serve's codec server (docs/encryption.md).
 */
import type { RunningDevServer } from '../toolchain/dev-server';
import type { TemporalSettings } from './config';

export interface EmbeddedOptions {
  port: number;
  uiPort: number;
  dataDir: string;
  /** The Web UI decodes payloads there (`--ui-codec-endpoint`): serve's /codec, when encryption is on. */
  codecEndpoint?: string;
}

export interface Embedded {
  settings: TemporalSettings;
  /** Null when an existing cluster is used and REMEDIATE_WEB_UI_URL does not say where its UI is. */
  uiUrl: string | null;
  /** The server this process started, if any. */
  server?: RunningDevServer;
}

export async function startEmbedded(options: EmbeddedOptions, log: (line: string) => void): Promise<Embedded> {
  const { ensureTemporalCli } = await import('../toolchain');
  const { startDevServer } = await import('../toolchain/dev-server');
  const { temporalSettings } = await import('./config');
  const { ALL_SEARCH_ATTRIBUTES } = await import('../contracts/search-attributes');
  if (process.env.TEMPORAL_ADDRESS) {
    return { settings: temporalSettings(), uiUrl: process.env.REMEDIATE_WEB_UI_URL ?? null };
  }
  const cli = await ensureTemporalCli(log);
  const server = await startDevServer({
    temporalCli: cli.path,
    dataDir: options.dataDir,
    port: options.port,
    uiPort: options.uiPort,
    searchAttributes: ALL_SEARCH_ATTRIBUTES.map((key) => `${key.name}=Keyword`),
    ...(options.codecEndpoint ? { extraArgs: ['--ui-codec-endpoint', options.codecEndpoint] } : {}),
    log,
  });
  return { settings: temporalSettings({ address: server.address }), uiUrl: server.uiUrl ?? null, server };
}
