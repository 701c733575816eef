/**
 * `remediate serve`: the HTTP intake (intake/server.ts, docs/intake.md) and, unless --no-worker, a
 * remediation worker in the same process (as `remediate worker`), so one /metrics covers both.
 * Listens where the policy's `intake.listen` says (loopback by default); SIGINT or SIGTERM stop it.
 */
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { AlertmanagerRule } from '../intake/alertmanager-rules';
import type { EngineMetrics } from '../telemetry/metrics';
import type { IntakePolicy } from '../worker/intake-policy';
import type { IntakeServiceOptions } from '../intake/service';
import type { ApprovalGateway } from '../dsl/trust/types';
import { operatorOptions, type OperatorOptions } from './worker';
import { EXIT, UserFacingError } from './errors';

const log = (line: string) => console.log(`[serve] ${line}`);

/** The intake cannot start as configured: no sources, an unreadable TLS file or key, a bad --listen. */
export class ServeConfigError extends UserFacingError {
  override readonly name = 'ServeConfigError';
  readonly exitCode = EXIT.USAGE;
}

export interface ServeOptions extends OperatorOptions {
  listen?: string;
  /** False with --no-worker: an intake-only process. */
  worker: boolean;
}

export async function runServe(options: ServeOptions): Promise<void> {
  const { temporalSettings, guardrailSettings } = await import('../worker/config');
  const { connectClient, explainUnreachable } = await import('../client/connect');
  const { loadOperatorConfig } = await import('../worker/operator-config');
  const { loadOperatorPolicy, operatorPolicyFile } = await import('../worker/operator-policy');
  const { dataConverterFromEnvironment } = await import('../codec/data-converter');
  const settings = temporalSettings();
  // The key file is checked before anything starts; connectClient and the worker read it again.
  const encryption = dataConverterFromEnvironment();
  const policyFile = options.policy ?? operatorPolicyFile(process.env);
  const config = options.worker ? await loadOperatorConfig({ runbooks: options.runbooks, policyFile }) : undefined;
  const policy = config?.policy ?? loadOperatorPolicy(policyFile);
  const intake = await intakeSettings(policy.intake, options.listen);
  const { startRemediationWorkers } = await import('../worker/worker');
  const telemetry = await serveTelemetry(config?.catalogue.runbooks.map((runbook) => runbook.id));
  const running = config
    ? await startRemediationWorkers({ settings, config, telemetry: telemetry.worker }).catch((e: unknown) =>
        Promise.reject(explainUnreachable(e, settings)),
      )
    : undefined;
  const session = await connectClient(settings).catch(async (error: unknown) => {
    await running?.close();
    throw error;
  });
  const closeAll = async () => {
    await session.close();
    await running?.close();
  };
  try {
    const { loadActivitiesConfig } = await import('../activities/config');
    const { workerActivitiesConfig } = await import('../worker/worker');
    const approvalsPage = policy.approvalsPage && {
      policy: policy.approvalsPage,
      ...(config ? { activities: workerActivitiesConfig(config, loadActivitiesConfig()) } : {}),
    };
    const server = await startServer(session.client, settings.taskQueue, guardrailSettings(settings.taskQueue).workflowId, intake, {
      metrics: telemetry.metrics,
      alertmanagerRules: policy.alertmanagerRules,
      ...(policy.slack
        ? { slack: { policy: policy.slack, vouchesFor: gatewayVouches(policy.trust.gateways, policy.slack.gateway.principal) } }
        : {}),
      ...(approvalsPage ? { approvalsPage } : {}),
      ...(encryption ? { codec: { codec: encryption.payloadCodecs[0]!, ...webUiOrigin(policy.webUiUrl) } } : {}),
    });
    log(
      `intake listening on ${server.url} (POST /v1/incidents, /v1/alertmanager${policy.slack ? ', /v1/slack/interactions' : ''}; GET /healthz, /readyz, /metrics) for sources: ${intake.policy.sources.map((s) => s.name).join(', ')}`,
    );
    if (approvalsPage) log(`approvals page at ${server.url}/approvals (sign in as a user of approvals_page.users)`);
    if (encryption)
      log(
        `payloads encrypted; codec server at ${server.url}/codec (sources with the codec route${policy.webUiUrl ? `; CORS for ${new URL(policy.webUiUrl).origin}` : '; no web_ui_url, so no CORS'})`,
      );
    log(
      running
        ? `worker polling task queue "${settings.taskQueue}" on ${settings.address}; Ctrl-C stops`
        : `intake only (--no-worker), submitting to task queue "${settings.taskQueue}" on ${settings.address}; Ctrl-C stops`,
    );
    try {
      await (running ? running.workers.done : untilSignal());
    } finally {
      await server.close();
    }
  } catch (error) {
    throw explainUnreachable(error, settings);
  } finally {
    await closeAll();
  }
  log('stopped');
}

interface IntakeSettings {
  policy: IntakePolicy;
  listen: { host: string; port: number };
  tls?: { cert: Buffer; key: Buffer };
}

/** Everything the intake needs from files, checked before anything starts. */
async function intakeSettings(policy: IntakePolicy, listenFlag: string | undefined): Promise<IntakeSettings> {
  const { readFile, access } = await import('node:fs/promises');
  const { parseListen } = await import('../worker/intake-policy');
  if (policy.sources.length === 0)
    throw new ServeConfigError(
      'the operator policy lists no intake.sources: every request would be refused (docs/intake.md shows how to add one)',
    );
  const listen = listenFlag === undefined ? policy.listen : parseListen(listenFlag);
  if (!listen) throw new ServeConfigError(`--listen ${listenFlag}: expected HOST:PORT, such as 127.0.0.1:8080`);
  const read = (file: string, what: string) =>
    readFile(file).catch((error: unknown) => {
      throw new ServeConfigError(`cannot read the intake's ${what} ${file}: ${(error as Error).message}`);
    });
  for (const source of policy.sources) {
    if (source.signingKeyFile === undefined) continue;
    await access(source.signingKeyFile).catch(() => {
      throw new ServeConfigError(`intake.sources.${source.name}.signing_key_file: cannot read ${source.signingKeyFile}`);
    });
  }
  if (!policy.tls) return { policy, listen };
  return {
    policy,
    listen,
    tls: { cert: await read(policy.tls.certFile, 'TLS certificate'), key: await read(policy.tls.keyFile, 'TLS key') },
  };
}

/**
 * The process's metrics: the worker's (remediations, decisions, approvals, guardrails) when it runs one,
 * the intake's, and the Temporal runtime's when REMEDIATE_TEMPORAL_METRICS_ADDRESS is set; traces when
 * OTEL_EXPORTER_OTLP_*ENDPOINT is set.
 */
async function serveTelemetry(runbookIds: string[] | undefined) {
  const { createEngineMetrics } = await import('../telemetry/metrics');
  const { createWorkerMetrics } = await import('../telemetry/worker-metrics');
  const { installRuntimeMetrics, runtimeMetricsAddress } = await import('../telemetry/runtime');
  const { tracingFromEnvironment } = await import('../telemetry/tracing');
  const address = runtimeMetricsAddress();
  const runtimeMetricsUrl = address === null ? undefined : installRuntimeMetrics(address);
  if (runbookIds === undefined) return { metrics: createEngineMetrics({ runtimeMetricsUrl }), worker: undefined };
  const worker = createWorkerMetrics({ runbookIds, runtimeMetricsUrl });
  return { metrics: worker.metrics, worker: [tracingFromEnvironment()?.worker, worker] };
}

async function startServer(
  client: Client,
  taskQueue: string,
  coordinatorId: string,
  intake: IntakeSettings,
  extra: {
    metrics: EngineMetrics;
    alertmanagerRules: readonly AlertmanagerRule[];
    slack?: IntakeServiceOptions['slack'];
    approvalsPage?: IntakeServiceOptions['approvalsPage'];
    codec?: IntakeServiceOptions['codec'];
  },
) {
  const { startIntakeService } = await import('../intake/service');
  return await startIntakeService({
    client,
    taskQueue,
    coordinatorId,
    policy: intake.policy,
    alertmanagerRules: extra.alertmanagerRules,
    listen: intake.listen,
    ...(intake.tls ? { tls: intake.tls } : {}),
    metrics: extra.metrics,
    ...(extra.slack ? { slack: extra.slack } : {}),
    ...(extra.approvalsPage ? { approvalsPage: extra.approvalsPage } : {}),
    ...(extra.codec ? { codec: extra.codec } : {}),
    log,
  }).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ServeConfigError(
      `cannot listen on ${intake.listen.host}:${intake.listen.port}: ${code === 'EADDRINUSE' ? 'the address is in use' : (error as Error).message}`,
    );
  });
}

/** The Web UI's origin, the one the codec server's CORS allows. */
function webUiOrigin(webUiUrl: string | undefined): { webUiOrigin?: string } {
  return webUiUrl ? { webUiOrigin: new URL(webUiUrl).origin } : {};
}

function gatewayVouches(gateways: readonly ApprovalGateway[], principal: string): string[] {
  return gateways.find((g) => g.principal === principal)?.vouchesFor ?? [];
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
}

export function registerServe(program: Command): void {
  operatorOptions(
    program
      .command('serve')
      .description(
        'Run the HTTP intake (POST /v1/incidents, /v1/alertmanager; GET /healthz, /readyz, /metrics) and a remediation worker until SIGINT/SIGTERM.',
      )
      .option('--listen <host:port>', "where to listen (default: the policy's intake.listen, else 127.0.0.1:8080)")
      .option('--no-worker', 'run the intake only; remediations run on the workers of `remediate worker`')
      .addHelpText(
        'after',
        "\nSources, tokens (as sha256), rates, TLS and the body limit: the operator policy's intake section (docs/intake.md).\n" +
          'With REMEDIATE_ENCRYPTION_KEYS_FILE set, also the codec server POST /codec/encode, /codec/decode for sources with the codec route (docs/encryption.md).',
      ),
  ).action(async (options: ServeOptions) => runServe(options));
}
