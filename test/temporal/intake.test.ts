/**
 * `remediate serve`'s intake against a real Temporal dev server and the production workers: an
 * incident posted over real HTTP starts a remediation (202), a repeat attaches (200), the source's
 * key makes it the incident's authenticated submitter, and no refusal starts anything (checked by
 * workflow id). Readiness reflects the coordinator and the Temporal connection.
 */
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createHash, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { remediationWorkflowId } from '../../contracts/messages';
import type { RemediationResult } from '../../contracts/types';
import { parseAllowedSigners } from '../../dsl/trust/allowed-signers';
import { incidentsRoute } from '../../intake/incidents-route';
import { temporalReadiness } from '../../intake/readiness';
import { startIntakeServer, type IntakeResult, type IntakeServer } from '../../intake/server';
import { sourceSigner } from '../../intake/submit-incident';
import { parseOperatorPolicy } from '../../worker/operator-policy';
import { CliProcess } from '../cli/run-cli';
import { startWorker } from '../harness/engine';
import { shippedCatalogue } from '../harness/shipped-catalogue';
import { sshKeygenKey } from '../harness/ssh-keys';
import { connectDevServer } from '../harness/temporal';

const TOKENS = { oncall: randomUUID(), plain: randomUUID(), limited: randomUUID() };
const sha = (token: string) => createHash('sha256').update(token).digest('hex');

let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof startWorker>>;
let server: IntakeServer;
let dir: string;
const counted: { source: string; route: string; result: IntakeResult }[] = [];
const run = randomUUID().slice(0, 8);
let seq = 0;

/** An incident no shipped runbook matches: its remediation ends quickly as manual. */
function incident(extra: Record<string, unknown> = {}) {
  seq += 1;
  return { id: `INTAKE-${run}-${seq}`, root_cause: 'nothing_matches_this', confidence: 0.9, service: 'checkout', ...extra };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remediate-intake-'));
  env = await connectDevServer();
  const key = await sshKeygenKey(dir, 'oncall');
  const { signers } = parseAllowedSigners(key.allowedSignersLine);
  worker = await startWorker(env, {
    catalogue: shippedCatalogue(),
    operator: { trust: { allowedSigners: signers, gateways: [], statementMaxAgeMs: 15 * 60_000 } },
  });
  const policy = parseOperatorPolicy(
    join(dir, 'policy.yaml'),
    [
      'intake:',
      '  max_body_bytes: 4096',
      '  sources:',
      `    oncall: { token_sha256: ${sha(TOKENS.oncall)}, signing_key_file: oncall }`,
      `    plain: { token_sha256: ${sha(TOKENS.plain)} }`,
      `    limited: { token_sha256: ${sha(TOKENS.limited)}, rate_per_minute: 1 }`,
    ].join('\n'),
    () => '',
    {},
  );
  const deps = { client: env.client, taskQueue: worker.taskQueue, sign: sourceSigner(policy.intake.sources) };
  server = await startIntakeServer({
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: policy.intake.maxBodyBytes,
    sources: policy.intake.sources,
    routes: [{ name: 'incidents', method: 'POST', path: '/v1/incidents', handler: incidentsRoute(deps) }],
    readiness: temporalReadiness(env.client, worker.guardrailsWorkflowId),
    events: { received: (source, route, result) => counted.push({ source, route, result }) },
  });
});

afterAll(async () => {
  await server?.close();
  await worker?.stop();
  await env?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function post(body: string, token?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${server.url}/v1/incidents`, { method: 'POST', headers, body });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

async function started(incidentId: string): Promise<boolean> {
  try {
    await env.client.workflow.getHandle(remediationWorkflowId(incidentId)).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

describe('POST /v1/incidents', () => {
  it('starts a remediation (202), attaches a repeat (200), and names the signing source as the submitter', async () => {
    const inc = incident();
    const first = await post(JSON.stringify(inc), TOKENS.oncall);
    expect(first).toMatchObject({ status: 202, body: { workflowId: remediationWorkflowId(inc.id), attached: false, signed: true } });
    const repeat = await post(JSON.stringify(inc), TOKENS.oncall);
    expect(repeat).toMatchObject({ status: 200, body: { workflowId: remediationWorkflowId(inc.id), attached: true } });
    const result = (await env.client.workflow.getHandle(remediationWorkflowId(inc.id)).result()) as RemediationResult;
    expect(result.events.find((e) => e.type === 'SUBMITTED')).toMatchObject({
      actor: 'oncall',
      message: expect.stringContaining('submitted by oncall (signed)'),
    });
    expect(counted.slice(-2).map((c) => [c.source, c.result])).toEqual([
      ['oncall', 'accepted'],
      ['oncall', 'ok'],
    ]);
  });

  it('submits unsigned for a source without a key: the remediation has no authenticated submitter', async () => {
    const inc = incident();
    expect(await post(JSON.stringify(inc), TOKENS.plain)).toMatchObject({ status: 202, body: { signed: false } });
    const result = (await env.client.workflow.getHandle(remediationWorkflowId(inc.id)).result()) as RemediationResult;
    expect(result.events.find((e) => e.type === 'SUBMITTED')?.message).toContain('submitted unsigned');
  });

  it('starts nothing on any refusal', async () => {
    const cases: [string, () => Promise<{ status: number; body: Record<string, unknown> }>, string][] = [];
    const add = (name: string, status: number, send: (inc: ReturnType<typeof incident>) => ReturnType<typeof post>) => {
      const inc = incident();
      cases.push([name, () => send(inc), inc.id]);
      return { status, id: inc.id };
    };
    const expected = [
      add('no token', 401, (inc) => post(JSON.stringify(inc))),
      add('wrong token', 401, (inc) => post(JSON.stringify(inc), 'not-a-token')),
      add('oversize', 413, (inc) => post(JSON.stringify({ ...inc, context: { padding: 'x'.repeat(5000) } }), TOKENS.plain)),
      add('malformed JSON', 400, (inc) => post(`${JSON.stringify(inc)}}`, TOKENS.plain)),
      add('invalid incident', 400, (inc) => post(JSON.stringify({ ...inc, confidence: 2 }), TOKENS.plain)),
      add('half-valid: no service', 400, (inc) => post(JSON.stringify({ ...inc, service: undefined }), TOKENS.plain)),
    ];
    for (const [i, [name, send, id]] of cases.entries()) {
      const answer = await send();
      expect(answer.status, name).toBe(expected[i]!.status);
      expect(await started(id), name).toBe(false);
    }
    const invalid = await post(JSON.stringify({ ...incident(), confidence: 2 }), TOKENS.plain);
    expect(invalid.body.errors).toEqual([expect.objectContaining({ field: 'confidence' })]);
    expect(invalid.body.error).toMatch(/^confidence: /);
  });

  it('rate-limits per source with Retry-After, and the refused incident never starts', async () => {
    const first = incident();
    const second = incident();
    expect((await post(JSON.stringify(first), TOKENS.limited)).status).toBe(202);
    const refused = await post(JSON.stringify(second), TOKENS.limited);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await started(second.id)).toBe(false);
    expect(counted.at(-1)).toEqual({ source: 'limited', route: 'incidents', result: 'rate_limited' });
  });

  it('counted every request', () => {
    // 2 + 1 + 7 + 2 requests above.
    expect(counted).toHaveLength(12);
  });
});

describe('GET /readyz', () => {
  it('is ready while the coordinator runs', async () => {
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('is not ready when the coordinator does not run, or Temporal does not answer', async () => {
    expect(await temporalReadiness(env.client, `no-such-coordinator-${run}`)()).toEqual({
      ready: false,
      reason: expect.stringContaining('does not exist'),
    });
    const dead = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }), namespace: 'default' });
    expect(await temporalReadiness(dead, worker.guardrailsWorkflowId)()).toEqual({
      ready: false,
      reason: expect.stringContaining('the Temporal server is not reachable'),
    });
  });
});

describe('remediate serve, as a process', () => {
  it('runs the intake and a worker in one process: ready, a posted incident is remediated, SIGINT stops it', async () => {
    const taskQueue = `serve-${run}`;
    const token = randomUUID();
    writeFileSync(
      join(dir, 'serve-policy.yaml'),
      `intake:\n  listen: 127.0.0.1:0\n  sources:\n    hook: { token_sha256: ${sha(token)} }\n`,
    );
    const serve = new CliProcess(['serve', '--runbooks', 'runbooks', '--policy', join(dir, 'serve-policy.yaml')], {
      TEMPORAL_ADDRESS: inject('devServerAddress'),
      REMEDIATE_TASK_QUEUE: taskQueue,
      REMEDIATE_GUARDRAILS_ID: `guardrails-${taskQueue}`,
      REMEDIATE_NOTIFY_LOG: join(dir, 'serve-notifications.jsonl'),
    });
    try {
      const url = (await serve.waitFor(/intake listening on (http:\/\/\S+)/, 90_000))[1]!;
      await serve.waitFor(/worker polling/, 90_000);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const inc = incident();
      const answer = await fetch(`${url}/v1/incidents`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(inc),
      });
      expect(answer.status).toBe(202);
      const result = (await env.client.workflow.getHandle(remediationWorkflowId(inc.id)).result()) as RemediationResult;
      expect(result.outcome).toBe('manual');
      expect(await serve.interrupt()).toBe(0);
      expect(serve.stdout).toContain('[serve] stopped');
    } finally {
      serve.child.kill('SIGKILL');
      await env.client.workflow
        .getHandle(`guardrails-${taskQueue}`)
        .terminate('test finished')
        .catch(() => undefined);
    }
  });
});
