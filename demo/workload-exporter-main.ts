/**
 * The workloads' exporter as a process of its own, as an exporter runs beside real workloads:
 * `node --import tsx demo/workload-exporter-main.ts [--kubeconfig FILE] --namespace NS`. It reads
 * the cluster (the kubeconfig given, else client-node's defaults) with the demo's workload model,
 * prints `listening HOST:PORT` once its /metrics endpoint is up, and exits on SIGTERM, SIGINT or
 * when its parent closes its stdin (so it never outlives the demo).
 */
import { parseArgs } from 'node:util';
import { connectKubernetes } from '../kubernetes/connection';
import { DEMO_WORKLOAD_MODEL } from './measure';
import { startWorkloadExporter } from './workload-metrics';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { kubeconfig: { type: 'string' }, namespace: { type: 'string', multiple: true } } });
  const namespaces = values.namespace ?? [];
  if (namespaces.length === 0) throw new Error('--namespace NS is required (once per namespace)');
  const k8s = connectKubernetes({ kubeconfig: values.kubeconfig ?? null, namespaces: null });
  const exporter = await startWorkloadExporter({
    k8s,
    namespaces,
    model: DEMO_WORKLOAD_MODEL,
    onError: (error) =>
      process.stderr.write(`workload exporter: cannot read the cluster: ${error instanceof Error ? error.message : String(error)}\n`),
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void exporter.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdin.once('end', stop).resume();
  process.stdout.write(`listening ${exporter.target}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`workload exporter: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
