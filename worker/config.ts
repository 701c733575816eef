/**
 * Connection settings for workers and clients, with the Temporal SDK's own conventions:
 * TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE and
 * the TOML config file (TEMPORAL_CONFIG_FILE), all read by @temporalio/envconfig.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';

export const DEFAULT_TASK_QUEUE = 'remediate';
export const DEFAULT_GUARDRAILS_WORKFLOW_ID = 'remediate-guardrails';
/** How long a remediation waits for the coordinator's answer before it gives up and does not act. */
export const DEFAULT_GUARDRAILS_REPLY_TIMEOUT_MS = 120_000;

export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  connectionOptions: ReturnType<typeof loadClientConnectConfig>['connectionOptions'];
}

export function temporalSettings(overrides: { address?: string } = {}): TemporalSettings {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const address = overrides.address ?? connectionOptions.address ?? 'localhost:7233';
  return {
    address,
    namespace: namespace ?? 'default',
    taskQueue: process.env.REMEDIATE_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    connectionOptions: { ...connectionOptions, address },
  };
}

export interface GuardrailSettings {
  workflowId: string;
  taskQueue: string;
  replyTimeoutMs: number;
}

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/**
 * Where the guardrail coordinator runs: REMEDIATE_GUARDRAILS_ID (one per namespace),
 * REMEDIATE_GUARDRAILS_TASK_QUEUE (default: the task queue plus `-guardrails`) and
 * REMEDIATE_GUARDRAILS_REPLY_TIMEOUT (seconds a remediation waits for an answer).
 */
export function guardrailSettings(taskQueue: string, env: NodeJS.ProcessEnv = process.env): GuardrailSettings {
  const raw = env.REMEDIATE_GUARDRAILS_REPLY_TIMEOUT;
  const seconds = raw === undefined ? undefined : Number(raw);
  if (seconds !== undefined && !(Number.isInteger(seconds) && seconds >= 1 && seconds <= 3600)) {
    throw new SettingsError(`REMEDIATE_GUARDRAILS_REPLY_TIMEOUT: expected whole seconds from 1 to 3600, found ${JSON.stringify(raw)}`);
  }
  return {
    workflowId: env.REMEDIATE_GUARDRAILS_ID ?? DEFAULT_GUARDRAILS_WORKFLOW_ID,
    taskQueue: env.REMEDIATE_GUARDRAILS_TASK_QUEUE ?? `${taskQueue}-guardrails`,
    replyTimeoutMs: seconds === undefined ? DEFAULT_GUARDRAILS_REPLY_TIMEOUT_MS : seconds * 1000,
  };
}
