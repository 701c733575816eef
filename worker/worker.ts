/**
 * The worker process of `remediate worker`, `dev` and `demo`: the remediation and coordinator
 * workers (worker/build-worker.ts) against the configured cluster. Shuts down gracefully on SIGINT/SIGTERM
 * (the SDK's default shutdown signals): running activities get their grace period, and workflows
 * simply continue on the next worker.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadActivitiesConfig, type ActivitiesConfig } from '../activities/config';
import { SlackAppSink } from '../activities/notify/slack-app-sink';
import { startWorkers, type BuildWorkerOptions, type RunningWorkers } from './build-worker';
import { guardrailSettings, temporalSettings, type TemporalSettings } from './config';
import { loadOperatorConfig, remediationPolicy, type OperatorConfig } from './operator-config';
import { operatorPolicyFile } from './operator-policy';
import { assertSearchAttributes } from './search-attributes-check';
import { dataConverterFromEnvironment, dataConverterOption } from '../codec/data-converter';

export interface StartWorkerOptions {
  settings?: TemporalSettings;
  /** The activities' configuration; default: read from the environment. */
  activities?: ActivitiesConfig;
  /** Start an empty coordinator when the last one's state cannot be recovered (`guardrails init --fresh`). */
  fresh?: boolean;
  /** Runbook file or folder (default ./runbooks), compiled at start. */
  runbooks?: string;
  /** The operator policy file (default REMEDIATE_POLICY_FILE; none: the built-in defaults). */
  policyFile?: string;
  /** Already loaded (the demo writes and loads its own). */
  config?: OperatorConfig;
  /** The Web UI the embedded server runs, for links, unless the policy names one. */
  webUiUrl?: string;
  /** Metrics and traces of the remediation worker (telemetry/); default: traces when OTEL_EXPORTER_OTLP_*ENDPOINT is set. */
  telemetry?: BuildWorkerOptions['telemetry'];
  /** Default: encryption as REMEDIATE_ENCRYPTION_KEYS_FILE configures it (codec/data-converter.ts). */
  dataConverter?: BuildWorkerOptions['dataConverter'];
}

export async function startRemediationWorkers(
  options: StartWorkerOptions = {},
): Promise<{ workers: RunningWorkers; close: () => Promise<void> }> {
  const settings = options.settings ?? temporalSettings();
  const guardrails = guardrailSettings(settings.taskQueue);
  // The operator's catalogue and policy first: an invalid one stops the worker before it connects.
  const config =
    options.config ??
    (await loadOperatorConfig({ runbooks: options.runbooks, policyFile: options.policyFile ?? operatorPolicyFile(process.env) }));
  // The key file is checked before connecting too.
  const dataConverter = options.dataConverter ?? dataConverterFromEnvironment();
  const activities = workerActivitiesConfig(config, options.activities ?? loadActivitiesConfig());
  const slack = config.policy.slack;
  if (slack) {
    const risks = new Map(config.catalogue.runbooks.map((runbook) => [runbook.id, runbook.risk]));
    activities.slack = new SlackAppSink(slack, (id) => risks.get(id));
  }
  const connection = await NativeConnection.connect(settings.connectionOptions);
  // The coordinator bootstrap and the first protocol's guardrail activities use a client of their own.
  const clientConnection = await Connection.connect(settings.connectionOptions).catch(async (error: unknown) => {
    await connection.close();
    throw error;
  });
  const close = async () => {
    await clientConnection.close();
    await connection.close();
  };
  try {
    const client = new Client({ connection: clientConnection, namespace: settings.namespace, ...dataConverterOption(dataConverter) });
    await assertSearchAttributes(client, settings.namespace);
    const workers = await startWorkers(
      {
        connection,
        client,
        namespace: settings.namespace,
        taskQueue: settings.taskQueue,
        catalogue: config.catalogue,
        policy: { ...(options.webUiUrl ? { webUiUrl: options.webUiUrl } : {}), ...remediationPolicy(config.policy, settings.namespace) },
        guardrails: config.policy.guardrails,
        // The operator's REMEDIATE_GUARDRAILS_* settings; the workflow code is bundled from source.
        coordinator: guardrails,
        activities,
        ...(options.telemetry ? { telemetry: options.telemetry } : {}),
        ...dataConverterOption(dataConverter),
      },
      { fresh: options.fresh },
    );
    return { workers, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** One line for the log: what the coordinator bootstrap found and did. */
export function describeCoordinatorStart(workers: RunningWorkers, workflowId: string): string {
  const start = workers.coordinatorStart;
  switch (start.kind) {
    case 'running':
      return `guardrail coordinator ${workflowId} is running (run ${start.runId})`;
    case 'started':
      return `guardrail coordinator ${workflowId} started (run ${start.runId})`;
    case 'recovered':
      return `guardrail coordinator ${workflowId} was ${start.from.status.toLowerCase()}: started again from its last recorded state (run ${start.runId})`;
    case 'started_fresh':
      return `guardrail coordinator ${workflowId} started empty (run ${start.runId})${start.discarded ? `; the state of run ${start.discarded.runId} was discarded` : ''}`;
  }
}

/**
 * The activities' configuration a worker runs with (the approvals page runs pre-checks with it too):
 * the operator policy's Prometheus servers (the REMEDIATE_PROMETHEUS_URL shortcut included); a
 * caller's own (the demo's Prometheus) only where the policy has none.
 */
export function workerActivitiesConfig(config: Pick<OperatorConfig, 'policy'>, given: ActivitiesConfig): ActivitiesConfig {
  return {
    ...given,
    prometheus: config.policy.prometheus.servers.size > 0 ? config.policy.prometheus : given.prometheus,
    secrets: config.policy.secrets,
  };
}
