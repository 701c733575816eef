/** The telemetry pieces that need no server: the registry's text, bounded labels, the OTEL_ and runtime variables, and the test parser's strictness. */
import { describe, expect, it } from 'vitest';
import { boundedLabel, createEngineMetrics, intakeEvents, renderMetrics } from '../../telemetry/metrics';
import { runtimeMetricsAddress, runtimeMetricsOptions, runtimeMetricsUrl } from '../../telemetry/runtime';
import { otlpTracesEndpoint, tracingFromEnvironment } from '../../telemetry/tracing';
import { parsePrometheusText, sampleValue } from '../harness/prometheus-text';

describe('the engine registry', () => {
  it('is a registry of its own per call: two never share a count', async () => {
    const one = createEngineMetrics();
    const two = createEngineMetrics();
    intakeEvents(one).received('alertmanager', '/v1/alertmanager', 'accepted');
    const text = (await renderMetrics(two)).text;
    expect(
      sampleValue(parsePrometheusText(text), 'remediate_incidents_received_total', { source: 'alertmanager', result: 'accepted' }),
    ).toBe(0);
    expect(
      sampleValue(parsePrometheusText((await renderMetrics(one)).text), 'remediate_incidents_received_total', {
        source: 'alertmanager',
        result: 'accepted',
      }),
    ).toBe(1);
  });

  it('reads the pending approvals when scraped', async () => {
    let pending = 3;
    const metrics = createEngineMetrics({ pendingApprovals: () => pending });
    expect(sampleValue(parsePrometheusText((await renderMetrics(metrics)).text), 'remediate_pending_approvals')).toBe(3);
    pending = 0;
    expect(sampleValue(parsePrometheusText((await renderMetrics(metrics)).text), 'remediate_pending_approvals')).toBe(0);
  });

  it('keeps label values short identifiers', () => {
    expect(boundedLabel('alertmanager')).toBe('alertmanager');
    expect(boundedLabel('rate_limited')).toBe('rate_limited');
    for (const hostile of ['', 'a b', 'x"}', 'line\nbreak', 'x'.repeat(65)]) expect(boundedLabel(hostile)).toBe('other');
  });
});

describe('the environment', () => {
  it('traces only with an OTLP endpoint, the traces one as given, the base one under /v1/traces', () => {
    expect(otlpTracesEndpoint({})).toBeNull();
    expect(tracingFromEnvironment({})).toBeNull();
    expect(otlpTracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' })).toBe('http://127.0.0.1:4318/v1/traces');
    expect(
      otlpTracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom' }),
    ).toBe('http://b:4318/custom');
  });

  it("turns on the runtime's Prometheus exporter only for a host:port", () => {
    expect(runtimeMetricsAddress({})).toBeNull();
    expect(runtimeMetricsAddress({ REMEDIATE_TEMPORAL_METRICS_ADDRESS: '127.0.0.1:9464' })).toBe('127.0.0.1:9464');
    expect(() => runtimeMetricsAddress({ REMEDIATE_TEMPORAL_METRICS_ADDRESS: 'http://x/metrics' })).toThrow(/expected host:port/);
    expect(runtimeMetricsOptions('127.0.0.1:9464').telemetryOptions?.metrics).toMatchObject({
      prometheus: { bindAddress: '127.0.0.1:9464' },
    });
    expect(runtimeMetricsUrl('0.0.0.0:9464')).toBe('http://127.0.0.1:9464/metrics');
  });
});

describe("the test's Prometheus text parser is strict", () => {
  const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 2\n';
  it('reads well-formed text', () => {
    expect(sampleValue(parsePrometheusText(ok), 'a_total', { x: '1' })).toBe(2);
  });
  it.each([
    ['a sample of no declared family', 'b 1\n'],
    ['a bad value', '# TYPE a gauge\na one\n'],
    ['bad label syntax', '# TYPE a gauge\na{x=1} 1\n'],
    ['a repeated series', `${ok}a_total{x="1"} 3\n`],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['buckets that are not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
  ])('refuses %s', (_, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
