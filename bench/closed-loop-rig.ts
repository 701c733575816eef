/**
 * The closed loop on real servers, as one rig that test/temporal/closed-loop.test.ts and the bench's
 * `--closed-loop` mode both run: an exporter whose metric the rig sets, a "fixer" endpoint whose
 * request brings the metric back, the intake (`remediate serve`'s server, its Alertmanager route and
 * the authenticated submission path, with a bearer token), a real Alertmanager, a real Prometheus
 * evaluating an alert rule over the exporter, and the production workers (started by the caller, on
 * its own Temporal server) reading Prometheus for live verification.
 *
 * `runLoop` makes one deployment's metric go bad and records when each stage of the loop happened.
 * It imports nothing from vitest, so the bench can run it too.
 */
import type { Client } from '@temporalio/client';
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ActivitiesConfig } from '../activities/config';
import { singlePrometheus } from '../activities/prometheus-servers';
import type { RemediationResult } from '../contracts/types';
import { compileCatalogue } from '../dsl/compile';
import type { CompiledCatalogue } from '../dsl/types';
import { parseAlertmanagerPayload } from '../intake/alertmanager-payload';
import { alertmanagerRoute, type AlertResult } from '../intake/alertmanager-route';
import { startIntakeServer, type IntakeServer } from '../intake/server';
import { submitFromSource } from '../intake/submit-incident';
import type { IntakeRequest, IntakeResponse } from '../intake/types';
import { startAlertmanager, type AlertmanagerServer, type Duration } from '../toolchain/alertmanager-server';
import { startPrometheus, type PrometheusServer } from '../toolchain/prometheus-server';
import { parseOperatorPolicy } from '../worker/operator-policy';
import { startMetricsExporter, type MetricsExporter } from '../toolchain/metrics-exporter';

export const LOOP_METRIC = 'remediate_loop_error_ratio';
const ALERT = 'LoopErrorRatioHigh';
const BAD = 0.3;
const GOOD = 0.01;
/** How often the rig asks Prometheus whether the alert fires: the resolution of the "firing" stamp. */
export const FIRING_POLL_MS = 100;

/** The settings the loop's time is mostly made of. */
export interface ClosedLoopTiming {
  scrapeIntervalSeconds: number;
  evaluationIntervalSeconds: number;
  /** The alert rule's `for`. */
  for: Duration;
  groupWait: Duration;
  groupInterval: Duration;
  /** The post-check's `hold_for`, read every `postCheckInterval`. */
  holdFor: Duration;
  postCheckInterval: Duration;
  /** Prometheus's `--rules.alert.resend-delay` (toolchain/prometheus-server.ts fixes it). */
  resendDelay: Duration;
}

export const CLOSED_LOOP_TIMING: ClosedLoopTiming = {
  scrapeIntervalSeconds: 1,
  evaluationIntervalSeconds: 1,
  for: '2s',
  groupWait: '1s',
  groupInterval: '1s',
  holdFor: '2s',
  postCheckInterval: '1s',
  resendDelay: '1s',
};

/** Each instant of one loop, ms since epoch, in the order they happen. */
export interface LoopStamps {
  /** The exporter serves the bad value from now on. */
  metricBad: number;
  /** Prometheus scraped the bad value (the exporter served it). */
  scraped: number;
  /** The rule's expression first held: Prometheus's own `activeAt` (an evaluation's timestamp). */
  pending: number;
  /** The alert was seen firing by a poll of /api/v1/alerts every FIRING_POLL_MS. */
  firing: number;
  /** Alertmanager's firing notification reached the intake's route. */
  delivered: number;
  /** The intake answered it: the remediation workflow started. */
  started: number;
  /** The action's request reached the fixer. */
  firstAction: number;
  /** The workflow's result (outcome remediated: live verification passed) reached the client. */
  verified: number;
  /** Alertmanager's resolved notification reached the intake's route. */
  resolvedDelivered: number;
}

export type LoopStage = keyof LoopStamps;

export interface LoopRun {
  /** The deployment (and service) label of this loop's series. */
  label: string;
  stamps: LoopStamps;
  result: RemediationResult;
  started: Extract<AlertResult, { rule: string; workflowId: string }>;
  resolved: AlertResult;
  /** The fixer's requests for this loop's deployment. */
  fixerRequests: string[];
}

export interface ClosedLoopOptions {
  client: Client;
  prometheusBinary: string;
  alertmanagerBinary: string;
  /** Starts the production workers with the loop's catalogue and activities; the rig stops them on close. */
  startWorker(catalogue: CompiledCatalogue, activities: Partial<ActivitiesConfig>): Promise<{ taskQueue: string; stop(): Promise<void> }>;
  timing?: ClosedLoopTiming;
  /** Each stage's deadline (default 90 s). */
  stageTimeoutMs?: number;
}

export interface ClosedLoop {
  timing: ClosedLoopTiming;
  prometheusUrl: string;
  runLoop(label: string): Promise<LoopRun>;
  /** Every request the fixer received, of every loop. */
  fixerRequests(): readonly string[];
  close(): Promise<void>;
}

interface Answer {
  receivedAt: number;
  answeredAt: number;
  /** The payload's alerts by fingerprint: their status and deployment label. */
  alerts: Map<string, { status: string; deployment: string | undefined }>;
  results: AlertResult[];
}

const policy = (token: string) => `
intake:
  sources:
    alertmanager: { token_sha256: ${createHash('sha256').update(token).digest('hex')}, routes: [alertmanager] }
alertmanager:
  rules:
    - name: loop-errors
      match: { alertname: ${ALERT} }
      root_cause: loop_error_ratio_high
      service: { label: service }
      confidence: { default: 0.95 }
      context:
        deployment: { label: deployment, type: dns_subdomain }
`;

const runbooks = (fixUrl: string, timing: ClosedLoopTiming) => `
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
        probe: { prometheus: { query: 'max(${LOOP_METRIC}{deployment="{deployment}"})' } }
        condition: result.value > 0.1
    actions:
      - id: fix
        http: { method: POST, url: "${fixUrl}/fix/{deployment}" }
    post_checks:
      - id: error_ratio_recovered
        probe: { prometheus: { query: 'max(${LOOP_METRIC}{deployment="{deployment}"})' } }
        condition: result.value < 0.05
        hold_for: ${timing.holdFor}
        interval: ${timing.postCheckInterval}
        deadline: 30s
    rollback: null
`;

const labelsOf = (label: string) => ({ service: label, deployment: label });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The workload's "fix": a real HTTP endpoint; the action calling it brings the deployment's metric back. */
async function startFixer(exporter: MetricsExporter) {
  const requests: { at: number; line: string }[] = [];
  const server = createServer((request, response) => {
    requests.push({ at: Date.now(), line: `${request.method} ${request.url}` });
    const deployment = /^\/fix\/([a-z0-9-]+)$/.exec(request.url ?? '')?.[1];
    if (request.method === 'POST' && deployment) exporter.set(LOOP_METRIC, GOOD, labelsOf(deployment));
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"fixed":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Every answer the intake gives Alertmanager, with when the delivery arrived and when it was answered. */
function recordingRoute(route: (request: IntakeRequest) => Promise<IntakeResponse>, answers: Answer[]) {
  return async (request: IntakeRequest): Promise<IntakeResponse> => {
    const receivedAt = Date.now();
    const response = await route(request);
    const parsed = parseAlertmanagerPayload(request.body);
    const alerts = new Map(
      parsed.ok ? parsed.payload.alerts.map((a) => [a.fingerprint, { status: a.status, deployment: a.labels.get('deployment') }]) : [],
    );
    const body = response.body;
    const results = body !== null && typeof body === 'object' && 'alerts' in body && Array.isArray(body.alerts) ? body.alerts : [];
    answers.push({ receivedAt, answeredAt: Date.now(), alerts, results: results as AlertResult[] });
    return response;
  };
}

export async function startClosedLoop(options: ClosedLoopOptions): Promise<ClosedLoop> {
  const timing = options.timing ?? CLOSED_LOOP_TIMING;
  const token = randomUUID();
  const stops: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };
  try {
    const exporter = await startMetricsExporter();
    stops.push(() => exporter.close());
    const fixer = await startFixer(exporter);
    stops.push(() => fixer.close());
    const compiled = compileCatalogue([{ file: 'loop.yaml', text: runbooks(fixer.url, timing) }]);
    if (!compiled.ok) throw new Error(compiled.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join('\n'));
    const loaded = parseOperatorPolicy('policy.yaml', policy(token), () => '');
    // The loop is a cycle (the worker reads Prometheus, which alerts through Alertmanager to the intake,
    // which submits to the worker): the intake learns the worker's task queue once it runs.
    const deps = { client: options.client, taskQueue: '' };
    const route = alertmanagerRoute({
      rules: loaded.alertmanagerRules,
      client: options.client,
      submit: (source, incident) => submitFromSource(deps, source, incident),
      log: () => undefined,
    });
    const answers: Answer[] = [];
    const intake: IntakeServer = await startIntakeServer({
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: loaded.intake.maxBodyBytes,
      sources: loaded.intake.sources,
      routes: [],
      alertmanager: recordingRoute(route, answers),
      readiness: async () => ({ ready: true }),
    });
    stops.push(() => intake.close());
    const alertmanager: AlertmanagerServer = await startAlertmanager({
      binary: options.alertmanagerBinary,
      config: {
        route: {
          groupBy: ['alertname', 'service'],
          groupWait: timing.groupWait,
          groupInterval: timing.groupInterval,
          repeatInterval: '1h',
        },
        webhook: { url: `${intake.url}/v1/alertmanager`, bearer: { credentials: token } },
      },
    });
    stops.push(() => alertmanager.stop());
    // The alerting half of the real Prometheus: the rule, routed to Alertmanager.
    const prometheus: PrometheusServer = await startPrometheus({
      binary: options.prometheusBinary,
      targets: [exporter.target],
      scrapeIntervalSeconds: timing.scrapeIntervalSeconds,
      evaluationIntervalSeconds: timing.evaluationIntervalSeconds,
      alertRules: [{ alert: ALERT, expr: `${LOOP_METRIC} > 0.1`, for: timing.for, labels: { severity: 'page' }, annotations: {} }],
      alertmanagers: [alertmanager.address],
    });
    stops.push(() => prometheus.stop());
    const worker = await options.startWorker(compiled.catalogue, { prometheus: singlePrometheus(prometheus.url) });
    stops.push(() => worker.stop());
    deps.taskQueue = worker.taskQueue;

    const loop = { exporter, fixer, prometheus, answers, client: options.client, timeoutMs: options.stageTimeoutMs ?? 90_000 };
    return {
      timing,
      prometheusUrl: prometheus.url,
      runLoop: (label) => runLoop(loop, label),
      fixerRequests: () => fixer.requests.map((r) => r.line),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

interface LoopParts {
  exporter: MetricsExporter;
  fixer: Awaited<ReturnType<typeof startFixer>>;
  prometheus: PrometheusServer;
  answers: Answer[];
  client: Client;
  timeoutMs: number;
}

async function runLoop(parts: LoopParts, label: string): Promise<LoopRun> {
  const { exporter, answers } = parts;
  const labels = labelsOf(label);
  const eventually = <T>(find: () => T | undefined, what: string) =>
    waitFor(find, `${what} (loop ${label})`, parts.timeoutMs, () => JSON.stringify(answers.map((a) => a.results)));
  // The series exists and is healthy first, as a workload's would: the loop starts at a change.
  exporter.set(LOOP_METRIC, GOOD, labels);
  const healthyAt = Date.now();
  await eventually(() => exporter.scrapeTimes().find((t) => t > healthyAt), 'a scrape of the healthy value');

  const metricBad = Date.now();
  exporter.set(LOOP_METRIC, BAD, labels);
  const alertState = watchAlert(parts.prometheus.url, label, metricBad + parts.timeoutMs);
  // Awaited after the later stages; a failure before then must not surface as an unhandled rejection.
  alertState.catch(() => undefined);
  const scraped = await eventually(() => exporter.scrapeTimes().find((t) => t > metricBad), 'a scrape of the bad value');
  const firingDelivery = (status: string, results: readonly AlertResult['result'][]) => () => {
    for (const answer of answers)
      for (const r of answer.results)
        if (
          answer.alerts.get(r.fingerprint)?.deployment === label &&
          answer.alerts.get(r.fingerprint)?.status === status &&
          results.includes(r.result)
        )
          return { answer, result: r };
    return undefined;
  };
  const start = await eventually(firingDelivery('firing', ['started']), 'the alert reaching the intake');
  if (start.result.result !== 'started') throw new Error('unreachable: only a started result was looked for');
  const result = (await parts.client.workflow.getHandle(start.result.workflowId).result()) as RemediationResult;
  const verified = Date.now();
  const fixes = parts.fixer.requests.filter((r) => r.line.endsWith(`/fix/${label}`));
  const resolved = await eventually(firingDelivery('resolved', ['resolved', 'resolved_not_running']), 'the resolved notification');
  const { pending, firing } = await alertState;
  return {
    label,
    stamps: {
      metricBad,
      scraped,
      pending,
      firing,
      delivered: start.answer.receivedAt,
      started: start.answer.answeredAt,
      firstAction: fixes[0]?.at ?? Number.NaN,
      verified,
      resolvedDelivered: resolved.answer.receivedAt,
    },
    result,
    started: start.result,
    resolved: resolved.result,
    fixerRequests: fixes.map((r) => r.line),
  };
}

async function waitFor<T>(find: () => T | undefined, what: string, timeoutMs: number, context: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s; the intake's answers: ${context()}`);
    await sleep(50);
  }
}

/** Polls Prometheus's alerts until this deployment's alert fires: when it did (polled) and its `activeAt`. */
async function watchAlert(prometheusUrl: string, label: string, deadline: number): Promise<{ pending: number; firing: number }> {
  for (;;) {
    const alert = await fetch(`${prometheusUrl}/api/v1/alerts`)
      .then((response): Promise<unknown> => response.json())
      .then((body) => alertOf(body, label))
      .catch(() => undefined);
    if (alert?.state === 'firing') return { pending: alert.activeAt, firing: Date.now() };
    if (Date.now() > deadline) throw new Error(`Prometheus never showed the alert of ${label} firing`);
    await sleep(FIRING_POLL_MS);
  }
}

function alertOf(body: unknown, label: string): { state: string; activeAt: number } | undefined {
  const field = (value: unknown, key: string): unknown =>
    value !== null && typeof value === 'object' ? (Object.getOwnPropertyDescriptor(value, key)?.value as unknown) : undefined;
  const alerts = field(field(body, 'data'), 'alerts');
  if (!Array.isArray(alerts)) return undefined;
  for (const alert of alerts) {
    const labels = field(alert, 'labels');
    if (field(labels, 'alertname') !== ALERT || field(labels, 'deployment') !== label) continue;
    const state = field(alert, 'state');
    const activeAt = field(alert, 'activeAt');
    if (typeof state === 'string' && typeof activeAt === 'string') return { state, activeAt: Date.parse(activeAt) };
  }
  return undefined;
}
