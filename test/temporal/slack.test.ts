/**
 * The Slack app against a real Temporal dev server and the production workers, with a local HTTP
 * server as the stand-in for Slack's Web API (Slack itself cannot run here): the approval request
 * reaches the stand-in's chat.postMessage with its buttons; a correctly signed Approve counts and the
 * remediation runs to its outcome, the message then updated; Reject opens the modal and its signed
 * submission rejects with the reason; a tampered body, a bad signature, a stale timestamp and an
 * unmapped user are refused, counted, and change nothing (the workflow's approvals and audit say so).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlackAppSink } from '../../activities/notify/slack-app-sink';
import { slackInteractionsRoute } from '../../approvals/slack/route';
import { slackSignature } from '../../approvals/slack/signature';
import { statusQuery } from '../../contracts/messages';
import type { RemediationResult, RemediationStatus } from '../../contracts/types';
import { parseAllowedSigners } from '../../dsl/trust/allowed-signers';
import { startIntakeServer, type IntakeResult, type IntakeServer } from '../../intake/server';
import { submitIncident } from '../../client/submit';
import { parseOperatorPolicy } from '../../worker/operator-policy';
import type { SlackPolicy } from '../../worker/slack-policy';
import { awaitingApproval } from '../harness/approvals';
import { compileFixture, incident, startWorker } from '../harness/engine';
import { startSimulatedCluster, type SimulatedCluster } from '../harness/simulated-cluster';
import { sshKeygenKey } from '../harness/ssh-keys';
import { connectDevServer } from '../harness/temporal';

const SECRET = `signing-${randomUUID()}`;
const TOKEN = `xoxb-${randomUUID()}`;
const run = randomUUID().slice(0, 8);
const fixtures = join(import.meta.dirname, '../fixtures/workflow');

interface Recorded {
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
  /** The ts the stand-in gave a posted message. */
  ts?: string;
}
/** Slack's Web API and response_urls, as far as the app uses them; every request recorded, duplicates included. */
interface StandIn {
  server: Server;
  url: string;
  requests: Recorded[];
}

let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof startWorker>>;
let target: SimulatedCluster;
let intake: IntakeServer;
let slackApi: StandIn;
let slack: SlackPolicy;
let dir: string;
const counted: { route: string; result: IntakeResult }[] = [];
const logged: string[] = [];
let seq = 0;

async function startStandIn(): Promise<StandIn> {
  const requests: Recorded[] = [];
  let ts = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      const path = request.url ?? '/';
      const recorded: Recorded = { path, authorization: request.headers.authorization, body };
      requests.push(recorded);
      response.writeHead(200, { 'content-type': 'application/json' });
      if (path !== '/api/chat.postMessage') return response.end(JSON.stringify({ ok: true }));
      recorded.ts = `1700000000.${String(++ts).padStart(6, '0')}`;
      response.end(JSON.stringify({ ok: true, channel: body.channel, ts: recorded.ts }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remediate-slack-'));
  env = await connectDevServer();
  target = await startSimulatedCluster();
  slackApi = await startStandIn();
  const gateway = await sshKeygenKey(dir, 'slack-app');
  await writeFile(join(dir, 'allowed_signers'), `${gateway.allowedSignersLine}\n`);
  await writeFile(join(dir, 'signing-secret'), `${SECRET}\n`);
  await writeFile(join(dir, 'bot-token'), `${TOKEN}\n`);
  const policy = parseOperatorPolicy(
    join(dir, 'policy.yaml'),
    [
      'allowed_signers: allowed_signers',
      'approvers: { groups: { sre: [bob] } }',
      'gateways:',
      '  - { principal: slack-app, vouches_for: [alice, group:sre] }',
      'slack:',
      '  signing_secret_file: signing-secret',
      '  bot_token_file: bot-token',
      '  channel: C0APPROVALS',
      `  api_url: ${slackApi.url}/api`,
      '  gateway: { principal: slack-app, signing_key_file: slack-app }',
      '  users: { U0ALICE: alice, U0BOB: bob }',
    ].join('\n'),
    undefined,
    {},
  );
  slack = policy.slack!;
  const catalogue = compileFixture(
    join(fixtures, 'runbooks.yaml'),
    { TARGET: target.url, RECORDER: 'unused', RECORD_FILE: 'unused' },
    { allowedPrograms: ['node'] },
  );
  const risks = new Map(catalogue.runbooks.map((r) => [r.id, r.risk]));
  const { signers } = parseAllowedSigners(gateway.allowedSignersLine);
  worker = await startWorker(env, {
    catalogue,
    config: { slack: new SlackAppSink(slack, (id) => risks.get(id)) },
    policy: { limits: { maxConcurrent: 10, maxServices: 10 } },
    operator: { approverGroups: { sre: ['bob'] }, trust: { ...policy.trust, allowedSigners: signers } },
  });
  intake = await startIntakeServer({
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 64 * 1024,
    sources: [],
    routes: [],
    selfAuthenticating: [
      slackInteractionsRoute({
        client: env.client,
        slack,
        vouchesFor: ['alice', 'bob'],
        maxBodyBytes: 64 * 1024,
        log: (line) => logged.push(line),
      }),
    ],
    readiness: async () => ({ ready: true }),
    events: { received: (_source, route, result) => counted.push({ route, result }) },
  });
});

afterAll(async () => {
  await intake?.close();
  await worker?.stop();
  await target?.close();
  await new Promise((resolve) => slackApi?.server.close(resolve));
  await env?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  target.state.deployments = { checkout: { replicas: 4, revision: 7, errorRateByRevision: { 7: 0.3, 6: 0.01 } } };
});

/** A HIGH-risk rollback-deployment incident, on a service of its own. */
async function submitHighRisk() {
  seq += 1;
  const inc = incident({
    id: `SLACK-${run}-${seq}`,
    root_cause: 'error_rate_spike_after_deploy',
    confidence: 0.95,
    service: `checkout-${run}-${seq}`,
    context: { deployment: 'checkout', namespace: 'production' },
  });
  const { handle } = await submitIncident(env.client, { incident: inc, taskQueue: worker.taskQueue });
  const status = await awaitingApproval(handle, 60_000);
  return { inc, handle, status };
}

async function until<T>(find: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

type Button = { action_id: string; value: string };

/** The approval request the stand-in received for this incident, and its buttons. */
async function requestFor(incidentId: string) {
  const posted = await until(
    () =>
      slackApi.requests.find(
        (r) =>
          r.path === '/api/chat.postMessage' &&
          JSON.stringify(r.body).includes(incidentId) &&
          JSON.stringify(r.body).includes('remediate_approve'),
      ),
    `the approval request for ${incidentId}`,
  );
  const actions = (posted.body.blocks as Array<{ type: string; elements?: Button[] }>).find((b) => b.type === 'actions')!;
  return { posted, buttons: actions.elements! };
}

function buttonPayload(user: string, button: Button, n: number) {
  return {
    type: 'block_actions',
    user: { id: user },
    trigger_id: `trigger.${n}`,
    response_url: `${slackApi.url}/respond/${n}`,
    channel: { id: 'C0APPROVALS' },
    message: { ts: '1700000000.000001' },
    actions: [{ action_id: button.action_id, value: button.value }],
  };
}

interface Signing {
  secret?: string;
  timestamp?: number;
  /** Changes the body after it was signed. */
  tamper?: (body: string) => string;
}

async function interact(payload: unknown, signing: Signing = {}) {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = String(signing.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = slackSignature(signing.secret ?? SECRET, timestamp, body);
  const response = await fetch(`${intake.url}/v1/slack/interactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
    },
    body: signing.tamper ? signing.tamper(body) : body,
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

const status = async (handle: { query: (q: typeof statusQuery) => Promise<RemediationStatus> }) => await handle.query(statusQuery);

describe('Slack approvals with a stand-in for the Slack API', () => {
  it('posts the request with buttons; a signed Approve counts, the remediation completes, the message is updated', async () => {
    const { inc, handle, status: waiting } = await submitHighRisk();
    const { posted, buttons } = await requestFor(inc.id);
    expect(posted.authorization).toBe(`Bearer ${TOKEN}`);
    expect(posted.body.channel).toBe('C0APPROVALS');
    const text = JSON.stringify(posted.body.blocks);
    expect(text).toContain(waiting.planHash);
    expect(text).toContain('HIGH');
    expect(text).toContain('rollback-deployment');
    expect(buttons.map((b) => b.action_id)).toEqual(['remediate_approve', 'remediate_reject']);

    const answer = await interact(buttonPayload('U0ALICE', buttons[0]!, seq * 10 + 1));
    expect(answer.status).toBe(200);
    const reply = await until(() => slackApi.requests.find((r) => r.path === `/respond/${seq * 10 + 1}`), 'the ephemeral answer');
    expect(reply.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('Counted') });
    const result = await handle.result();
    expect(result.outcome).toBe('remediated');
    expect(result.approvals).toEqual([expect.objectContaining({ by: 'alice', planHash: waiting.planHash })]);
    const update = await until(
      () =>
        slackApi.requests.find((r) => r.path === '/api/chat.update' && r.body.ts === posted.ts && JSON.stringify(r.body).includes(inc.id)),
      'the updated message',
    );
    expect(JSON.stringify(update.body)).toContain('approved by alice');
    expect(counted.filter((c) => c.route === 'slack_interactions').at(-1)).toEqual({ route: 'slack_interactions', result: 'ok' });
  });

  it('Reject opens the modal; an empty reason is refused in it; the signed submission rejects with the reason', async () => {
    const { inc, handle } = await submitHighRisk();
    const { posted, buttons } = await requestFor(inc.id);
    expect((await interact(buttonPayload('U0BOB', buttons[1]!, seq * 10 + 2))).status).toBe(200);
    const opened = await until(
      () => slackApi.requests.find((r) => r.path === '/api/views.open' && r.body.trigger_id === `trigger.${seq * 10 + 2}`),
      'views.open',
    );
    const view = opened.body.view as { callback_id: string; private_metadata: string };
    const submission = (reason: string | null) => ({
      type: 'view_submission',
      user: { id: 'U0BOB' },
      view: {
        callback_id: view.callback_id,
        private_metadata: view.private_metadata,
        state: { values: { reason: { reason_input: { type: 'plain_text_input', value: reason } } } },
      },
    });
    expect(await interact(submission('   '))).toEqual({
      status: 200,
      body: { response_action: 'errors', errors: { reason: 'A reason is required.' } },
    });
    expect((await status(handle)).phase).toBe('awaiting_approval');
    expect(await interact(submission('deploy 7 is a hotfix; roll forward'))).toEqual({ status: 200, body: { response_action: 'clear' } });
    const result = await handle.result();
    expect(result.outcome).toBe('rejected');
    expect(result.events.find((e) => e.type === 'REJECTED')).toMatchObject({
      message: expect.stringContaining('deploy 7 is a hotfix; roll forward'),
    });
    const update = await until(
      () => slackApi.requests.find((r) => r.path === '/api/chat.update' && r.body.ts === posted.ts),
      'the updated message',
    );
    expect(JSON.stringify(update.body)).toContain('rejected by bob');
  });

  it('refuses a tampered body, a bad signature, a stale timestamp and an unmapped user; none of them decides anything', async () => {
    const { inc, handle } = await submitHighRisk();
    const { buttons } = await requestFor(inc.id);
    const approve = buttonPayload('U0ALICE', buttons[0]!, seq * 10 + 3);
    const before = counted.length;
    const asBob = encodeURIComponent('"U0BOB"');
    const refusals = [
      await interact(approve, { tamper: (body) => body.replace(encodeURIComponent('"U0ALICE"'), asBob) }),
      await interact(approve, { secret: 'not-the-signing-secret' }),
      await interact(approve, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }),
      await interact(approve, { timestamp: Math.floor(Date.now() / 1000) + 6 * 60 }),
      await interact(buttonPayload('U0EVE', buttons[0]!, seq * 10 + 4)),
    ];
    expect(refusals.map((r) => r.status)).toEqual([401, 401, 401, 401, 403]);
    expect(refusals.map((r) => r.body?.error)).toEqual([
      'the request signature does not match',
      'the request signature does not match',
      'the request timestamp is not within five minutes of now',
      'the request timestamp is not within five minutes of now',
      'Slack user U0EVE is not mapped to a principal (slack.users)',
    ]);
    expect(counted.slice(before).map((c) => c.result)).toEqual([
      'unauthorized',
      'unauthorized',
      'unauthorized',
      'unauthorized',
      'forbidden',
    ]);
    expect(logged.filter((line) => line.startsWith('slack: refused')).length).toBeGreaterThanOrEqual(5);
    expect(slackApi.requests.filter((r) => r.path === `/respond/${seq * 10 + 3}` || r.path === `/respond/${seq * 10 + 4}`)).toEqual([]);

    const now = await status(handle);
    expect(now.phase).toBe('awaiting_approval');
    expect(now.approvals).toEqual([]);
    // Only the unmapped user reached the workflow: as a refusal in the audit, under a name the gateway cannot vouch for.
    const refused = now.events.filter((e) => e.type === 'APPROVAL_REFUSED');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.message).toContain('may not vouch for slack-unmapped.U0EVE');
    expect(now.events.filter((e) => e.type === 'APPROVED' || e.type === 'REJECTED')).toEqual([]);
    await handle.terminate('test finished');
  });
});
