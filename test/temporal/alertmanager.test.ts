/**
 * POST /v1/alertmanager's route on a real Temporal dev server with the production worker: Alertmanager's
 * version 4 payloads, grouped, repeated, unmapped, badly typed and resolved. Actions hit the simulated
 * cluster (test/harness/simulated-cluster.ts); notifications reach a webhook the test runs.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitIncident } from '../../client/submit';
import { remediationWorkflowId, statusQuery } from '../../contracts/messages';
import type { RemediationResult } from '../../contracts/types';
import { alertmanagerRoute, type AlertResult } from '../../intake/alertmanager-route';
import type { IntakeResponse, RouteHandler } from '../../intake/types';
import { parseOperatorPolicy } from '../../worker/operator-policy';
import { compileFixture, startWorker } from '../harness/engine';
import { recordHistory } from '../harness/histories';
import { startSimulatedCluster, type SimulatedCluster } from '../harness/simulated-cluster';
import { connectDevServer } from '../harness/temporal';

const POLICY = `alertmanager:
  rules:
    - name: error-rate
      match: { alertname: HighErrorRate }
      root_cause: error_rate_spike_after_deploy
      service: { label: service }
      confidence: { annotation: confidence, default: 0.95 }
      context:
        deployment: { label: deployment, type: dns_subdomain }
        namespace: { label: namespace, type: dns_label }
    - name: crash-loop
      match_re: { alertname: "KubePod(CrashLooping|OOMKilled)" }
      root_cause: CrashLoopBackOff
      service: { label: service }
      confidence: { default: 0.95 }
      context:
        pod_name: { label: pod, type: dns_subdomain }
        namespace: { label: namespace, type: dns_label }
`;

let env: TestWorkflowEnvironment;
let target: SimulatedCluster;
let worker: Awaited<ReturnType<typeof startWorker>>;
let webhook: { server: Server; url: string; received: Array<{ notification: { kind: string; incidentId: string; title: string } }> };
let route: RouteHandler;
const logged: string[] = [];
/** Fingerprints unique per run: workflow ids on the dev server outlive a test run. */
const runTag = Date.now().toString(16);
let seq = 0;

beforeAll(async () => {
  env = await connectDevServer();
  target = await startSimulatedCluster();
  webhook = await startWebhook();
  const fixtures = join(import.meta.dirname, '../fixtures/workflow');
  const catalogue = compileFixture(
    join(fixtures, 'runbooks.yaml'),
    { TARGET: target.url, RECORDER: join(fixtures, 'record-args.mjs'), RECORD_FILE: '/dev/null' },
    { allowedPrograms: ['node'] },
  );
  worker = await startWorker(env, {
    catalogue,
    config: { webhookUrls: [webhook.url] },
    policy: { limits: { maxConcurrent: 10, maxServices: 10 } },
    operator: { approverGroups: { sre: ['bob'] } },
  });
  target.state.pods = { 'api-server-abc123': { ready: false, restarts: 1, replicas: 3 } };
  target.state.deployments = { checkout: { replicas: 4, revision: 7, errorRateByRevision: { 7: 0.3, 6: 0.01 } } };
  route = alertmanagerRoute({
    rules: parseOperatorPolicy('policy.yaml', POLICY, () => '').alertmanagerRules,
    client: env.client,
    // The authenticated path (intake/submit-incident.ts) is wired by `serve`; here the submission itself.
    submit: async (_source, incident) => {
      const submission = await submitIncident(env.client, { incident, taskQueue: worker.taskQueue });
      return { kind: submission.attached ? 'attached' : 'started', workflowId: submission.workflowId };
    },
    log: (line) => logged.push(line),
  });
});

afterAll(async () => {
  await worker?.stop();
  await target?.close();
  await new Promise((resolve) => webhook?.server.close(resolve));
  await env?.teardown();
});

function fingerprint(): string {
  seq += 1;
  return `${runTag}${seq.toString(16).padStart(4, '0')}`;
}

interface AlertSpec {
  status?: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  fingerprint: string;
  startsAt?: string;
}

const STARTS_AT = '2026-12-02T16:58:45.828123456Z';

function payload(alerts: AlertSpec[]): Record<string, unknown> {
  const status = alerts.every((a) => a.status === 'resolved') ? 'resolved' : 'firing';
  return {
    receiver: 'remediate',
    status,
    alerts: alerts.map((a) => ({
      status: a.status ?? 'firing',
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: a.startsAt ?? STARTS_AT,
      endsAt: a.status === 'resolved' ? '2026-12-02T17:03:15.000Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example:9090/graph?g0.expr=up',
      fingerprint: a.fingerprint,
    })),
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    version: '4',
    groupKey: '{}:{}',
    truncatedAlerts: 0,
  };
}

const errorRate = (fp: string, labels: Record<string, string> = {}): AlertSpec => ({
  fingerprint: fp,
  labels: { alertname: 'HighErrorRate', service: 'checkout', deployment: 'checkout', namespace: 'production', ...labels },
  annotations: { confidence: '0.93' },
});
const crashLoop = (fp: string): AlertSpec => ({
  fingerprint: fp,
  labels: { alertname: 'KubePodCrashLooping', service: 'api-server', pod: 'api-server-abc123', namespace: 'production' },
});

async function post(alerts: AlertSpec[]): Promise<IntakeResponse & { body: { alerts: AlertResult[]; counts: Record<string, number> } }> {
  const body = payload(alerts);
  const answer = await route({ source: 'alertmanager', body, rawBody: Buffer.from(JSON.stringify(body)) });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer as IntakeResponse & { body: { alerts: AlertResult[]; counts: Record<string, number> } };
}

const handleOf = (result: AlertResult) => env.client.workflow.getHandle(remediationWorkflowId(result.incidentId));

async function waitForPhase(result: AlertResult, phase: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await handleOf(result).query(statusQuery)).phase === phase) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${result.incidentId} never reached phase ${phase}`);
}

async function notExists(incidentId: string): Promise<void> {
  await expect(env.client.workflow.getHandle(remediationWorkflowId(incidentId)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
}

async function historyLength(result: AlertResult): Promise<number> {
  return (await handleOf(result).fetchHistory()).events?.length ?? 0;
}

describe('POST /v1/alertmanager on a real worker', () => {
  it('a grouped payload of two alerts starts two remediations; a repeat attaches; resolved while awaiting approval withdraws it without acting; resolved after it finished changes nothing', async () => {
    const crashFp = fingerprint();
    const rateFp = fingerprint();
    const first = await post([crashLoop(crashFp), errorRate(rateFp)]);
    expect(first.body.counts).toMatchObject({ started: 2, attached: 0, unmapped: 0, refused: 0 });
    const [crash, rate] = first.body.alerts;
    expect(crash).toMatchObject({ result: 'started', rule: 'crash-loop', incidentId: `am-${crashFp}-20261202T165845.828Z` });
    expect(rate).toMatchObject({ result: 'started', rule: 'error-rate', incidentId: `am-${rateFp}-20261202T165845.828Z` });

    // restart-pod runs on its own; rollback-deployment (HIGH risk) waits for a human.
    const crashResult: RemediationResult = await handleOf(crash!).result();
    expect(crashResult).toMatchObject({ outcome: 'remediated', runbook: 'restart-pod' });
    await waitForPhase(rate!, 'awaiting_approval');

    // Alertmanager repeats the group every repeat_interval: the same alerts attach, nothing new starts.
    const repeat = await post([crashLoop(crashFp), errorRate(rateFp)]);
    expect(repeat.body.alerts.map((a) => [a.result, a.incidentId])).toEqual([
      ['attached', crash!.incidentId],
      ['attached', rate!.incidentId],
    ]);

    const rateResolved = await post([{ ...errorRate(rateFp), status: 'resolved' }]);
    expect(rateResolved.body.alerts).toEqual([
      { result: 'resolved', fingerprint: rateFp, incidentId: rate!.incidentId, workflowId: remediationWorkflowId(rate!.incidentId) },
    ]);
    const rateResult: RemediationResult = await handleOf(rate!).result();
    await recordHistory(handleOf(rate!), 'alert-resolved');
    expect(rateResult).toMatchObject({ outcome: 'aborted', runbook: 'rollback-deployment', rolledBack: false });
    const types = rateResult.events.map((e) => e.type);
    expect(types).toContain('ALERT_RESOLVED');
    expect(types).not.toContain('EXECUTING');
    expect(rateResult.events.find((e) => e.type === 'ALERT_RESOLVED')).toMatchObject({
      actor: 'alertmanager',
      message: expect.stringContaining('withdrawn: resolved on its own'),
    });
    // No action ran: the deployment was never undone.
    expect(target.requests.filter((r) => r.path.endsWith('/undo'))).toEqual([]);
    expect(target.state.deployments.checkout!.revision).toBe(7);
    await expect
      .poll(() => webhook.received.find((m) => m.notification.incidentId === rate!.incidentId && m.notification.kind === 'resolved'))
      .toMatchObject({
        notification: { title: expect.stringContaining('withdrawn, the alert resolved on its own') },
      });

    // The crash-loop remediation had finished: its resolution is answered, recorded nowhere, nothing starts.
    const before = await historyLength(crash!);
    const crashResolved = await post([{ ...crashLoop(crashFp), status: 'resolved' }]);
    expect(crashResolved.body.alerts).toMatchObject([{ result: 'resolved_not_running', incidentId: crash!.incidentId }]);
    expect(await historyLength(crash!)).toBe(before);
    expect(await handleOf(crash!).result()).toEqual(crashResult);
  });

  it('an alert no rule maps is counted and logged, and nothing starts; nor for its resolution', async () => {
    const fp = fingerprint();
    const answer = await post([{ fingerprint: fp, labels: { alertname: 'Watchdog', severity: 'none' } }]);
    expect(answer.body.counts).toMatchObject({ unmapped: 1, started: 0 });
    expect(answer.body.alerts[0]).toEqual({ result: 'unmapped', fingerprint: fp, incidentId: `am-${fp}-20261202T165845.828Z` });
    expect(logged.some((line) => line.includes(fp) && line.includes('matches no rule'))).toBe(true);
    await notExists(answer.body.alerts[0]!.incidentId);
    const resolved = await post([{ fingerprint: fp, labels: { alertname: 'Watchdog' }, status: 'resolved' }]);
    expect(resolved.body.alerts[0]).toMatchObject({ result: 'unmapped' });
  });

  it('a label value that fails its type refuses that alert, with the field; the rest of the group still starts', async () => {
    const bad = fingerprint();
    const good = fingerprint();
    const answer = await post([errorRate(bad, { namespace: 'Production_EU' }), { ...errorRate(good), startsAt: '2026-12-02T17:00:00Z' }]);
    expect(answer.body.alerts[0]).toMatchObject({
      result: 'refused',
      rule: 'error-rate',
      field: 'context.namespace',
      reason: expect.stringMatching(/"Production_EU": expected a DNS label/),
    });
    expect(answer.body.alerts[1]).toMatchObject({ result: 'started' });
    await notExists(answer.body.alerts[0]!.incidentId);
    // Resolving the started one cleans up: it withdraws (and the test leaves nothing waiting).
    await post([{ ...errorRate(good), startsAt: '2026-12-02T17:00:00Z', status: 'resolved' }]);
    expect(await handleOf(answer.body.alerts[1]!).result()).toMatchObject({ outcome: 'aborted' });
  });

  it('resolved for an alert that never started anything: answered, and nothing starts', async () => {
    const fp = fingerprint();
    const answer = await post([{ ...errorRate(fp), status: 'resolved' }]);
    expect(answer.body.alerts[0]).toMatchObject({ result: 'resolved_not_running' });
    await notExists(answer.body.alerts[0]!.incidentId);
  });

  it('an invalid payload is a 400 naming the field, and nothing in it starts', async () => {
    const fp = fingerprint();
    const body = payload([
      errorRate(fp),
      { ...errorRate(fingerprint()), labels: { alertname: 'HighErrorRate', service: 7 as unknown as string } },
    ]);
    const answer = await route({ source: 'alertmanager', body, rawBody: Buffer.alloc(0) });
    expect(answer).toMatchObject({
      status: 400,
      body: { errors: [{ field: 'alerts[1].labels.service', message: expect.stringMatching(/expected a string/) }] },
    });
    await notExists(`am-${fp}-20261202T165845.828Z`);
  });
});

async function startWebhook() {
  const received: Array<{ notification: { kind: string; incidentId: string; title: string } }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}
