/**
 * Secret references end to end on the real dev server (docs/secrets.md): the target receives the
 * value, and the value is nowhere else: not in the raw history bytes the server holds, the status
 * query, the notifications, the result or `remediate history export`. A missing source fails the
 * step with a reason that names the secret and its source.
 */
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { submitIncident } from '../../client/submit';
import { statusQuery } from '../../contracts/messages';
import type { RemediationResult } from '../../contracts/types';
import type { Incident } from '../../dsl/types';
import { remediateAsync } from '../cli/run-cli';
import { compileFixture, incident, startWorker } from '../harness/engine';
import { startSimulatedCluster, type SimulatedCluster } from '../harness/simulated-cluster';
import { connectDevServer } from '../harness/temporal';

const FIXTURE = join(import.meta.dirname, '../fixtures/secrets/runbooks.yaml');
/** Distinctive, so a search for it cannot hit anything else. */
const VALUE = `tok-${process.pid}-Zq8xW3vK9rT2`;
const UNSET_VARIABLE = `REMEDIATE_TEST_UNSET_${process.pid}`;

let env: TestWorkflowEnvironment;
let target: SimulatedCluster;
let worker: Awaited<ReturnType<typeof startWorker>>;
let scratch: string;
let notifications: string;

beforeAll(async () => {
  env = await connectDevServer();
  target = await startSimulatedCluster({ deployments: { web: { replicas: 3, revision: 1, errorRateByRevision: {} } } });
  scratch = mkdtempSync(join(tmpdir(), 'remediate-secrets-'));
  notifications = join(scratch, 'notifications.jsonl');
  const tokenFile = join(scratch, 'api-token');
  writeFileSync(tokenFile, `${VALUE}\n`, { mode: 0o600 });
  delete process.env[UNSET_VARIABLE];
  const secrets = new Map([
    ['API_TOKEN', { kind: 'file' as const, path: tokenFile }],
    ['UNSET_TOKEN', { kind: 'env' as const, variable: UNSET_VARIABLE }],
  ]);
  const catalogue = compileFixture(FIXTURE, { TARGET: target.url }, { secrets: [...secrets.keys()] });
  worker = await startWorker(env, { catalogue, config: { notifyLogPath: notifications, secrets } });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await target?.close();
  await env?.teardown();
});

let seq = 0;
function tokenIncident(rootCause: string): Incident {
  seq += 1;
  const id = `SECRETS-${process.pid}-${Date.now()}-${seq}`;
  return incident({ id, root_cause: rootCause, confidence: 0.9, service: `svc-${id}`, context: { deployment: 'web' } });
}

async function run(inc: Incident) {
  const { handle } = await submitIncident(env.client, { incident: inc, taskQueue: worker.taskQueue });
  const result: RemediationResult = await handle.result();
  return { handle, result };
}

/** The history as the server stores it: the proto bytes of GetWorkflowExecutionHistory, every page. */
async function rawHistoryBytes(workflowId: string): Promise<Buffer> {
  const pages: Buffer[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const response = await env.client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId },
      nextPageToken,
    });
    pages.push(Buffer.from(temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse.encode(response).finish()));
    nextPageToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
  } while (nextPageToken);
  return Buffer.concat(pages);
}

function exportHistory(incidentId: string) {
  return remediateAsync(['history', 'export', incidentId], {
    env: { TEMPORAL_ADDRESS: inject('devServerAddress'), REMEDIATE_TASK_QUEUE: worker.taskQueue },
  });
}

describe('secret references', () => {
  it('the target gets the value; history, status, notifications, result and history export only ever show secret:API_TOKEN', async () => {
    target.requests.length = 0;
    const inc = tokenIncident('token_needed');
    const { handle, result } = await run(inc);
    expect(result.outcome, JSON.stringify(result.events.map((e) => e.message))).toBe('remediated');

    // The action and the post-check probe each made exactly one request, with the real value.
    expect(target.requests.map((r) => [r.method, r.path, r.authorization, r.search])).toEqual([
      ['GET', '/deployments/web', VALUE, `?token=${VALUE}&who=remediate`],
      ['GET', '/deployments/web', VALUE, ''],
    ]);

    const raw = await rawHistoryBytes(handle.workflowId);
    expect(raw.length).toBeGreaterThan(1000);
    expect(raw.includes(Buffer.from('secret:API_TOKEN'))).toBe(true);
    expect(raw.includes(Buffer.from(VALUE))).toBe(false);
    // Not in base64 either, as a payload's bytes could be encoded.
    expect(raw.includes(Buffer.from(Buffer.from(VALUE).toString('base64').slice(0, 16)))).toBe(false);

    const status = JSON.stringify(await handle.query(statusQuery));
    expect(status).toContain('secret:API_TOKEN');
    expect(status).not.toContain(VALUE);

    const resultText = JSON.stringify(result);
    expect(resultText).not.toContain(VALUE);
    const notified = readFileSync(notifications, 'utf8');
    expect(notified).toContain(inc.id);
    expect(notified).not.toContain(VALUE);

    // What the programs printed is kept, with the value replaced.
    const steps = result.events.filter((e) => e.type === 'STEP_SUCCEEDED' || e.type === 'STEP_STARTED').map((e) => e.message);
    expect(steps).toEqual(expect.arrayContaining([expect.stringContaining('echo token: secret:API_TOKEN')]));
    const outputs = JSON.stringify(result.events.map((e) => e.data));
    expect(outputs).toContain('"stdout":"secret:API_TOKEN\\n"');
    expect(outputs).toContain('"stdout":"token: secret:API_TOKEN\\n"');

    const exported = await exportHistory(inc.id);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    expect(exported.stdout).not.toContain(VALUE);
    expect(exported.stdout).not.toContain(Buffer.from(VALUE).toString('base64').slice(0, 16));
  }, 120_000);

  it('a missing source fails the step, naming the secret and the source, and sends nothing', async () => {
    target.requests.length = 0;
    const { result } = await run(tokenIncident('token_missing'));
    expect(result.outcome).toBe('failed');
    expect(target.requests).toEqual([]);
    const failed = result.events.find((e) => e.type === 'STEP_FAILED');
    expect(failed?.message).toContain(`secret UNSET_TOKEN (env source): environment variable ${UNSET_VARIABLE} is not set`);
  }, 120_000);
});
