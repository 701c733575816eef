/**
 * Verification that reads the live system: a remediation on the dev server (real time, so a
 * post-check polls as in production) whose pre- and post-checks query a real Prometheus scraping an
 * exporter the test controls. The outcome follows what the exporter reports at that moment.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { singlePrometheus } from '../../activities/prometheus-servers';
import { submitIncident } from '../../client/submit';
import { buildTimeline } from '../../client/timeline';
import type { RemediationResult } from '../../contracts/types';
import { compileCatalogue } from '../../dsl/compile';
import type { CompiledCatalogue } from '../../dsl/types';
import { startPrometheus, type PrometheusServer } from '../../toolchain/prometheus-server';
import { incident, startWorker } from '../harness/engine';
import { startMetricsExporter, type MetricsExporter } from '../harness/metrics-exporter';
import { connectDevServer } from '../harness/temporal';

const RUNBOOKS = `
runbooks:
  rollback-checkout:
    risk: LOW
    root_causes: [error_rate_spike_after_deploy]
    min_confidence: 0.5
    context: { deployment: string }
    pre_checks:
      - id: error_rate_is_high
        probe: { prometheus: { query: 'remediate_verify_error_rate{deployment="{deployment}"}' } }
        condition: result.value > 0.1
    actions: [{ id: undo, exec: { argv: ['true'] } }]
    post_checks:
      - id: error_rate_recovered
        probe: { prometheus: { query: 'max(remediate_verify_error_rate{deployment="{deployment}"})', timeout: 2s } }
        condition: result.value < 0.05
        deadline: 12s
        interval: 1s
    rollback: null
`;

let env: TestWorkflowEnvironment;
let exporter: MetricsExporter;
let prometheus: PrometheusServer;
let worker: Awaited<ReturnType<typeof startWorker>>;
let seq = 0;

beforeAll(async () => {
  exporter = await startMetricsExporter();
  prometheus = await startPrometheus({ binary: inject('prometheusPath'), targets: [exporter.target], scrapeIntervalSeconds: 1 });
  env = await connectDevServer();
  const compiled = compileCatalogue([{ file: 'verify.yaml', text: RUNBOOKS }]);
  if (!compiled.ok) throw new Error(compiled.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join('\n'));
  const catalogue: CompiledCatalogue = compiled.catalogue;
  worker = await startWorker(env, { catalogue, config: { prometheus: singlePrometheus(prometheus.url) } });
});
afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
  await prometheus?.stop();
  await exporter?.close();
});

/** A deployment of its own per test, so each has its own series. */
function deploymentWithErrorRate(rate: number): string {
  seq += 1;
  const deployment = `checkout-${seq}-${Date.now()}`;
  exporter.set('remediate_verify_error_rate', rate, { deployment });
  return deployment;
}

async function untilPrometheusReads(deployment: string, value: string): Promise<void> {
  const query = new URLSearchParams({ query: `remediate_verify_error_rate{deployment="${deployment}"}` });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = (await (await fetch(`${prometheus.url}/api/v1/query?${query}`)).json()) as {
      data: { result: { value: [number, string] }[] };
    };
    if (answer.data.result[0]?.value[1] === value) return;
    if (Date.now() > deadline) throw new Error(`Prometheus never read ${value} for ${deployment}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function remediate(deployment: string) {
  const { handle } = await submitIncident(env.client, {
    incident: incident({
      id: `INC-PROM-${seq}-${Date.now()}`,
      root_cause: 'error_rate_spike_after_deploy',
      confidence: 0.9,
      service: deployment,
      context: { deployment },
    }),
    taskQueue: worker.taskQueue,
  });
  return handle;
}

const postPolls = (result: RemediationResult) =>
  result.events.filter((event) => event.step === 'error_rate_recovered' && /post-check .* \(poll \d+\)/.test(event.message));

describe('a post-check with a prometheus probe', () => {
  it('passes only once the metric has recovered', async () => {
    const deployment = deploymentWithErrorRate(0.3);
    await untilPrometheusReads(deployment, '0.3');
    const handle = await remediate(deployment);
    // Let the post-check poll the bad value a few times before the fix "lands".
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    exporter.set('remediate_verify_error_rate', 0.01, { deployment });
    const result = await handle.result();

    expect(result.outcome).toBe('remediated');
    const polls = postPolls(result);
    expect(polls.at(-1)).toMatchObject({ type: 'STEP_SUCCEEDED', data: { result: { value: '0.01' } } });
    const failed = polls.filter((event) => event.type === 'STEP_FAILED');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]).toMatchObject({ data: { result: { value: '0.3' } } });
    expect(failed[0]!.data?.probe).toBe(`PromQL max(remediate_verify_error_rate{deployment="${deployment}"})`);
    const pre = result.events.find((event) => event.step === 'error_rate_is_high' && event.type === 'STEP_SUCCEEDED');
    expect(pre?.data).toMatchObject({ result: { value: '0.3' } });

    // The audit timeline decodes the recorded checks and shows the query each read.
    const checks = buildTimeline(await handle.fetchHistory())
      .entries.filter((entry) => entry.kind === 'check')
      .map((entry) => entry.summary);
    const query = `PromQL max(remediate_verify_error_rate{deployment="${deployment}"})`;
    expect(checks[0]).toBe(`pre-check error_rate_is_high: PromQL remediate_verify_error_rate{deployment="${deployment}"}: holds`);
    expect(checks[1]).toBe(`post-check error_rate_recovered: ${query}: does not hold (result.value < 0.05)`);
    expect(checks.at(-1)).toBe(`post-check error_rate_recovered: ${query}: holds (poll ${checks.length - 1})`);
  });

  it('fails when the metric stays bad', async () => {
    const deployment = deploymentWithErrorRate(0.3);
    await untilPrometheusReads(deployment, '0.3');
    const result = await (await remediate(deployment)).result();

    expect(result.outcome).not.toBe('remediated');
    const polls = postPolls(result);
    expect(polls.length).toBeGreaterThan(1);
    expect(polls.every((event) => event.type === 'STEP_FAILED')).toBe(true);
    expect(polls.at(-1)).toMatchObject({ data: { result: { value: '0.3' } } });
  });

  it('fails on "no samples" when the series is gone', async () => {
    const deployment = deploymentWithErrorRate(0.3);
    await untilPrometheusReads(deployment, '0.3');
    const handle = await remediate(deployment);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    exporter.remove('remediate_verify_error_rate', { deployment });
    const result = await handle.result();

    expect(result.outcome).not.toBe('remediated');
    expect(postPolls(result).at(-1)?.message).toContain('no samples');
  });
});
