/**
 * Payload encryption end to end on the run's dev server (real persistence): a remediation runs with
 * the AES-256-GCM codec, and the raw history bytes the server stores hold none of the incident's
 * payloads, while the audit timeline, the record (status, backtest) and replay read the decrypted
 * history; `remediate audit` and `status` processes read it with the key file and refuse it clearly
 * without. After a rotation (current B, A kept) the history still reads; without A it is a clear error.
 */
import { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { backtest } from '../../client/backtest';
import { readRecord, type History } from '../../client/history';
import { readRemediations } from '../../client/records';
import { replayHistories } from '../../client/replay';
import { submitIncident } from '../../client/submit';
import { buildTimeline } from '../../client/timeline';
import { ENCRYPTED_ENCODING as ENCRYPTED, PayloadDecryptionError } from '../../codec/aes-gcm-codec';
import { dataConverterOf } from '../../codec/data-converter';
import { decodeHistory, fetchDecodedHistory } from '../../codec/decode-history';
import { readKeyRing } from '../../codec/key-ring';
import { remediationWorkflowId } from '../../contracts/messages';
import type { CompiledCatalogue, Incident } from '../../dsl/types';
import { WORKFLOWS_PATH } from '../../worker/build-worker';
import { startIntakeService } from '../../intake/service';
import { createEngineMetrics } from '../../telemetry/metrics';
import { ensureTemporalCli } from '../../toolchain/temporal-cli';
import { parseOperatorPolicy } from '../../worker/operator-policy';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { hasStackTrace, remediateAsync } from '../cli/run-cli';
import { compileFixture, incident, startWorker } from '../harness/engine';
import { startSimulatedCluster, type SimulatedCluster } from '../harness/simulated-cluster';
import { connectDevServer } from '../harness/temporal';

const fixtures = join(import.meta.dirname, '../fixtures/workflow');
const dir = mkdtempSync(join(tmpdir(), 'remediate-encryption-'));
const KEY_A = Buffer.alloc(32, 0x5a).toString('base64');
const KEY_B = Buffer.alloc(32, 0x7b).toString('base64');
// Distinctive values, so finding any of them in the raw bytes cannot be a coincidence.
const POD = 'pod-ctx-qv93zt';
const NAMESPACE = 'ns-ctx-h41kpw';
const INCIDENT_ID = `INC-enc-${Date.now().toString(36)}`;
const SERVICE = `svc-enc-${Date.now().toString(36)}`;

function keyFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  chmodSync(file, 0o600);
  return file;
}
const ONLY_A = keyFile('a.yaml', `current: a\nkeys:\n  a: ${KEY_A}\n`);
const ROTATED = keyFile('rotated.yaml', `current: b\nkeys:\n  a: ${KEY_A}\n  b: ${KEY_B}\n`);
const ONLY_B = keyFile('b.yaml', `current: b\nkeys:\n  b: ${KEY_B}\n`);
const codecsOf = (file: string) => dataConverterOf(readKeyRing(file))!.payloadCodecs;

let env: TestWorkflowEnvironment;
let cluster: SimulatedCluster;
let catalogue: CompiledCatalogue;
let worker: Awaited<ReturnType<typeof startWorker>>;
let raw: History;
const secretIncident: Incident = incident({
  id: INCIDENT_ID,
  root_cause: 'CrashLoopBackOff',
  confidence: 0.95,
  service: SERVICE,
  context: { pod_name: POD, namespace: NAMESPACE },
});

beforeAll(async () => {
  env = await connectDevServer();
  cluster = await startSimulatedCluster({ pods: { [POD]: { ready: false, restarts: 1, replicas: 3 } } });
  catalogue = compileFixture(
    join(fixtures, 'runbooks.yaml'),
    { TARGET: cluster.url, RECORDER: join(fixtures, 'record-args.mjs'), RECORD_FILE: join(dir, 'args.jsonl') },
    { allowedPrograms: ['node'] },
  );
  worker = await startWorker(env, { catalogue, dataConverter: dataConverterOf(readKeyRing(ONLY_A)) });
  const { handle } = await submitIncident(worker.client, { incident: secretIncident, taskQueue: worker.taskQueue });
  expect(await handle.result()).toMatchObject({ outcome: 'remediated', runbook: 'restart-pod' });
  // env.client has no codec: the history exactly as the server stores it.
  raw = await env.client.workflow.getHandle(remediationWorkflowId(INCIDENT_ID)).fetchHistory();
});

afterAll(async () => {
  await worker?.stop();
  await cluster?.close();
});

/** The history as the server serialises it. */
const bytesOf = (history: History) => Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('latin1');

/**
 * The history without what the server must read in the clear: its search attributes, the visibility
 * index (service, runbook, decision, outcome) `remediate list` queries, and the workflow id.
 */
function withoutIdentity(history: History): History {
  const copy = temporal.api.history.v1.History.decode(temporal.api.history.v1.History.encode(history).finish());
  for (const event of copy.events) {
    event.upsertWorkflowSearchAttributesEventAttributes = null;
    const started = event.workflowExecutionStartedEventAttributes;
    if (started) {
      started.searchAttributes = null;
      started.workflowId = '';
    }
  }
  return copy;
}

/** Where payloads that are not encrypted are, as dotted paths into the history's JSON. */
function plainPayloadPaths(history: History): string[] {
  const found: string[] = [];
  const walk = (value: unknown, path: string) => {
    if (typeof value !== 'object' || value === null) return;
    const payloads = Reflect.get(value, 'payloads');
    if (Array.isArray(payloads)) {
      for (const payload of payloads as { metadata?: { encoding?: string } }[])
        if (Buffer.from(payload.metadata?.encoding ?? '', 'base64').toString() !== 'binary/encrypted') found.push(path);
      return;
    }
    for (const [key, child] of Object.entries(value)) walk(child, path ? `${path}.${key}` : key);
  };
  walk(JSON.parse(historyToJSON(history)), '');
  return found;
}

describe('payload encryption', () => {
  it('stores no incident or context plaintext in the raw history the server holds', () => {
    const bytes = bytesOf(raw);
    expect(bytes).toContain('binary/encrypted');
    expect(bytes).toContain('encryption-key-id');
    for (const plain of [POD, NAMESPACE, 'CrashLoopBackOff', 'delete_pod', cluster.url]) expect(bytes, plain).not.toContain(plain);
    // By design, the incident id is in the workflow id (one remediation per incident) and the service is
    // a search attribute (visibility): the server needs both in the clear. Nowhere else.
    expect(bytes).toContain(INCIDENT_ID);
    expect(bytes).toContain(SERVICE);
    const rest = bytesOf(withoutIdentity(raw));
    expect(rest).not.toContain(INCIDENT_ID);
    expect(rest).not.toContain(SERVICE);
    // What else stays JSON is Core's own bookkeeping: patch ids, and a local activity's seq, attempt and type.
    expect(new Set(plainPayloadPaths(withoutIdentity(raw)).map((path) => path.replace(/^events\.\d+\./, '')))).toEqual(
      new Set(['markerRecordedEventAttributes.details.patch-data', 'markerRecordedEventAttributes.details.data']),
    );
    // The worker really ran the step on the cluster with the decrypted values.
    expect(cluster.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([`/pods/${POD}`]);
  });

  it('reads back as the record, the audit timeline and the backtest, decrypted', async () => {
    const handle = worker.client.workflow.getHandle(remediationWorkflowId(INCIDENT_ID));
    const history = await fetchDecodedHistory(handle);
    const record = readRecord(history);
    expect(record.input.incident).toMatchObject({ id: INCIDENT_ID, service: SERVICE, context: { pod_name: POD } });
    expect(record.closed?.result?.outcome).toBe('remediated');
    const timeline = buildTimeline(history);
    expect(timeline.incident.id).toBe(INCIDENT_ID);
    expect(timeline.entries.map((e) => e.summary).join('\n')).toContain('delete_pod');
    // Backtest and stats read through visibility and then each history.
    const query = `WorkflowId = '${remediationWorkflowId(INCIDENT_ID)}'`;
    let stored = await readRemediations(worker.client, query, 10);
    for (let i = 0; i < 100 && stored.records.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stored = await readRemediations(worker.client, query, 10);
    }
    expect(stored.skipped).toEqual([]);
    const [row] = backtest(stored.records, catalogue);
    expect(row).toMatchObject({ incidentId: INCIDENT_ID, service: SERVICE, outcome: 'remediated', changed: false });
    // A client without the codec cannot read it, and says so.
    const plainClient = new Client({ connection: env.connection });
    await expect(readRemediations(plainClient, query, 10)).rejects.toThrow(PayloadDecryptionError);
  });

  it('replays the exported (still encrypted) history with the key ring, and refuses it clearly without', async () => {
    const json = JSON.parse(historyToJSON(raw)) as unknown;
    expect(JSON.stringify(json)).not.toContain(POD);
    const [outcome] = await replayHistories([{ file: 'encrypted.json', json }], WORKFLOWS_PATH, codecsOf(ONLY_A));
    expect(outcome).toEqual({ file: 'encrypted.json', ok: true });
    await expect(replayHistories([{ file: 'encrypted.json', json }], WORKFLOWS_PATH)).rejects.toThrow(
      /cannot decrypt a payload encrypted with key "a": encryption is off in this process\. Set REMEDIATE_ENCRYPTION_KEYS_FILE/,
    );
  });

  it('still reads after a rotation (current b, a kept), and gives a clear error once a is dropped', async () => {
    const copy = () => temporal.api.history.v1.History.decode(temporal.api.history.v1.History.encode(raw).finish());
    const rotated = await decodeHistory(copy(), codecsOf(ROTATED));
    expect(readRecord(rotated).input.incident.context).toEqual({ pod_name: POD, namespace: NAMESPACE });
    const error = await decodeHistory(copy(), codecsOf(ONLY_B)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect(error!.message).toContain(`cannot decrypt a payload encrypted with key "a": no key "a" in the key ring (it has b)`);
    expect(error!.message).toContain(`Check the key file ${ONLY_B} (REMEDIATE_ENCRYPTION_KEYS_FILE)`);
  });

  it('`remediate audit` and `status` read it with the key file; without one, or without the old key, a clear error', async () => {
    const cliEnv = { TEMPORAL_ADDRESS: inject('devServerAddress') };
    const audit = await remediateAsync(['audit', INCIDENT_ID, '--json'], { env: { ...cliEnv, REMEDIATE_ENCRYPTION_KEYS_FILE: ROTATED } });
    expect(audit.stderr).toBe('');
    expect(audit.status).toBe(0);
    expect(JSON.parse(audit.stdout)).toMatchObject({ incident: { id: INCIDENT_ID, service: SERVICE }, outcome: 'remediated' });
    const status = await remediateAsync(['status', INCIDENT_ID, '--json'], { env: { ...cliEnv, REMEDIATE_ENCRYPTION_KEYS_FILE: ONLY_A } });
    expect(status.status).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ execution: 'COMPLETED', remediation: { outcome: 'remediated' } });
    for (const [keys, message] of [
      [
        undefined,
        /^remediate: cannot decrypt a payload encrypted with key "a": encryption is off in this process\. Set REMEDIATE_ENCRYPTION_KEYS_FILE/,
      ],
      [ONLY_B, /^remediate: cannot decrypt a payload encrypted with key "a": no key "a" in the key ring \(it has b\)/],
    ] as const) {
      const refused = await remediateAsync(['audit', INCIDENT_ID], {
        env: { ...cliEnv, ...(keys ? { REMEDIATE_ENCRYPTION_KEYS_FILE: keys } : {}) },
      });
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(message);
      expect(hasStackTrace(refused.stderr)).toBe(false);
      expect(refused.stdout).not.toContain(POD);
    }
  });

  it("the Temporal CLI shows the decrypted history through serve's codec server, with the token", async () => {
    const token = 'codec-cli-token';
    const policy = parseOperatorPolicy(
      join(dir, 'policy.yaml'),
      `intake:\n  sources:\n    cli: { token_sha256: "${createHash('sha256').update(token).digest('hex')}", routes: [codec] }\n`,
      () => '',
      {},
    );
    const server = await startIntakeService({
      client: worker.client,
      taskQueue: worker.taskQueue,
      coordinatorId: worker.guardrailsWorkflowId,
      policy: policy.intake,
      alertmanagerRules: [],
      listen: { host: '127.0.0.1', port: 0 },
      metrics: createEngineMetrics(),
      log: () => undefined,
      codec: { codec: codecsOf(ONLY_A)[0]! },
    });
    try {
      const cli = await ensureTemporalCli(() => undefined);
      const show = (extra: string[]) =>
        promisify(execFile)(cli.path, [
          'workflow',
          'show',
          '--address',
          inject('devServerAddress'),
          '--workflow-id',
          remediationWorkflowId(INCIDENT_ID),
          '--output',
          'json',
          ...extra,
        ]);
      // The CLI prints payloads as stored, base64: the incident input is the first event's.
      const firstInput = (stdout: string) => {
        const payload = (
          JSON.parse(stdout) as { events: { workflowExecutionStartedEventAttributes?: { input: { payloads: { data: string }[] } } }[] }
        ).events[0]!.workflowExecutionStartedEventAttributes!.input.payloads[0]!;
        return Buffer.from(payload.data, 'base64').toString('latin1');
      };
      const without = await show([]);
      expect(without.stdout).toContain(Buffer.from(ENCRYPTED).toString('base64'));
      expect(firstInput(without.stdout)).not.toContain(POD);
      const decoded = await show(['--codec-endpoint', `${server.url}/codec`, '--codec-auth', `Bearer ${token}`]);
      expect(decoded.stdout).not.toContain(Buffer.from(ENCRYPTED).toString('base64'));
      expect(JSON.parse(firstInput(decoded.stdout))).toMatchObject({
        incident: { id: INCIDENT_ID, context: { pod_name: POD, namespace: NAMESPACE } },
      });
      // Without the token the server refuses (401) every decode the CLI tries, until the CLI gives up.
      const refused = await show(['--codec-endpoint', `${server.url}/codec`, '--command-timeout', '3s']).then(
        ({ stdout }) => stdout,
        (error: Error & { stdout?: string }) => `failed: ${error.stdout ?? ''}`,
      );
      expect(refused).toMatch(/^failed: /);
      expect(refused).not.toContain(Buffer.from(POD).toString('base64').slice(0, 8));
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      // Counted: the CLI's decodes with the token, and the refusals without it.
      expect(metrics).toMatch(/remediate_incidents_received_total\{source="cli",result="ok"\} [1-9]/);
      expect(metrics).toMatch(/remediate_incidents_received_total\{source="other",result="unauthorized"\} [1-9]/);
    } finally {
      await server.close();
    }
  });
});
