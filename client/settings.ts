/**
 * Connection settings for clients and workers, with the Temporal SDK's own conventions:
 * TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE and
 * the TOML config file (TEMPORAL_CONFIG_FILE), all read by @temporalio/envconfig.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';

export const DEFAULT_TASK_QUEUE = 'remediate';

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
