/**
 * Operator configuration of the activities, read from the environment.
 *
 * The worker should call `loadActivitiesConfig()` once at start-up so a typo
 * fails the deployment instead of the first 3 AM notification.
 */

import type { KubernetesConfig } from '../kubernetes/connection';
import type { Sink } from './notify/types';
import { EXIT, UserFacingError } from '../dsl/user-facing-error';
import type { SecretSources } from './secrets/sources';
import { NO_PROMETHEUS_SERVERS, parsePrometheusBaseUrl, singlePrometheus, type PrometheusServers } from './prometheus-servers';

/** Default bound on each of stdout, stderr and an HTTP response body. */
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;

/**
 * Executor results are stored in workflow history, and Temporal refuses payloads
 * over 2 MB; stdout + stderr at this bound stay well below it.
 */
export const MAX_OUTPUT_BYTES_LIMIT = 512 * 1024;

export const DEFAULT_NOTIFY_TIMEOUT_MS = 5_000;

export interface ActivitiesConfig {
  /** `REMEDIATE_WEBHOOK_URLS`: comma-separated http(s) URLs; each receives every notification. */
  webhookUrls: string[];
  /** `REMEDIATE_NOTIFY_LOG`: file that receives one JSON line per notification; null (unset or `-`) means stdout. */
  notifyLogPath: string | null;
  /** `REMEDIATE_NOTIFY_TIMEOUT_MS`: how long one sink may take before it counts as failed. */
  notifyTimeoutMs: number;
  /** `REMEDIATE_MAX_OUTPUT_BYTES`: bound on captured executor output. */
  maxOutputBytes: number;
  /** The cluster kubernetes steps act on; the kubeconfig comes from client-node's defaults ($KUBECONFIG, ~/.kube/config, in-cluster). */
  kubernetes: KubernetesConfig;
  /**
   * The Prometheus servers prometheus probes may query, by name. From the environment: the
   * REMEDIATE_PROMETHEUS_URL shortcut (one server, `default`); the worker replaces it with its
   * operator policy's (worker/prometheus-policy.ts). None: such probes fail.
   */
  prometheus: PrometheusServers;
  /** The operator policy's `secrets:` (worker/secrets-policy.ts): where each secret's value is read, at the moment a step needs it. */
  secrets?: SecretSources;
  /** The Slack app's sink (activities/notify/slack-app-sink.ts), made once per worker from the policy's `slack`, so it remembers what to update. */
  slack?: Sink;
}

/** A configuration variable holds a value the activities cannot use. */
export class ConfigError extends UserFacingError {
  override readonly name = 'ConfigError';
  readonly exitCode = EXIT.USAGE;
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

export function loadActivitiesConfig(env: NodeJS.ProcessEnv = process.env): ActivitiesConfig {
  return {
    webhookUrls: parseWebhookUrls(env.REMEDIATE_WEBHOOK_URLS),
    notifyLogPath: parseLogPath(env.REMEDIATE_NOTIFY_LOG),
    notifyTimeoutMs: parsePositiveInt('REMEDIATE_NOTIFY_TIMEOUT_MS', env.REMEDIATE_NOTIFY_TIMEOUT_MS, DEFAULT_NOTIFY_TIMEOUT_MS, 60_000),
    maxOutputBytes: parsePositiveInt(
      'REMEDIATE_MAX_OUTPUT_BYTES',
      env.REMEDIATE_MAX_OUTPUT_BYTES,
      DEFAULT_MAX_OUTPUT_BYTES,
      MAX_OUTPUT_BYTES_LIMIT,
    ),
    kubernetes: { kubeconfig: null, namespaces: parseNamespaces(env.REMEDIATE_K8S_NAMESPACES) },
    prometheus: prometheusShortcut(env),
  };
}

function parseWebhookUrls(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((entry, i) => {
    const text = entry.trim();
    // Webhook URLs embed secrets (Slack's do): never echo one in an error.
    const bad = new ConfigError('REMEDIATE_WEBHOOK_URLS', `entry ${i + 1} is not an http(s) URL`);
    if (!URL.canParse(text)) throw bad;
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad;
    return url.href;
  });
}

export const PROMETHEUS_URL_VARIABLE = 'REMEDIATE_PROMETHEUS_URL';

/** `REMEDIATE_PROMETHEUS_URL`: the shortcut for a policy with one server, `default`, without credentials. */
export function prometheusShortcut(env: NodeJS.ProcessEnv): PrometheusServers {
  const text = env[PROMETHEUS_URL_VARIABLE]?.trim() ?? '';
  if (text === '') return NO_PROMETHEUS_SERVERS;
  const parsed = parsePrometheusBaseUrl(text);
  if (!parsed.ok) throw new ConfigError(PROMETHEUS_URL_VARIABLE, parsed.message);
  return singlePrometheus(parsed.url);
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `REMEDIATE_K8S_NAMESPACES`: comma-separated namespace names; unset or empty means no operator limit. */
function parseNamespaces(raw: string | undefined): string[] | null {
  if (raw === undefined || raw.trim() === '') return null;
  return raw.split(',').map((entry) => {
    const name = entry.trim();
    if (!NAMESPACE.test(name) || name.length > 63)
      throw new ConfigError('REMEDIATE_K8S_NAMESPACES', `${JSON.stringify(name)} is not a namespace name`);
    return name;
  });
}

function parseLogPath(raw: string | undefined): string | null {
  const text = raw?.trim() ?? '';
  return text === '' || text === '-' ? null : text;
}

function parsePositiveInt(variable: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(variable, `expected a positive integer, got ${JSON.stringify(raw)}`);
  const value = Number(raw.trim());
  if (value < 1 || value > max) throw new ConfigError(variable, `must be between 1 and ${max}, got ${value}`);
  return value;
}
