/**
 * Provisions the servers the tests and the demo use: the Temporal CLI (dev server), built from the
 * Go module proxy; the time-skipping test server, resolved from Maven Central; and the local Kubernetes
 * control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok), built from the
 * Go module proxy; Prometheus (live verification) and Alertmanager (alert intake), built from the Go module proxy. Pinned in toolchain/versions.ts; cached under ~/.cache/remediate (REMEDIATE_CACHE_DIR);
 * each binary can be replaced by an existing one (TEMPORAL_CLI_PATH, KUBE_APISERVER_PATH, ...: see README).
 */
import {
  BadOverrideError,
  CONTROL_PLANE_LABELS,
  MissingToolError,
  ProvisionError,
  describe,
  ensureControlPlane,
  ensureToolchain,
} from '../toolchain';

const log = (line: string) => console.log(`[provision] ${line}`);

try {
  const { temporalCli, testServer, prometheus, alertmanager } = await ensureToolchain(log);
  log(describe('Temporal CLI', temporalCli));
  log(describe('Temporal test server', testServer));
  log(describe('Prometheus', prometheus));
  log(describe('Alertmanager', alertmanager));
  const controlPlane = await ensureControlPlane(log);
  for (const [component, binary] of Object.entries(controlPlane))
    log(describe(CONTROL_PLANE_LABELS[component as keyof typeof controlPlane], binary));
} catch (error) {
  if (error instanceof MissingToolError || error instanceof ProvisionError || error instanceof BadOverrideError) {
    console.error(`[provision] ${error.message}`);
    process.exit(1);
  }
  throw error;
}
