/**
 * The Temporal SDK's own runtime metrics (pollers, task slots, schedule-to-start latencies, sticky
 * cache, ...). The Core SDK exports them itself in Prometheus format on an address of its own
 * (`telemetryOptions.metrics.prometheus.bindAddress`); renderMetrics (telemetry/metrics.ts) reads that
 * endpoint and appends its text, so one /metrics shows both. The runtime is installed once per
 * process, before the first connection: a process that wants these must call installRuntimeMetrics first.
 */
import { DefaultLogger, Runtime, type RuntimeOptions } from '@temporalio/worker';

/** `REMEDIATE_TEMPORAL_METRICS_ADDRESS`: host:port for the runtime's exporter (loopback, say 127.0.0.1:9464); unset: none. */
export function runtimeMetricsAddress(env: NodeJS.ProcessEnv = process.env): string | null {
  const address = env.REMEDIATE_TEMPORAL_METRICS_ADDRESS?.trim();
  if (!address) return null;
  if (!/^[^\s/]+:\d{1,5}$/.test(address))
    throw new Error(`REMEDIATE_TEMPORAL_METRICS_ADDRESS: expected host:port (such as 127.0.0.1:9464), got ${JSON.stringify(address)}`);
  return address;
}

/** The runtime options that turn the exporter on: counters end in _total and durations are in seconds, as Prometheus names them. */
export function runtimeMetricsOptions(bindAddress: string): Pick<RuntimeOptions, 'telemetryOptions'> {
  return {
    telemetryOptions: {
      metrics: { prometheus: { bindAddress, countersTotalSuffix: true, useSecondsForDurations: true, unitSuffix: true } },
    },
  };
}

/** The URL renderMetrics scrapes for an exporter bound to `bindAddress` (a wildcard host is read on loopback). */
export function runtimeMetricsUrl(bindAddress: string): string {
  const [host, port] = [bindAddress.slice(0, bindAddress.lastIndexOf(':')), bindAddress.slice(bindAddress.lastIndexOf(':') + 1)];
  const reachable = host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;
  return `http://${reachable}:${port}/metrics`;
}

/** Installs the runtime with the exporter on `bindAddress`; returns the URL to scrape. Fails if a runtime is already installed. */
export function installRuntimeMetrics(bindAddress: string, logger = new DefaultLogger('WARN')): string {
  Runtime.install({ logger, ...runtimeMetricsOptions(bindAddress) });
  return runtimeMetricsUrl(bindAddress);
}
