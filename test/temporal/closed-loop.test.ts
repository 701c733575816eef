/**
 * The closed loop, end to end, on real servers: a metric goes bad on an exporter the test controls; the
 * real Prometheus evaluates an alert rule over it and the alert fires; the real Alertmanager posts it to
 * the intake (`remediate serve`'s server, with its bearer token); the mapping rule makes it an incident;
 * the remediation runs on the dev server (real time) and its action fixes the workload (a real HTTP
 * call that brings the metric back); live verification reads the recovery from Prometheus; the alert
 * resolves and Alertmanager says so. The time from the metric going bad to the verified fix is printed.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { singlePrometheus } from '../../activities/prometheus-servers';
import type { RemediationResult } from '../../contracts/types';
import { compileCatalogue } from '../../dsl/compile';
import { alertmanagerRoute, type AlertResult } from '../../intake/alertmanager-route';
import { startIntakeServer, type IntakeServer } from '../../intake/server';
import { submitFromSource } from '../../intake/submit-incident';
import type { IntakeResponse } from '../../intake/types';
import { startAlertmanager, type AlertmanagerServer } from '../../toolchain/alertmanager-server';
import { startPrometheus, type PrometheusServer } from '../../toolchain/prometheus-server';
import { parseOperatorPolicy } from '../../worker/operator-policy';
import { startWorker } from '../harness/engine';
import { startMetricsExporter, type MetricsExporter } from '../harness/metrics-exporter';
import { connectDevServer } from '../harness/temporal';

const TOKEN = randomUUID();
const METRIC = 'remediate_loop_error_ratio';
const run = Date.now().toString(36);
const LABELS = { service: `loop-${run}`, deployment: `loop-${run}` };

const POLICY = `
intake:
  sources:
    alertmanager: { token_sha256: ${createHash('sha256').update(TOKEN).digest('hex')}, routes: [alertmanager] }
alertmanager:
  rules:
    - name: loop-errors
      match: { alertname: LoopErrorRatioHigh }
      root_cause: loop_error_ratio_high
      service: { label: service }
      confidence: { default: 0.95 }
      context:
        deployment: { label: deployment, type: dns_subdomain }
`;

const runbooks = (fixUrl: string) => `
runbooks:
  fix-loop:
    risk: LOW
    root_causes: [loop_error_ratio_high]
    min_confidence: 0.9
    cooldown_minutes: 0
    max_per_hour: 100
    context: { deployment: dns_subdomain }
    pre_checks:
      - id: error_ratio_is_high
        probe: { prometheus: { query: 'max(${METRIC}{deployment="{deployment}"})' } }
        condition: result.value > 0.1
    actions:
      - id: fix
        http: { method: POST, url: "${fixUrl}/fix/{deployment}" }
    post_checks:
      - id: error_ratio_recovered
        probe: { prometheus: { query: 'max(${METRIC}{deployment="{deployment}"})' } }
        condition: result.value < 0.05
        hold_for: 2s
        interval: 1s
        deadline: 30s
    rollback: null
`;

let env: TestWorkflowEnvironment;
let exporter: MetricsExporter;
let prometheus: PrometheusServer;
let alertmanager: AlertmanagerServer;
let intake: IntakeServer;
let fixer: { server: Server; url: string; requests: string[] };
let worker: Awaited<ReturnType<typeof startWorker>>;
const answers: { at: number; response: IntakeResponse }[] = [];

/** The workload's "fix": a real HTTP endpoint; the action calling it brings the metric back. Counts every request. */
async function startFixer() {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    if (request.method === 'POST' && request.url === `/fix/${LABELS.deployment}`) exporter.set(METRIC, 0.01, LABELS);
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"fixed":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

beforeAll(async () => {
  exporter = await startMetricsExporter();
  exporter.set(METRIC, 0.01, LABELS);
  fixer = await startFixer();
  env = await connectDevServer();
  const compiled = compileCatalogue([{ file: 'loop.yaml', text: runbooks(fixer.url) }]);
  if (!compiled.ok) throw new Error(compiled.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join('\n'));
  const policy = parseOperatorPolicy('policy.yaml', POLICY, () => '');
  // The loop is a cycle (the worker reads Prometheus, which alerts through Alertmanager to the intake,
  // which submits to the worker): the intake learns the worker's task queue once it runs.
  const deps = { client: env.client, taskQueue: '' };
  const route = alertmanagerRoute({
    rules: policy.alertmanagerRules,
    client: env.client,
    submit: (source, incident) => submitFromSource(deps, source, incident),
    log: () => undefined,
  });
  intake = await startIntakeServer({
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: policy.intake.maxBodyBytes,
    sources: policy.intake.sources,
    routes: [],
    // Every answer the intake gives Alertmanager, with when it gave it.
    alertmanager: async (request) => {
      const response = await route(request);
      answers.push({ at: Date.now(), response });
      return response;
    },
    readiness: async () => ({ ready: true }),
  });
  alertmanager = await startAlertmanager({
    binary: inject('alertmanagerPath'),
    config: {
      route: { groupBy: ['alertname', 'service'], groupWait: '1s', groupInterval: '1s', repeatInterval: '1h' },
      webhook: { url: `${intake.url}/v1/alertmanager`, bearer: { credentials: TOKEN } },
    },
  });
  // The alerting half of the real Prometheus: the rule, evaluated every second, routed to Alertmanager.
  prometheus = await startPrometheus({
    binary: inject('prometheusPath'),
    targets: [exporter.target],
    scrapeIntervalSeconds: 1,
    alertRules: [{ alert: 'LoopErrorRatioHigh', expr: `${METRIC} > 0.1`, for: '2s', labels: { severity: 'page' }, annotations: {} }],
    alertmanagers: [alertmanager.address],
  });
  worker = await startWorker(env, { catalogue: compiled.catalogue, config: { prometheus: singlePrometheus(prometheus.url) } });
  deps.taskQueue = worker.taskQueue;
}, 180_000);

afterAll(async () => {
  await prometheus?.stop();
  await alertmanager?.stop();
  await intake?.close();
  await worker?.stop();
  await env?.teardown();
  await new Promise((resolve) => fixer?.server.close(resolve));
  await exporter?.close();
});

async function eventually<T>(find: () => T | undefined, what: string, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s; answers: ${JSON.stringify(answers)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const alertsOf = (response: IntakeResponse): AlertResult[] => (response.body as { alerts?: AlertResult[] }).alerts ?? [];

describe('the closed loop', () => {
  it(
    'metric bad → alert fires → Alertmanager posts to serve → remediation → live verification → alert resolves',
    { timeout: 180_000 },
    async () => {
      const wentBad = Date.now();
      exporter.set(METRIC, 0.3, LABELS);

      const started = await eventually(
        () => answers.flatMap((a) => alertsOf(a.response)).find((r) => r.result === 'started'),
        'the alert reaching the intake',
      );
      if (started.result !== 'started') throw new Error('unreachable');
      const result = (await env.client.workflow.getHandle(started.workflowId).result()) as RemediationResult;
      const verifiedAt = Date.now();
      expect(result).toMatchObject({ outcome: 'remediated', runbook: 'fix-loop' });
      // The action really ran once, and verification read the recovered value from Prometheus.
      expect(fixer.requests).toEqual([`POST /fix/${LABELS.deployment}`]);
      const verified = result.events.filter((e) => e.type === 'STEP_SUCCEEDED' && e.step === 'error_ratio_recovered');
      expect(verified.length).toBeGreaterThan(0);
      expect(JSON.stringify(verified.at(-1)!.data)).toContain('0.01');

      // The alert resolves on its own once the metric is good, and Alertmanager tells the intake.
      const resolved = await eventually(
        () => answers.flatMap((a) => alertsOf(a.response)).find((r) => r.result === 'resolved' || r.result === 'resolved_not_running'),
        'the resolved notification',
      );
      expect(resolved.incidentId).toBe(started.incidentId);
      console.log(`closed loop: metric bad to verified fix ${((verifiedAt - wentBad) / 1000).toFixed(1)} s`);
    },
  );
});
