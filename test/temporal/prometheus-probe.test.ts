/**
 * The prometheus executor on the provisioned Prometheus, scraping an exporter the test controls
 * every second: what a prometheus probe reads is what the exporter serves at that moment.
 */
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { runExecutor } from '../../activities/executors';
import { singlePrometheus } from '../../activities/prometheus-servers';
import type { ExecutorResult } from '../../dsl/types';
import { startPrometheus, type PrometheusServer } from '../../toolchain/prometheus-server';
import { startMetricsExporter, type MetricsExporter } from '../../toolchain/metrics-exporter';

let exporter: MetricsExporter;
let prometheus: PrometheusServer;

beforeAll(async () => {
  exporter = await startMetricsExporter();
  exporter.set('remediate_probe_error_rate', 0.3, { service: 'checkout' });
  prometheus = await startPrometheus({ binary: inject('prometheusPath'), targets: [exporter.target], scrapeIntervalSeconds: 1 });
});
afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
});

type PrometheusResult = Extract<ExecutorResult, { executor: 'prometheus' }>;

async function probe(query: string, options: { allowEmpty?: boolean; url?: string } = {}): Promise<PrometheusResult> {
  const result = await runExecutor(
    { executor: 'prometheus', query, allowEmpty: options.allowEmpty ?? false },
    {
      timeoutMs: 5_000,
      prometheus: 'url' in options && options.url === undefined ? undefined : singlePrometheus(options.url ?? prometheus.url),
    },
  );
  if (result.executor !== 'prometheus') throw new Error('expected a prometheus result');
  return result;
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const SERIES = 'remediate_probe_error_rate{service="checkout"}';

describe('a prometheus probe on a real Prometheus', () => {
  it("returns the exporter's current value, and follows a change", async () => {
    await eventually(async () => (await probe(SERIES)).value === '0.3');
    const first = await probe(SERIES);
    expect(first).toMatchObject({ ok: true, query: SERIES, resultType: 'vector', value: '0.3', message: '' });
    expect(first.samples).toEqual([
      {
        labels: { __name__: 'remediate_probe_error_rate', service: 'checkout', instance: exporter.target, job: 'remediate-test' },
        value: '0.3',
      },
    ]);

    exporter.set('remediate_probe_error_rate', 0.01, { service: 'checkout' });
    await eventually(async () => (await probe(SERIES)).value === '0.01');
  });

  it('passes its own timeout to Prometheus, fractional seconds too', async () => {
    const result = await runExecutor(
      { executor: 'prometheus', query: 'scalar(vector(1))', timeoutMs: 500, allowEmpty: false },
      { timeoutMs: 5_000, prometheus: singlePrometheus(prometheus.url) },
    );
    expect(result).toMatchObject({ ok: true, value: '1' });
  });

  it('answers a scalar as the value, with no samples', async () => {
    expect(await probe('scalar(vector(2))')).toMatchObject({ ok: true, resultType: 'scalar', samples: [], value: '2' });
  });

  it('fails on "no samples" unless the probe allows an empty answer', async () => {
    const empty = await probe('remediate_probe_error_rate{service="nobody"}');
    expect(empty).toMatchObject({ ok: false, resultType: 'none', samples: [] });
    expect(empty.message).toContain('no samples');
    expect(await probe('remediate_probe_error_rate{service="nobody"}', { allowEmpty: true })).toMatchObject({
      ok: true,
      resultType: 'vector',
      samples: [],
    });
    expect((await probe('remediate_probe_error_rate{service="nobody"}', { allowEmpty: true })).value).toBeUndefined();
  });

  it("fails with Prometheus's own message on bad PromQL", async () => {
    const bad = await probe('rate(remediate_probe_error_rate{service="checkout"}');
    expect(bad.ok).toBe(false);
    expect(bad.message).toMatch(/^Prometheus refused the query \(HTTP 400\): bad_data: .*parse error/);
  });

  it('refuses a range vector, which is no instant answer', async () => {
    const range = await probe(`${SERIES}[1m]`);
    expect(range).toMatchObject({ ok: false });
    expect(range.message).toContain('returned a matrix');
  });

  it('fails closed, naming where servers are configured, when the worker has no Prometheus', async () => {
    const none = await probe(SERIES, { url: undefined });
    expect(none).toMatchObject({
      ok: false,
      message:
        'no Prometheus is configured for this worker: name one in the operator policy (prometheus.servers) or set REMEDIATE_PROMETHEUS_URL',
    });
  });

  it('bounds the answer it reads', async () => {
    const result = await runExecutor(
      { executor: 'prometheus', query: SERIES, allowEmpty: false },
      { timeoutMs: 5_000, prometheus: singlePrometheus(prometheus.url), maxOutputBytes: 16 },
    );
    expect(result).toMatchObject({ ok: false, message: expect.stringContaining('larger than 16 bytes') });
  });
});
