/**
 * The approvals page signing people in through a real OpenID provider (oidc-provider 9 on loopback,
 * its own login and consent pages) in headless Chromium, against `remediate serve`'s intake service, a
 * real worker and the real Temporal dev server. Sign in at the provider, land on the pending list,
 * approve, and the remediation proceeds. Password sign-in is off; an account the policy does not map is
 * refused; a callback replayed in another browser, or twice, opens no session.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitIncident } from '../../client/submit';
import type { RemediationResult } from '../../contracts/types';
import { startIntakeService } from '../../intake/service';
import type { IntakeServer } from '../../intake/server';
import { createEngineMetrics } from '../../telemetry/metrics';
import { freePort } from '../../toolchain/ports';
import { parseOperatorPolicy } from '../../worker/operator-policy';
import { launchChromium } from '../harness/browser';
import { compileFixture, incident, startWorker } from '../harness/engine';
import { startTestProvider, type TestAccount, type TestProvider } from '../harness/oidc-provider';
import { startSimulatedCluster, type SimulatedCluster } from '../harness/simulated-cluster';
import { sshKeygenKey } from '../harness/ssh-keys';
import { connectDevServer } from '../harness/temporal';

const CLIENT_ID = 'approvals-page';
const CLIENT_SECRET = 'oidc-browser-test-secret-0123456789';
const ACCOUNTS = new Map<string, TestAccount>([
  ['alice-sub', { email: 'alice@example.com', emailVerified: true }],
  ['eve-sub', { email: 'eve@example.com', emailVerified: true }],
]);
const run = Date.now().toString(36);

let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof startWorker>>;
let cluster: SimulatedCluster;
let provider: TestProvider;
let server: IntakeServer;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  browser = await launchChromium();
  dir = await mkdtemp(join(tmpdir(), 'remediate-approvals-oidc-'));
  env = await connectDevServer();
  cluster = await startSimulatedCluster();
  // The provider must know the callback before the page listens: the page's port is chosen first.
  const port = await freePort();
  const redirectUrl = `http://127.0.0.1:${port}/login/oidc/callback`;
  provider = await startTestProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUrl }, ACCOUNTS);
  const gateway = await sshKeygenKey(dir, 'approvals-web');
  await writeFile(join(dir, 'oidc-secret'), `${CLIENT_SECRET}\n`, { mode: 0o600 });
  const policy = parseOperatorPolicy(
    join(dir, 'policy.yaml'),
    [
      'allowed_signers: allowed_signers',
      'gateways:',
      '  - { principal: approvals-web, vouches_for: [alice, eve] }',
      'approvals_page:',
      '  gateway: { principal: approvals-web, signing_key_file: approvals-web }',
      '  oidc:',
      `    issuer: ${provider.issuer}`,
      `    client_id: ${CLIENT_ID}`,
      '    client_secret_file: oidc-secret',
      `    redirect_url: ${redirectUrl}`,
      '    principals: { alice@example.com: alice }',
    ].join('\n'),
    () => `${gateway.allowedSignersLine}\n`,
    {},
  );
  const catalogue = compileFixture(
    join(import.meta.dirname, '../fixtures/workflow/runbooks.yaml'),
    { TARGET: cluster.url, RECORDER: '/bin/true', RECORD_FILE: '/dev/null' },
    { allowedPrograms: ['node'] },
  );
  worker = await startWorker(env, {
    catalogue,
    policy: { limits: { maxConcurrent: 10, maxServices: 10 } },
    operator: { trust: policy.trust },
  });
  server = await startIntakeService({
    client: env.client,
    taskQueue: worker.taskQueue,
    coordinatorId: worker.guardrailsWorkflowId,
    policy: policy.intake,
    alertmanagerRules: [],
    listen: { host: '127.0.0.1', port },
    metrics: createEngineMetrics(),
    log: () => undefined,
    approvalsPage: { policy: policy.approvalsPage!, activities: worker.plan.activities! },
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await provider?.close();
  await worker?.stop();
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
});

/** From the page's sign-in through the provider's login and consent; returns the callback URL the browser was sent to and the sign-in's cookie. */
async function signInAtProvider(page: Page, login: string): Promise<{ url: string; binding: string }> {
  const callback = { url: '', binding: '' };
  page.on('request', (request) => {
    if (request.url().startsWith(`${server.url}/login/oidc/callback`)) callback.url = request.url();
  });
  page.on('response', async (response) => {
    if (new URL(response.url()).pathname !== '/login/oidc') return;
    const cookie = /remediate_oidc=([^;]+)/.exec((await response.headerValue('set-cookie')) ?? '');
    if (cookie?.[1]) callback.binding = cookie[1];
  });
  await page.goto(`${server.url}/approvals`);
  expect(page.url()).toBe(`${server.url}/approvals/login`);
  expect(await page.locator('input[type=password]').count()).toBe(0);
  await page.click('a.button');
  expect(page.url().startsWith(provider.issuer)).toBe(true);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any: the development login checks none');
  await page.click('button[type=submit]');
  await page.click('button[type=submit]');
  // Back on the page: the callback's answer (signed in, or the refusal).
  await page.waitForURL((url) => url.href.startsWith(server.url), { timeout: 10_000 });
  return callback;
}

async function submitForApproval(): Promise<{ id: string; workflowId: string }> {
  const service = `checkout-oidc-${run}`;
  cluster.state.deployments[service] = { replicas: 3, revision: 2, errorRateByRevision: { 1: 0.01, 2: 0.4 } };
  const inc = incident({
    id: `OIDC-${run}`,
    root_cause: 'error_rate_spike_after_deploy',
    confidence: 0.95,
    service,
    services: [service],
    context: { deployment: service, namespace: 'production' },
  });
  const { handle } = await submitIncident(env.client, { incident: inc, taskQueue: worker.taskQueue });
  await expect
    .poll(async () => (await handle.query<{ phase: string }>('status').catch(() => undefined))?.phase, { timeout: 30_000 })
    .toBe('awaiting_approval');
  return { id: inc.id, workflowId: handle.workflowId };
}

describe('OIDC sign-in to the approvals page in Chromium', () => {
  it('signs in at the provider, lands on the pending list as the mapped principal, approves, and the remediation proceeds', async () => {
    const { id, workflowId } = await submitForApproval();
    const context = await browser.newContext();
    const page = await context.newPage();
    const callback = await signInAtProvider(page, 'alice-sub');
    await expect.poll(() => page.textContent('h1')).toBe('Pending approvals');
    expect(await page.textContent('header')).toContain('alice');
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'remediate_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: true });
    // The sign-in's own cookie is spent at the callback.
    expect(cookies.find((c) => c.name === 'remediate_oidc')).toBeUndefined();

    await page.goto(`${server.url}/approvals/${encodeURIComponent(id)}`);
    await page.click('button.approve');
    expect(await page.textContent('.notice')).toContain('Counted: 1 of 1');
    const result: RemediationResult = await env.client.workflow.getHandle(workflowId).result();
    expect(result.outcome).toBe('remediated');
    expect(result.approvals).toEqual([expect.objectContaining({ by: 'alice', via: 'approvals-web' })]);

    // The callback URL again. With this sign-in's own cookie put back it is spent (good once); in a
    // browser without it, it was never started there, even while another sign-in is pending on the page.
    expect(callback.url).toContain('code=');
    expect(callback.binding).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const withCookie = await browser.newContext();
    await withCookie.addCookies([{ name: 'remediate_oidc', value: callback.binding, url: `${server.url}/login/oidc` }]);
    const pending = await (await browser.newContext()).newPage();
    await pending.goto(`${server.url}/login/oidc`);
    expect(pending.url().startsWith(provider.issuer)).toBe(true);
    for (const replay of [await withCookie.newPage(), await (await browser.newContext()).newPage()]) {
      const answer = await replay.goto(callback.url);
      expect(await replay.textContent('.notice')).toContain('this sign-in was not started in this browser, or it has expired');
      expect(answer?.status()).toBe(400);
    }
    await context.close();
  });

  it('an account the policy does not map is refused with the reason, and no session is opened', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInAtProvider(page, 'eve-sub');
    expect(await page.textContent('.notice')).toBe('Not signed in: "eve@example.com" is not mapped to a principal in the operator policy.');
    expect((await context.cookies()).find((c) => c.name === 'remediate_session')).toBeUndefined();
    await page.goto(`${server.url}/approvals`);
    expect(page.url()).toBe(`${server.url}/approvals/login`);
    await context.close();
  });

  it('password sign-in is off: a posted password is refused without being checked', async () => {
    const answer = await fetch(`${server.url}/approvals/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user: 'alice', password: 'anything' }).toString(),
      redirect: 'manual',
    });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('set-cookie')).toBeNull();
    expect(await answer.text()).toContain('Password sign-in is off here');
  });
});
