/**
 * `remediate watch` as a real process on the local cluster: an OOM-killed pod becomes an incident that
 * the watcher posts to the intake service (real HTTP, its bearer token from a file), which starts a
 * remediation on the real worker; restart-pod replaces the pod. SIGTERM stops the watcher cleanly.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemediationResult } from '../../contracts/types';
import { incidentsRoute } from '../../intake/incidents-route';
import { startIntakeServer, type IntakeResult, type IntakeServer } from '../../intake/server';
import { sourceSigner } from '../../intake/submit-incident';
import { parseOperatorPolicy } from '../../worker/operator-policy';
import { CliProcess } from '../cli/run-cli';
import { startKubernetesEngine, type KubernetesEngine } from '../harness/kubernetes-engine';
import { createDeployment, ensureNamespace, kubeconfigPath, livePods, reportContainerFailure, testConnection } from '../harness/kubernetes';

const NS = 'staging';
const TOKEN = randomUUID();
let engine: KubernetesEngine;
let server: IntakeServer;
let dir: string;
const counted: { source: string; route: string; result: IntakeResult }[] = [];
/** The incident id of every request the incidents route answered, with its status. */
const posted: { id: unknown; status: number }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'remediate-watch-'));
  await ensureNamespace(testConnection(), NS);
  engine = await startKubernetesEngine();
  const sha = createHash('sha256').update(TOKEN).digest('hex');
  const policy = parseOperatorPolicy(
    join(dir, 'policy.yaml'),
    `intake:\n  sources:\n    pod-watcher: { token_sha256: ${sha} }\n`,
    () => '',
    {},
  );
  const deps = { client: engine.env.client, taskQueue: engine.taskQueue, sign: sourceSigner(policy.intake.sources) };
  server = await startIntakeServer({
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: policy.intake.maxBodyBytes,
    sources: policy.intake.sources,
    routes: [
      {
        name: 'incidents',
        method: 'POST',
        path: '/v1/incidents',
        handler: async (request) => {
          const response = await incidentsRoute(deps)(request);
          posted.push({ id: (request.body as { id?: unknown } | null)?.id, status: response.status });
          return response;
        },
      },
    ],
    readiness: async () => ({ ready: true }), // readiness itself: test/temporal/intake.test.ts
    events: { received: (source, route, result) => counted.push({ source, route, result }) },
  });
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
});

afterAll(async () => {
  await server?.close();
  await engine?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('remediate watch', () => {
  it('posts an OOM-killed pod to the intake as its source; the remediation replaces the pod; SIGTERM stops it', async () => {
    counted.length = 0;
    posted.length = 0;
    const app = `watch-${Date.now().toString(36)}`;
    const k8s = testConnection();
    await createDeployment(k8s, NS, app, { replicas: 2 });
    const [victim] = await livePods(k8s, NS, app);
    const name = victim!.metadata!.name!;
    const watch = new CliProcess(
      ['watch', '--serve', server.url, '--token-file', join(dir, 'token'), '--namespace', NS, '--kubeconfig', kubeconfigPath()],
      {},
    );
    try {
      await watch.waitFor(/watching pods in staging/, 60_000);
      await reportContainerFailure(k8s, NS, name, { lastReason: 'OOMKilled', restarts: 1 });
      const id = `k8s:${NS}:${name}:OOMKilled:r0`;
      const workflowId = (await watch.waitFor(new RegExp(`${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: started (\\S+)`), 60_000))[1]!;
      const result = (await engine.env.client.workflow.getHandle(workflowId).result()) as RemediationResult;
      expect(result).toMatchObject({ outcome: 'remediated', runbook: 'restart-pod' });
      expect((await livePods(k8s, NS, app)).map((p) => p.metadata!.uid)).not.toContain(victim!.metadata!.uid);
      // Exactly one request for this pod's incident (the namespace may hold other tests' crash-looping
      // pods, which the watcher posts too: they attach to their own remediations), and every request
      // came from this source.
      expect(posted.filter((p) => p.id === id)).toEqual([{ id, status: 202 }]);
      expect(counted.every((c) => c.source === 'pod-watcher' && c.route === 'incidents')).toBe(true);
      watch.child.kill('SIGTERM');
      expect(await watch.exited).toBe(0);
      expect(watch.stdout).toContain('[watch] stopped');
    } finally {
      watch.child.kill('SIGKILL');
    }
  });

  it('refuses to start without a token, with one message and no stack trace', async () => {
    const watch = new CliProcess(['watch', '--serve', server.url, '--namespace', NS], { REMEDIATE_INTAKE_TOKEN: '' });
    expect(await watch.exited).toBe(2);
    expect(watch.stderr).toContain('no token: give --token-file FILE or set REMEDIATE_INTAKE_TOKEN');
    expect(watch.stderr).not.toMatch(/^\s+at /m);
  });
});
