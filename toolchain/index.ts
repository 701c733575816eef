import { ensureAlertmanager } from './alertmanager';
import type { ResolvedBinary } from './cache';
import { ensurePrometheus } from './prometheus';
import { ensureTemporalCli } from './temporal-cli';
import { ensureTestServer } from './test-server';

export { findTemporalCli, ensureTemporalCli, TEMPORAL_CLI_OVERRIDE } from './temporal-cli';
export { findTestServer, ensureTestServer, TEST_SERVER_OVERRIDE } from './test-server';
export { findPrometheus, ensurePrometheus, PROMETHEUS_OVERRIDE } from './prometheus';
export { findAlertmanager, ensureAlertmanager, ALERTMANAGER_OVERRIDE } from './alertmanager';
export { ensureControlPlane, CONTROL_PLANE_OVERRIDES, CONTROL_PLANE_LABELS, type ControlPlaneBinaries } from './kubernetes-binaries';
export { startLocalCluster, ClusterStartError, type LocalCluster } from './kubernetes-cluster';
export { kubernetesTarget, type KubernetesTarget } from './kubernetes-target';
export type { ResolvedBinary } from './cache';
export { MissingToolError, ProvisionError, BadOverrideError } from './errors';

export interface Toolchain {
  temporalCli: ResolvedBinary;
  testServer: ResolvedBinary;
  prometheus: ResolvedBinary;
  alertmanager: ResolvedBinary;
}

export function describe(name: string, binary: ResolvedBinary): string {
  const how = { override: 'from override', cache: 'cached', path: 'found on PATH', built: 'just built' }[binary.source];
  return `${name} ${binary.version} (${how}): ${binary.path}`;
}

/** The Temporal servers, Prometheus and Alertmanager, built if needed. Idempotent: a second call costs a few stat()s. */
export async function ensureToolchain(log: (line: string) => void): Promise<Toolchain> {
  const temporalCli = await ensureTemporalCli(log);
  const testServer = await ensureTestServer(log);
  const prometheus = await ensurePrometheus(log);
  const alertmanager = await ensureAlertmanager(log);
  return { temporalCli, testServer, prometheus, alertmanager };
}
