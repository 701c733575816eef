/**
 * `remediate dev`: the embedded default (worker/embedded-server.ts) and a remediation worker, until Ctrl-C.
 * With TEMPORAL_ADDRESS set, it starts no server and runs the worker against that cluster.
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import type { EmbeddedOptions } from '../worker/embedded-server';
import { positiveInt } from './options';
import { operatorOptions, type OperatorOptions } from './worker';

const log = (line: string) => console.log(`[dev] ${line}`);

export async function runDev(options: EmbeddedOptions & OperatorOptions): Promise<void> {
  // Loaded here, not at the top: `validate` and `plan` should not pay for the worker at startup.
  const { startEmbedded } = await import('../worker/embedded-server');
  const { explainUnreachable } = await import('../client/connect');
  const { startRemediationWorkers, describeCoordinatorStart } = await import('../worker/worker');
  const { guardrailSettings } = await import('../worker/config');
  const codecEndpoint = await devCodecEndpoint(options.policy);
  if (codecEndpoint) log(`payloads encrypted: the Web UI decodes them through ${codecEndpoint} (run \`remediate serve\` there)`);
  const { settings, uiUrl, server } = await startEmbedded({ ...options, ...(codecEndpoint ? { codecEndpoint } : {}) }, log);
  try {
    if (server) log(`Temporal dev server: ${server.address}`);
    if (uiUrl) log(`Web UI: ${uiUrl}`);
    const { workers, close } = await startRemediationWorkers({
      settings,
      runbooks: options.runbooks,
      policyFile: options.policy,
      ...(uiUrl ? { webUiUrl: uiUrl } : {}),
    }).catch((error: unknown) => {
      throw explainUnreachable(error, settings);
    });
    log(describeCoordinatorStart(workers, guardrailSettings(settings.taskQueue).workflowId));
    log(`worker polling task queue "${settings.taskQueue}" on ${settings.address} (namespace ${settings.namespace}); Ctrl-C stops`);
    try {
      await workers.done;
    } finally {
      await close();
    }
  } finally {
    await server?.stop();
    log('stopped');
  }
}

/**
 * Where `remediate serve` will answer /codec, from the policy's intake.listen, when encryption is on;
 * undefined when it is off or the port is chosen at start (0).
 */
export async function devCodecEndpoint(policyFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const { keyRingFromEnvironment } = await import('../codec/key-ring');
  if (!keyRingFromEnvironment(env)) return undefined;
  const { loadOperatorPolicy, operatorPolicyFile } = await import('../worker/operator-policy');
  const intake = loadOperatorPolicy(policyFlag ?? operatorPolicyFile(env)).intake;
  const { host, port } = intake.listen;
  if (port === 0) return undefined;
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `${intake.tls ? 'https' : 'http'}://${shown}:${port}/codec`;
}

/** The options `dev` and `demo` share: where the embedded server listens and keeps its database. */
export function embeddedOptions(command: Command): Command {
  return command
    .option('--port <port>', 'gRPC port of the dev server', positiveInt, 7233)
    .option('--ui-port <port>', 'Web UI port', positiveInt, 8233)
    .option('--data-dir <dir>', 'folder for the server database', process.env.REMEDIATE_DATA_DIR ?? join('.data', 'temporal'));
}

export function registerDev(program: Command): void {
  operatorOptions(
    embeddedOptions(
      program.command('dev').description('Start the embedded Temporal dev server (with Web UI) and a remediation worker, until Ctrl-C.'),
    ),
  ).action(async (options: EmbeddedOptions & OperatorOptions) => runDev(options));
}
