/**
 * `remediate serve` over HTTPS, as an operator deploys it: the policy's `intake.tls` names a
 * certificate (made here with openssl, signed by a CA of the test's own) and its key. A client that
 * trusts the CA is answered; one that does not, and plain HTTP to the same port, are refused before
 * any route runs. The real Alertmanager, given the CA (`tls_config.ca_file`) and the bearer token,
 * delivers an alert that becomes a remediation; the same Alertmanager without the CA fails its
 * delivery and nothing starts. Every request the intake answered is counted from its own /metrics.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { remediationWorkflowId } from '../../contracts/messages';
import { alertIncidentId } from '../../intake/alertmanager';
import type { RemediationResult } from '../../contracts/types';
import { startAlertmanager, type AlertmanagerServer } from '../../toolchain/alertmanager-server';
import { CliProcess } from '../cli/run-cli';
import { startWorker } from '../harness/engine';
import { shippedCatalogue } from '../harness/shipped-catalogue';
import { parsePrometheusText } from '../harness/prometheus-text';
import { connectDevServer } from '../harness/temporal';

const TOKEN = randomUUID();
const run = randomUUID().slice(0, 8);
const sha = (token: string) => createHash('sha256').update(token).digest('hex');

let dir: string;
let ca: Buffer;
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof startWorker>>;
let serve: CliProcess;
let url: string;
const alertmanagers: AlertmanagerServer[] = [];

/** A CA and a server certificate for 127.0.0.1 (an IP SAN, as clients check) that it signed. */
async function makeCertificates(folder: string): Promise<void> {
  const openssl = (...args: string[]) => promisify(execFile)('openssl', args, { cwd: folder });
  await openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
  await openssl('req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=remediate test CA', '-days', '2', '-out', 'ca.crt');
  await openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'intake.key');
  await openssl('req', '-new', '-key', 'intake.key', '-subj', '/CN=127.0.0.1', '-out', 'intake.csr');
  await writeFile(join(folder, 'san.ext'), 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n');
  await openssl(
    'x509',
    '-req',
    '-in',
    'intake.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'intake.crt',
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remediate-intake-tls-'));
  await makeCertificates(dir);
  ca = await readFile(join(dir, 'ca.crt'));
  env = await connectDevServer();
  worker = await startWorker(env, { catalogue: shippedCatalogue() });
  await writeFile(
    join(dir, 'policy.yaml'),
    [
      'intake:',
      '  listen: 127.0.0.1:0',
      '  tls: { cert_file: intake.crt, key_file: intake.key }',
      '  sources:',
      `    alertmanager: { token_sha256: ${sha(TOKEN)}, routes: [alertmanager] }`,
      'alertmanager:',
      '  rules:',
      '    - name: tls-check',
      '      match: { alertname: TlsDelivery }',
      '      root_cause: nothing_matches_this',
      '      service: { label: service }',
      '      confidence: { default: 0.9 }',
    ].join('\n'),
  );
  // The intake only: remediations run on the test's worker, whose coordinator /readyz checks.
  serve = new CliProcess(['serve', '--no-worker', '--policy', join(dir, 'policy.yaml')], {
    TEMPORAL_ADDRESS: inject('devServerAddress'),
    REMEDIATE_TASK_QUEUE: worker.taskQueue,
    REMEDIATE_GUARDRAILS_ID: worker.guardrailsWorkflowId,
  });
  url = (await serve.waitFor(/intake listening on (\S+) /, 90_000))[1]!;
});

afterAll(async () => {
  for (const alertmanager of alertmanagers) await alertmanager.stop();
  if (serve?.child.exitCode === null) await serve.interrupt();
  await worker?.stop();
  await env?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  text: string;
}

/** One GET over HTTPS, trusting `trust` (undefined: the system's roots only, which do not hold the test CA). */
function getHttps(path: string, trust: Buffer | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(`${url}${path}`, { ca: trust }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.once('error', reject);
    request.end();
  });
}

/**
 * The intake's own count of the requests it answered, as `source/result`, but for the GETs this
 * test makes (source `other`: /readyz and this very /metrics).
 */
async function intakeCounts(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const family = parsePrometheusText((await getHttps('/metrics', ca)).text).get('remediate_incidents_received_total');
  for (const sample of family?.samples ?? [])
    if (sample.labels.source !== 'other') counts.set(`${sample.labels.source}/${sample.labels.result}`, sample.value);
  return counts;
}

/** Posts an alert to Alertmanager's own API, as Prometheus would. */
async function raiseAlert(alertmanager: AlertmanagerServer, service: string): Promise<void> {
  const response = await fetch(`${alertmanager.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ labels: { alertname: 'TlsDelivery', service }, annotations: {} }]),
  });
  expect(response.status).toBe(200);
}

/** Alertmanager's own count of its failed webhook deliveries (summed over its reason labels). */
async function webhookFailures(alertmanager: AlertmanagerServer): Promise<number> {
  const text = await (await fetch(`${alertmanager.url}/metrics`)).text();
  const lines = text.split('\n').filter((line) => /^alertmanager_notifications_failed_total\{[^}]*integration="webhook"/.test(line));
  return lines.reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The workflow id the intake gives the service's alert: from its fingerprint and startsAt, as Alertmanager reports them. */
async function workflowIdOfAlert(alertmanager: AlertmanagerServer, service: string): Promise<string> {
  const query = new URLSearchParams({ filter: `service="${service}"` });
  const alerts = (await (await fetch(`${alertmanager.url}/api/v2/alerts?${query}`)).json()) as { fingerprint: string; startsAt: string }[];
  expect(alerts).toHaveLength(1);
  return remediationWorkflowId(alertIncidentId({ fingerprint: alerts[0]!.fingerprint, startsAtMs: Date.parse(alerts[0]!.startsAt) }));
}

async function exists(workflowId: string): Promise<boolean> {
  try {
    await env.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

describe('remediate serve over HTTPS', () => {
  it('answers a client that trusts its CA; refuses one that does not, and plain HTTP, before any route', async () => {
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await getHttps('/readyz', ca)).toMatchObject({ status: 200 });
    await expect(getHttps('/healthz', undefined)).rejects.toMatchObject({
      code: expect.stringMatching(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/),
    });
    const plain = new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${url.replace('https:', 'http:')}/v1/alertmanager`, { method: 'POST' }, (response) =>
        resolve(response.statusCode ?? 0),
      );
      request.once('error', reject);
      request.end('{}');
    });
    // Node's TLS server answers a plain-HTTP request with a bare 400 and closes, or drops the connection: either way no route.
    const outcome = await plain.then(
      (status) => `status ${status}`,
      (error: NodeJS.ErrnoException) => error.code ?? 'error',
    );
    expect(outcome).toMatch(/^(status 400|ECONNRESET|EPIPE)$/);
    expect(await intakeCounts()).toEqual(new Map());
  });

  it('the real Alertmanager delivers over HTTPS with the CA and the token; the alert becomes a remediation', async () => {
    const service = `tls-ok-${run}-${Date.now()}`;
    const delivered = (await intakeCounts()).get('alertmanager/ok') ?? 0;
    const alertmanager = await startAlertmanager({
      binary: inject('alertmanagerPath'),
      config: {
        route: { groupBy: ['alertname', 'service'], groupWait: '1s', groupInterval: '1s', repeatInterval: '1h' },
        webhook: { url: `${url}/v1/alertmanager`, bearer: { credentials: TOKEN }, caFile: join(dir, 'ca.crt') },
      },
    });
    alertmanagers.push(alertmanager);
    await raiseAlert(alertmanager, service);
    const workflowId = await workflowIdOfAlert(alertmanager, service);
    await until('a remediation for the delivered alert', async () => ((await exists(workflowId)) ? true : undefined));
    const result = (await env.client.workflow.getHandle(workflowId).result()) as RemediationResult;
    expect(result).toMatchObject({ outcome: 'manual', decision: { decision: 'manual' } });
    expect(workflowId).toBe(remediationWorkflowId(result.incidentId));
    expect((await intakeCounts()).get('alertmanager/ok')).toBe(delivered + 1);
    expect(await webhookFailures(alertmanager)).toBe(0);
  });

  it('an Alertmanager that does not trust the certificate cannot deliver, and nothing starts', async () => {
    const service = `tls-untrusted-${run}`;
    const before = await intakeCounts();
    const alertmanager = await startAlertmanager({
      binary: inject('alertmanagerPath'),
      config: {
        route: { groupBy: ['alertname', 'service'], groupWait: '1s', groupInterval: '1s', repeatInterval: '1h' },
        webhook: { url: `${url}/v1/alertmanager`, bearer: { credentials: TOKEN } },
      },
    });
    alertmanagers.push(alertmanager);
    await raiseAlert(alertmanager, service);
    await until('a failed webhook delivery', async () => ((await webhookFailures(alertmanager)) > 0 ? true : undefined));
    expect(await exists(await workflowIdOfAlert(alertmanager, service))).toBe(false);
    expect(await intakeCounts()).toEqual(before);
  });
});
