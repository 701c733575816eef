/**
 * Traces (telemetry/tracing.ts) with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a stand-in collector: a
 * real HTTP server on loopback that takes what the OTLP/HTTP exporter posts to /v1/traces (JSON) and
 * counts every request. A remediation submitted inside an intake span must reach it as one trace:
 * the intake span, the workflow start, the workflow run and its activities, each the child of the last.
 */
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitIncident } from '../../client/submit';
import { inSpan, tracingFromEnvironment, type Tracing } from '../../telemetry/tracing';
import { WORKFLOWS_PATH } from '../../worker/build-worker';
import { compileFixture, incident, startWorker } from '../harness/engine';
import { startSimulatedCluster, type SimulatedCluster } from '../harness/simulated-cluster';
import { connectTimeSkipping } from '../harness/temporal';

const fixtures = join(import.meta.dirname, '../fixtures/workflow');

interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

/** The stand-in collector: every request counted, the spans of every OTLP/JSON export kept. */
async function startStandInCollector() {
  const requests: Array<{ method: string; path: string; contentType: string }> = [];
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ method: request.method ?? '', path: request.url ?? '', contentType: request.headers['content-type'] ?? '' });
      if (request.method === 'POST' && request.url === '/v1/traces') {
        const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        spans.push(...spansOf(body));
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, spans, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** resourceSpans[].scopeSpans[].spans[] of an OTLP/JSON export request. */
function spansOf(body: unknown): ReceivedSpan[] {
  const list = (value: unknown, key: string): unknown[] => {
    const field: unknown = typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
    return Array.isArray(field) ? field : [];
  };
  const text = (value: unknown, key: string): string | undefined => {
    const field: unknown = typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
    return typeof field === 'string' && field !== '' ? field : undefined;
  };
  return list(body, 'resourceSpans')
    .flatMap((resource) => list(resource, 'scopeSpans'))
    .flatMap((scope) => list(scope, 'spans'))
    .map((span) => ({
      name: text(span, 'name') ?? '',
      traceId: text(span, 'traceId') ?? '',
      spanId: text(span, 'spanId') ?? '',
      ...(text(span, 'parentSpanId') ? { parentSpanId: text(span, 'parentSpanId') } : {}),
    }));
}

let env: TestWorkflowEnvironment;
let target: SimulatedCluster;
let collector: Awaited<ReturnType<typeof startStandInCollector>>;
let tracing: Tracing;
let worker: Awaited<ReturnType<typeof startWorker>>;

beforeAll(async () => {
  collector = await startStandInCollector();
  expect(tracingFromEnvironment({})).toBeNull(); // no endpoint: nothing installed
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
  tracing = tracingFromEnvironment()!;
  env = await connectTimeSkipping();
  target = await startSimulatedCluster();
  target.state.pods = { 'api-server-abc123': { ready: false, restarts: 1, replicas: 3 } };
  target.state.podsRecover = true;
  const catalogue = compileFixture(
    join(fixtures, 'runbooks.yaml'),
    { TARGET: target.url, RECORDER: join(fixtures, 'record-args.mjs'), RECORD_FILE: '/dev/null' },
    { allowedPrograms: ['node'] },
  );
  // No telemetry given: the worker takes tracing from the environment, as `remediate worker` does.
  worker = await startWorker(env, { catalogue, workflows: { workflowsPath: WORKFLOWS_PATH } });
});

afterAll(async () => {
  await worker?.stop();
  await tracing?.shutdown();
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  await target?.close();
  await env?.teardown();
  await collector?.close();
});

describe('traces to a stand-in OTLP/HTTP collector (a loopback server of the test, not a real collector)', () => {
  it('one trace from the intake span through the workflow start and run to its activities', async () => {
    expect(tracing.endpoint).toBe(`${collector.url}/v1/traces`);
    const client = new Client({ connection: env.connection, namespace: 'default', interceptors: { workflow: tracing.clientInterceptors } });
    const inc = incident({
      id: 'INC-TRACE-1',
      root_cause: 'CrashLoopBackOff',
      confidence: 0.95,
      service: 'api-server-trace',
      context: { pod_name: 'api-server-abc123', namespace: 'production' },
    });
    const { handle } = await inSpan('intake POST /v1/incidents', () =>
      submitIncident(client, { incident: inc, taskQueue: worker.taskQueue }),
    );
    expect((await handle.result()).outcome).toBe('remediated');

    const named = (prefix: string) => collector.spans.filter((span) => span.name.startsWith(prefix));
    for (let i = 0; i < 100 && !(named('RunActivity:notify').length > 0 && named('RunWorkflow:').length > 0); i++) {
      await tracing.flush();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(collector.requests.length).toBeGreaterThan(0);
    expect(
      collector.requests.every((r) => r.method === 'POST' && r.path === '/v1/traces' && r.contentType.startsWith('application/json')),
    ).toBe(true);

    const [intake] = named('intake POST /v1/incidents');
    const [start] = named('StartWorkflow:remediateIncident');
    const [run] = named('RunWorkflow:remediateIncident');
    expect(intake && start && run, JSON.stringify(collector.spans.map((s) => s.name))).toBeTruthy();
    const trace = intake!.traceId;
    expect(start).toMatchObject({ traceId: trace, parentSpanId: intake!.spanId });
    expect(run).toMatchObject({ traceId: trace, parentSpanId: start!.spanId });
    // Every activity span of the run is in the same trace: the checks, the action and the notifications.
    const activities = collector.spans.filter((span) => span.name.startsWith('RunActivity:') && span.traceId === trace);
    expect(activities.map((span) => span.name)).toEqual(
      expect.arrayContaining(['RunActivity:runCheck', 'RunActivity:runAction', 'RunActivity:notify']),
    );
    // Each activity run hangs off the workflow's StartActivity span, itself under the run.
    const ids = new Map(collector.spans.map((span) => [span.spanId, span]));
    for (const activity of activities) {
      const scheduled = ids.get(activity.parentSpanId ?? '');
      expect(scheduled?.name).toBe(activity.name.replace('RunActivity:', 'StartActivity:'));
      expect(scheduled?.parentSpanId).toBe(run!.spanId);
    }
  });
});
