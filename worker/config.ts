/**
 * The worker's settings: where it connects (client/settings.ts, re-exported here for the CLI) and
 * where the guardrail coordinator runs.
 */
import { EXIT, UserFacingError } from '../dsl/user-facing-error';
export { DEFAULT_TASK_QUEUE, temporalSettings, type TemporalSettings } from '../client/settings';

export const DEFAULT_GUARDRAILS_WORKFLOW_ID = 'remediate-guardrails';
/** How long a remediation waits for the coordinator's answer before it gives up and does not act. */
export const DEFAULT_GUARDRAILS_REPLY_TIMEOUT_MS = 120_000;
/** How long a human-approved remediation waits in line for blast-radius capacity. */
export const DEFAULT_GUARDRAILS_QUEUE_TIMEOUT_MS = 30 * 60_000;

export interface GuardrailSettings {
  workflowId: string;
  taskQueue: string;
  replyTimeoutMs: number;
  queueTimeoutMs: number;
}

export class SettingsError extends UserFacingError {
  override readonly name = 'SettingsError';
  readonly exitCode = EXIT.USAGE;
}

/**
 * Where the guardrail coordinator runs: REMEDIATE_GUARDRAILS_ID (one per namespace),
 * REMEDIATE_GUARDRAILS_TASK_QUEUE (default: the task queue plus `-guardrails`),
 * REMEDIATE_GUARDRAILS_REPLY_TIMEOUT (seconds a remediation waits for an answer) and
 * REMEDIATE_GUARDRAILS_QUEUE_TIMEOUT (seconds an approved one waits in line for a slot).
 */
export function guardrailSettings(taskQueue: string, env: NodeJS.ProcessEnv = process.env): GuardrailSettings {
  return {
    workflowId: env.REMEDIATE_GUARDRAILS_ID ?? DEFAULT_GUARDRAILS_WORKFLOW_ID,
    taskQueue: env.REMEDIATE_GUARDRAILS_TASK_QUEUE ?? `${taskQueue}-guardrails`,
    replyTimeoutMs: seconds(env, 'REMEDIATE_GUARDRAILS_REPLY_TIMEOUT', 3600) ?? DEFAULT_GUARDRAILS_REPLY_TIMEOUT_MS,
    queueTimeoutMs: seconds(env, 'REMEDIATE_GUARDRAILS_QUEUE_TIMEOUT', 24 * 3600) ?? DEFAULT_GUARDRAILS_QUEUE_TIMEOUT_MS,
  };
}

function seconds(env: NodeJS.ProcessEnv, name: string, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!(Number.isInteger(value) && value >= 1 && value <= max))
    throw new SettingsError(`${name}: expected whole seconds from 1 to ${max}, found ${JSON.stringify(raw)}`);
  return value * 1000;
}
