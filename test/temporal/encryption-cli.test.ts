/**
 * Encryption as an operator runs it: a `remediate worker` process and `remediate submit`, `history
 * export` and `replay` processes, all with REMEDIATE_ENCRYPTION_KEYS_FILE, against the run's dev
 * server. The server stores no incident context; the export keeps it encrypted; replay decrypts it
 * with the key file and refuses it clearly without.
 */
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { demoIncidents } from '../../demo/scenario';
import { connectDevServer } from '../harness/temporal';
import { startSimulatedCluster, type SimulatedCluster } from '../harness/simulated-cluster';
import { uniqueTaskQueue } from '../harness/temporal';
import { CliProcess, hasStackTrace, remediateAsync } from '../cli/run-cli';

const RUNBOOKS = fileURLToPath(new URL('../fixtures/cli/simulated-runbooks.yaml', import.meta.url));
const stamp = Date.now().toString(36);
const POD = `pod-secret-${stamp}`;
const incident = demoIncidents(stamp, POD)[0]!.incident;

let cluster: SimulatedCluster;
let worker: CliProcess;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'remediate-encryption-cli-'));
  cluster = await startSimulatedCluster({ pods: { [POD]: { ready: false, restarts: 1, replicas: 3 } } });
  mkdirSync(join(dir, 'runbooks'));
  writeFileSync(join(dir, 'runbooks', 'runbooks.yaml'), readFileSync(RUNBOOKS, 'utf8').replaceAll('${CLUSTER}', cluster.url));
  const keys = join(dir, 'keys.yaml');
  writeFileSync(keys, `current: k1\nkeys:\n  k1: ${Buffer.alloc(32, 0x42).toString('base64')}\n`);
  chmodSync(keys, 0o600);
  const taskQueue = uniqueTaskQueue('enc-cli');
  env = {
    TEMPORAL_ADDRESS: inject('devServerAddress'),
    REMEDIATE_TASK_QUEUE: taskQueue,
    REMEDIATE_GUARDRAILS_ID: `guardrails-${taskQueue}`,
    REMEDIATE_NOTIFY_LOG: join(dir, 'notifications.jsonl'),
    REMEDIATE_ENCRYPTION_KEYS_FILE: keys,
  };
  worker = new CliProcess(['worker', '--runbooks', join(dir, 'runbooks')], env);
  await worker.waitFor(/\[worker\] polling task queues "enc-cli-/);
});

afterAll(async () => {
  if (worker?.child.exitCode === null) await worker.interrupt();
  await cluster?.close();
});

describe('encryption through the CLI', () => {
  it('submit and the worker encrypt; export keeps it encrypted; replay decrypts it with the key file only', async () => {
    const submitted = await remediateAsync(['submit', '-', '--wait', '--json'], { env, input: JSON.stringify(incident) });
    expect(submitted.status, submitted.stderr).toBe(0);
    expect(JSON.parse(submitted.stdout)).toMatchObject({ result: { outcome: 'remediated' } });
    expect(cluster.requests.some((r) => r.method === 'DELETE' && r.path === `/pods/${POD}`)).toBe(true);

    // What the server stores, read without any codec.
    const plain = await connectDevServer();
    const raw = await new Client({ connection: plain.connection }).workflow.getHandle(`incident-${incident.id}`).fetchHistory();
    await plain.teardown();
    const bytes = Buffer.from(temporal.api.history.v1.History.encode(raw).finish()).toString('latin1');
    expect(bytes).toContain('binary/encrypted');
    expect(bytes).not.toContain(POD);

    const file = join(dir, 'export.json');
    const exported = await remediateAsync(['history', 'export', incident.id, '-o', file], { env });
    expect(exported.status, exported.stderr).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(Buffer.from('binary/encrypted').toString('base64'));
    expect(text).not.toContain(Buffer.from(POD).toString('base64').slice(0, 12));

    const replayed = await remediateAsync(['replay', file, '--json'], { env });
    expect(replayed.status, replayed.stderr).toBe(0);
    expect(JSON.parse(replayed.stdout)).toEqual([{ file, ok: true }]);
    const { REMEDIATE_ENCRYPTION_KEYS_FILE: _, ...withoutKeys } = env;
    const refused = await remediateAsync(['replay', file], { env: withoutKeys });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^remediate: cannot decrypt a payload encrypted with key "k1": encryption is off in this process/);
    expect(hasStackTrace(refused.stderr)).toBe(false);
  });
});
