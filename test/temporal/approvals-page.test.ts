/**
 * The approvals page in a real browser (headless Chromium, playwright-core) against `remediate
 * serve`'s intake service, a real worker and the real Temporal dev server: sign in, see the plan and
 * its live pre-checks, approve, and the remediation proceeds to its outcome; each refusal (a wrong
 * password, a missing CSRF token, a user who is no approver, the same user twice, the submitter
 * approving their own incident) is a clear message on the page. With RECORD_SCREENSHOTS=1 it writes the screenshots in docs/
 * (an ordinary run takes them too, into a temporary folder, so a run leaves the work tree clean).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdtempSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../approvals/web/passwords';
import { submitIncident } from '../../client/submit';
import type { RemediationResult } from '../../contracts/types';
import { parseAllowedSigners } from '../../dsl/trust/allowed-signers';
import { incidentSha256, submissionStatementText } from '../../dsl/trust/statement';
import type { Incident } from '../../dsl/types';
import { startIntakeService } from '../../intake/service';
import type { IntakeServer } from '../../intake/server';
import { createEngineMetrics } from '../../telemetry/metrics';
import { parseOperatorPolicy } from '../../worker/operator-policy';
import { launchChromium } from '../harness/browser';
import { compileFixture, incident, startWorker } from '../harness/engine';
import { startSimulatedCluster, type SimulatedCluster } from '../harness/simulated-cluster';
import { sshKeygenKey, type SshKeygenKey } from '../harness/ssh-keys';
import { connectDevServer } from '../harness/temporal';

const DOCS_FOLDER = join(import.meta.dirname, '../../docs');
const DOCS = process.env.RECORD_SCREENSHOTS === '1' ? DOCS_FOLDER : mkdtempSync(join(tmpdir(), 'remediate-screenshots-'));
const PASSWORDS = { alice: 'alice-pass-1', bob: 'bob-pass-22', carol: 'carol-pass-3', mallory: 'mallory-pass' } as const;
type User = keyof typeof PASSWORDS;
const run = Date.now().toString(36);
let seq = 0;

let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof startWorker>>;
let cluster: SimulatedCluster;
let server: IntakeServer;
let browser: Browser;
let dir: string;
let carol: SshKeygenKey;

beforeAll(async () => {
  browser = await launchChromium();
  dir = await mkdtemp(join(tmpdir(), 'remediate-approvals-page-'));
  env = await connectDevServer();
  cluster = await startSimulatedCluster();
  const gateway = await sshKeygenKey(dir, 'approvals-web');
  carol = await sshKeygenKey(dir, 'carol');
  const signersText = `${gateway.allowedSignersLine}\n${carol.allowedSignersLine}\n`;
  const catalogue = compileFixture(
    join(import.meta.dirname, '../fixtures/workflow/runbooks.yaml'),
    { TARGET: cluster.url, RECORDER: '/bin/true', RECORD_FILE: '/dev/null' },
    { allowedPrograms: ['node'] },
  );
  const users = await Promise.all(
    Object.entries(PASSWORDS).map(
      async ([name, password]) => `    ${name}: { password_scrypt: "${await hashPassword(password, { N: 1024, r: 8, p: 1 })}" }`,
    ),
  );
  const policy = parseOperatorPolicy(
    join(dir, 'policy.yaml'),
    [
      'allowed_signers: allowed_signers',
      'approvers: { groups: { sre: [bob] } }',
      'gateways:',
      '  - { principal: approvals-web, vouches_for: [alice, bob, carol, mallory] }',
      'approvals_page:',
      '  gateway: { principal: approvals-web, signing_key_file: approvals-web }',
      '  session_minutes: 30',
      '  users:',
      ...users,
    ].join('\n'),
    () => signersText,
    {},
  );
  worker = await startWorker(env, {
    catalogue,
    policy: { limits: { maxConcurrent: 10, maxServices: 10 } },
    operator: { approverGroups: { sre: ['bob'] }, trust: policy.trust },
  });
  server = await startIntakeService({
    client: env.client,
    taskQueue: worker.taskQueue,
    coordinatorId: worker.guardrailsWorkflowId,
    policy: policy.intake,
    alertmanagerRules: [],
    listen: { host: '127.0.0.1', port: 0 },
    metrics: createEngineMetrics(),
    log: () => undefined,
    approvalsPage: { policy: policy.approvalsPage!, activities: worker.plan.activities! },
  });
  expect(parseAllowedSigners(signersText).errors).toEqual([]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await worker?.stop();
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
});

/** An incident of its own service, with a deployment the target knows: revision 2 is bad, 1 is good. */
async function submit(rootCause: 'error_rate_spike_after_deploy' | 'error_rate_spike_needs_two', by?: SshKeygenKey) {
  seq += 1;
  const service = `checkout-${run}-${seq}`;
  cluster.state.deployments[service] = { replicas: 3, revision: 2, errorRateByRevision: { 1: 0.01, 2: 0.4 } };
  const inc: Incident = incident({
    id: `WEB-${run}-${seq}`,
    root_cause: rootCause,
    confidence: 0.95,
    service,
    services: [service],
    context: { deployment: service, namespace: 'production' },
  });
  let submission;
  if (by) {
    const text = submissionStatementText({
      kind: 'remediate.submission',
      version: 1,
      incidentId: inc.id,
      incidentSha256: incidentSha256(inc),
      at: new Date().toISOString(),
    });
    submission = { statement: text, signature: await by.sign(text) };
  }
  const { handle } = await submitIncident(env.client, {
    incident: inc,
    ...(submission ? { submission } : {}),
    taskQueue: worker.taskQueue,
  });
  await waitForApproval(handle.workflowId);
  return { id: inc.id, handle };
}

async function waitForApproval(workflowId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await env.client.workflow
      .getHandle(workflowId)
      .query<{ phase: string }>('status')
      .catch(() => undefined);
    if (status?.phase === 'awaiting_approval') return;
    if (Date.now() > deadline) throw new Error(`${workflowId} never waited for approval`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function signIn(user: User, width = 1100): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/approvals`);
  await page.fill('#user', user);
  await page.fill('#password', PASSWORDS[user]);
  await page.click('button[type=submit]');
  await expect.poll(() => page.textContent('h1')).toBe('Pending approvals');
  return page;
}

async function openIncident(page: Page, id: string): Promise<void> {
  await page.goto(`${server.url}/approvals/${encodeURIComponent(id)}`);
}

async function approve(page: Page): Promise<string> {
  await page.click('button.approve');
  return (await page.textContent('.notice')) ?? '';
}

describe('the approvals page in Chromium', () => {
  it('a wrong password is refused, and the same message for an unknown user', async () => {
    const page = await (await browser.newContext()).newPage();
    for (const [user, password] of [
      ['alice', 'not-her-password'],
      ['nobody', 'whatever'],
    ]) {
      await page.goto(`${server.url}/approvals/login`);
      await page.fill('#user', user!);
      await page.fill('#password', password!);
      await page.click('button[type=submit]');
      expect(await page.textContent('.notice')).toBe('Wrong user name or password.');
    }
    await page.goto(`${server.url}/approvals`);
    expect(page.url()).toBe(`${server.url}/approvals/login`);
    await page.context().close();
  });

  it('signs in, shows the plan and the live pre-checks, approves, and the remediation proceeds to remediated', async () => {
    const { id, handle } = await submit('error_rate_spike_after_deploy');
    const page = await signIn('alice');
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'remediate_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: true });
    expect(await page.textContent('main')).toContain(id);
    await page.screenshot({ path: join(DOCS, 'approvals-list.png'), fullPage: true });
    await openIncident(page, id);
    const status = await env.client.workflow.getHandle(handle.workflowId).query<{ planHash: string }>('status');
    const text = (await page.textContent('main')) ?? '';
    expect(text).toContain(status.planHash);
    expect(text).toContain('rollback-deployment');
    expect(text).toMatch(/passes\s+deployment_exists \(live\)/);
    expect(text).toMatch(/passes\s+previous_revision_available \(live\)/);
    expect(await page.inputValue('form.decide input[name=plan_hash] >> nth=0')).toBe(status.planHash);
    const phone = await (
      await browser.newContext({ viewport: { width: 390, height: 844 }, storageState: await page.context().storageState() })
    ).newPage();
    await openIncident(phone, id);
    await phone.screenshot({ path: join(DOCS, 'approvals-incident.png'), fullPage: true });
    await phone.context().close();
    expect(await approve(page)).toContain('Counted: 1 of 1');
    const result: RemediationResult = await handle.result();
    expect(result.outcome).toBe('remediated');
    expect(result.approvals).toEqual([expect.objectContaining({ by: 'alice', via: 'approvals-web' })]);
    await page.context().close();
  });

  it('a form without its CSRF token is refused and changes nothing', async () => {
    const { id, handle } = await submit('error_rate_spike_after_deploy');
    const page = await signIn('alice');
    await openIncident(page, id);
    await page
      .locator('form.decide input[name=csrf]')
      .first()
      .evaluate((input) => input.remove());
    await page.click('button.approve');
    expect(await page.textContent('.notice')).toContain(
      'its security token is missing or does not match your session. Nothing was changed',
    );
    const status = await env.client.workflow.getHandle(handle.workflowId).query<{ phase: string; approvals: unknown[] }>('status');
    expect(status).toMatchObject({ phase: 'awaiting_approval', approvals: [] });
    await reject(page, id, 'test done');
    await page.context().close();
  });

  it('a user who is no approver of the runbook is refused', async () => {
    const { id } = await submit('error_rate_spike_after_deploy');
    const page = await signIn('mallory');
    await openIncident(page, id);
    expect(await approve(page)).toContain(
      'Refused: approve from mallory (via approvals-web): mallory is not an authorised approver for this runbook',
    );
    await page.context().close();
    await reject(await signIn('alice'), id, 'test done');
  });

  it('the same user approving twice counts once; a second approver completes the quorum', async () => {
    const { id, handle } = await submit('error_rate_spike_needs_two');
    const alice = await signIn('alice');
    await openIncident(alice, id);
    expect(await approve(alice)).toContain('Counted: 1 of 2');
    // Post/redirect/get: the answer came on the incident's own page; reloading it shows the page, posts nothing.
    expect(alice.url()).toBe(`${server.url}/approvals/${encodeURIComponent(id)}`);
    await alice.reload();
    expect(await alice.locator('.notice').count()).toBe(0);
    const afterReload = await env.client.workflow.getHandle(handle.workflowId).query<{ approvals: unknown[] }>('status');
    expect(afterReload.approvals).toHaveLength(1);
    expect(await approve(alice)).toContain('Refused: alice (via approvals-web) already approved; a quorum needs distinct approvers');
    const bob = await signIn('bob');
    await openIncident(bob, id);
    expect(await approve(bob)).toContain('Counted: 2 of 2');
    expect((await handle.result()).outcome).toBe('remediated');
    await alice.context().close();
    await bob.context().close();
  });

  it('the submitter cannot approve their own incident', async () => {
    const { id } = await submit('error_rate_spike_needs_two', carol);
    const page = await signIn('carol');
    await openIncident(page, id);
    expect(await approve(page)).toContain(
      'Refused: approve from carol (via approvals-web): carol submitted this incident and cannot approve it',
    );
    await page.context().close();
    await reject(await signIn('alice'), id, 'test done');
  });
});

async function reject(page: Page, id: string, reason: string): Promise<void> {
  await openIncident(page, id);
  await page.fill('#reason', reason);
  await page.click('button.reject');
  expect(await page.textContent('.notice')).toContain('Rejected:');
}
