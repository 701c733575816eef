/** The workloads' exporter's derivation: from a deployment and its pods, the series Prometheus scrapes. */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { KubernetesConnection } from '../../kubernetes/connection';
import { exposition, sampleDeployment, startWorkloadExporter, type WorkloadModel } from '../../demo/workload-metrics';

const model: WorkloadModel = {
  errorRatio: (_deployment, image) => (image === 'app:2' ? 0.3 : 0.002),
  cpuDemand: (deployment) => (deployment === 'worker' ? 3 : undefined),
};

const deployment = (name: string): V1Deployment => ({
  metadata: { name },
  spec: { selector: { matchLabels: { app: name } }, template: {} },
});

function pod(app: string, image: string, state: { ready?: boolean; deleting?: boolean } = {}): V1Pod {
  return {
    metadata: { labels: { app }, ...(state.deleting ? { deletionTimestamp: new Date() } : {}) },
    spec: { containers: [{ name: 'app', image }] },
    status: { conditions: [{ type: 'Ready', status: state.ready === false ? 'False' : 'True' }] },
  };
}

describe('sampleDeployment', () => {
  it("averages the Ready pods' releases: high while the bad release serves, low once the old one is back", () => {
    const bad = [pod('checkout', 'app:2'), pod('checkout', 'app:2')];
    expect(sampleDeployment(model, 'ns', deployment('checkout'), bad).errorRatio).toBe(0.3);
    const midway = [pod('checkout', 'app:2'), pod('checkout', 'app:1'), pod('checkout', 'app:1', { ready: false })];
    expect(sampleDeployment(model, 'ns', deployment('checkout'), midway).errorRatio).toBe(0.151);
    const back = [pod('checkout', 'app:2', { deleting: true }), pod('checkout', 'app:1'), pod('checkout', 'app:1')];
    expect(sampleDeployment(model, 'ns', deployment('checkout'), back)).toMatchObject({ errorRatio: 0.002, readyReplicas: 2 });
  });

  it('spreads CPU demand over the Ready replicas, and counts only pods the deployment selects', () => {
    const pods = [pod('worker', 'w:1'), pod('worker', 'w:1'), pod('worker', 'w:1'), pod('other', 'w:1')];
    expect(sampleDeployment(model, 'ns', deployment('worker'), pods)).toMatchObject({ readyReplicas: 3, cpuUtilisation: 1 });
    const scaled = [...pods, pod('worker', 'w:1'), pod('worker', 'w:1')];
    expect(sampleDeployment(model, 'ns', deployment('worker'), scaled).cpuUtilisation).toBe(0.6);
  });

  it('serves no ratio for a deployment with no Ready pod', () => {
    expect(sampleDeployment(model, 'ns', deployment('worker'), [pod('worker', 'w:1', { ready: false })])).toEqual({
      namespace: 'ns',
      deployment: 'worker',
      readyReplicas: 0,
    });
  });
});

describe('exposition', () => {
  it('is the Prometheus text format, with namespace and deployment labels escaped', () => {
    const text = exposition([
      { namespace: 'ns', deployment: 'worker', readyReplicas: 3, errorRatio: 0.002, cpuUtilisation: 1 },
      { namespace: 'ns', deployment: 'a"b', readyReplicas: 1, errorRatio: 0.1 },
      { namespace: 'ns', deployment: 'idle', readyReplicas: 0 },
    ]);
    expect(text).toContain('# TYPE namespace_deployment:http_errors:ratio_rate1m gauge\n');
    expect(text).toContain('namespace_deployment:http_errors:ratio_rate1m{namespace="ns",deployment="worker"} 0.002\n');
    expect(text).toContain('namespace_deployment:cpu_utilisation:ratio{namespace="ns",deployment="worker"} 1\n');
    expect(text).toContain('namespace_deployment:http_errors:ratio_rate1m{namespace="ns",deployment="a\\"b"} 0.1\n');
    expect(text).not.toContain('idle');
  });
});

describe('startWorkloadExporter', () => {
  it('serves /metrics from what the API reports at the last reading, and fails the scrape while the cluster cannot be read', async () => {
    const cluster = { pods: [pod('checkout', 'app:2'), pod('checkout', 'app:2')], down: false };
    const list = <T>(items: T[]) => (cluster.down ? Promise.reject(new Error('connection refused')) : Promise.resolve({ items }));
    // Only the two list calls the exporter makes, answering from `cluster`.
    const k8s = {
      apps: { listNamespacedDeployment: () => list([deployment('checkout')]) },
      core: { listNamespacedPod: () => list(cluster.pods) },
    } as unknown as KubernetesConnection;
    const exporter = await startWorkloadExporter({ k8s, namespaces: ['ns'], model, refreshMs: 20 });
    const scrape = async () => {
      const response = await fetch(`http://${exporter.target}/metrics`);
      return { status: response.status, text: await response.text() };
    };
    const series = 'namespace_deployment:http_errors:ratio_rate1m{namespace="ns",deployment="checkout"}';
    try {
      expect((await scrape()).text).toContain(`${series} 0.3\n`);
      cluster.pods = [pod('checkout', 'app:1'), pod('checkout', 'app:1')];
      await exporter.refreshed();
      expect((await scrape()).text).toContain(`${series} 0.002\n`);
      cluster.down = true;
      await exporter.refreshed();
      expect(await scrape()).toEqual({ status: 503, text: 'cannot read the cluster: connection refused\n' });
      expect(exporter.current()).toEqual([]);
      expect((await fetch(`http://${exporter.target}/other`)).status).toBe(404);
    } finally {
      await exporter.close();
    }
  });
});
