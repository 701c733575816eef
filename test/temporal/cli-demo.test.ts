/**
 * `remediate demo` as a newcomer runs it, with no cluster configured: its own local Kubernetes control
 * plane, its own dev server (on ports of its own, database in a fresh folder), the four seed incidents,
 * INC003 approved on the approvals page whose address the demo prints (signed in as alice over real
 * HTTP), then Ctrl-C.
 * What the demo did is read back from the cluster itself, through the kubeconfig it prints, and the
 * live values its verifications printed are read back from the workloads' exporter and the
 * Prometheus it prints.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectKubernetes } from '../../kubernetes/connection';
import { RELEASES } from '../../demo/cluster';
import { DEMO_NAMESPACE } from '../../demo/scenario';
import { livePods, rolledOut } from '../../demo/workloads';
import { CliProcess, cliEnv, freePort, hasStackTrace, ROOT, type CliRun } from '../cli/run-cli';

let demo: CliProcess | undefined;

afterAll(async () => {
  if (demo?.child.exitCode === null) await demo.interrupt();
});

/** Runs a printed command line as the user would paste it: through a shell, in the repository. */
function runInShell(line: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', line], { cwd: ROOT, env: cliEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * What a person does on the approvals page, over real HTTP: sign in (the session cookie comes back),
 * open the incident, and post the Approve form with the CSRF token and plan hash the page rendered.
 * Returns the page the decision answered with.
 */
async function approveOnPage(incidentUrl: string, user: string, password: string): Promise<string> {
  const origin = new URL(incidentUrl).origin;
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const signIn = await fetch(`${origin}/approvals/login`, {
    method: 'POST',
    headers: form,
    body: new URLSearchParams({ user, password }).toString(),
    redirect: 'manual',
  });
  expect(signIn.status).toBe(303);
  const cookie = /^(remediate_session=[^;]+)/.exec(signIn.headers.get('set-cookie') ?? '')?.[1];
  expect(cookie).toBeDefined();
  const page = await (await fetch(incidentUrl, { headers: { cookie: cookie! } })).text();
  const hidden = (name: string) => new RegExp(`name="${name}"\\s+value="([^"]+)"`).exec(page)?.[1];
  expect(page).toContain('Approve this plan');
  const decided = await fetch(`${incidentUrl}/decide`, {
    method: 'POST',
    headers: { ...form, cookie: cookie! },
    body: new URLSearchParams({ csrf: hidden('csrf')!, plan_hash: hidden('plan_hash')!, verdict: 'approve' }).toString(),
  });
  const answer = await decided.text();
  expect(decided.status, answer).toBe(200);
  return answer;
}

/** Whether something accepts TCP connections at the URL's host and port. */
function listening(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('remediate demo', () => {
  it(
    "runs the reference exercise's four incidents; approving INC003 on the approvals page it prints completes it; Ctrl-C stops it cleanly",
    { timeout: 420_000 },
    async () => {
      const [port, uiPort] = [await freePort(), await freePort()];
      const dataDir = join(mkdtempSync(join(tmpdir(), 'remediate-demo-')), 'temporal');
      // No cluster configured (KUBECONFIG empty): the demo must start its own.
      demo = new CliProcess(['demo', '--port', String(port), '--ui-port', String(uiPort), '--data-dir', dataDir], { KUBECONFIG: '' });

      const [, server, kubeconfig] = await demo.waitFor(
        /^Kubernetes: a local control plane at (https:\/\/127\.0\.0\.1:\d+) \(kwok nodes\), started for this demo and removed when it stops\.\n {2}KUBECONFIG=(\S+) kubectl get pods/m,
        120_000,
      );
      const k8s = connectKubernetes({ kubeconfig: kubeconfig!, namespaces: null });
      const [, crashingPod] = await demo.waitFor(
        /^ {2}deployment api-server: 3 replicas; pod (api-server-\S+) in CrashLoopBackOff \(1 restart\)$/m,
        120_000,
      );
      const victim = (await k8s.core.readNamespacedPod({ namespace: DEMO_NAMESPACE, name: crashingPod! })).metadata!.uid;
      const [, exporterUrl, prometheusUrl] = await demo.waitFor(
        /^Metrics: the workloads' exporter at (http:\/\/127\.0\.0\.1:\d+\/metrics) \(derived from the cluster\), scraped every second by Prometheus \S+ \([^)]+\): \S+ at (http:\/\/127\.0\.0\.1:\d+)$/m,
        120_000,
      );
      // Before any remediation: the bad release's error ratio and the worker's CPU pressure, as exported.
      const exported = async () => await (await fetch(exporterUrl!)).text();
      const series = (metric: string, deployment: string) => `${metric}{namespace="${DEMO_NAMESPACE}",deployment="${deployment}"}`;
      const cpu = series('namespace_deployment:cpu_utilisation:ratio', 'worker');
      const errors = series('namespace_deployment:http_errors:ratio_rate1m', 'checkout');
      expect(await exported()).toContain(`${cpu} 1\n`);
      expect(await exported()).toContain(`${errors} 0.3\n`);
      await demo.waitFor(/^ {2}worker: error ratio 0\.002, CPU utilisation 1$/m);
      await demo.waitFor(/^ {2}checkout: error ratio 0\.3, CPU utilisation 0\.5$/m);
      await demo.waitFor(
        new RegExp(`^Temporal: 127\\.0\\.0\\.1:${port} \\(namespace default\\), Web UI http://127\\.0\\.0\\.1:${uiPort}$`, 'm'),
        90_000,
      );
      // Where serve's intake listens, and the Alertmanager receiver to paste: it names that URL and the token file.
      const [, intakeUrl] = await demo.waitFor(
        /^Intake: remediate serve's intake listens on (http:\/\/127\.0\.0\.1:\d+) \(POST \S+\/v1\/alertmanager;/m,
        90_000,
      );
      expect((await fetch(`${intakeUrl}/healthz`)).status).toBe(200);
      expect(demo.stdout).toMatch(
        new RegExp(
          `^ {10}- url: ${intakeUrl}/v1/alertmanager\n {12}send_resolved: true\n {12}http_config:\n {14}authorization:\n {16}type: Bearer\n {16}credentials_file: \\S+alertmanager\\.token$`,
          'm',
        ),
      );
      const [, inc001] = await demo.waitFor(/^(INC001-\w+) +outcome: remediated \(restart-pod\)$/m, 90_000);
      const [, cpuRead] = await demo.waitFor(
        /^INC002-\w+ +verified: CPU utilisation (\S+) \(Prometheus, live\), metrics_improved: result\.value < 0\.8 holds$/m,
      );
      await demo.waitFor(/^INC002-\w+ +outcome: remediated \(scale-up\)$/m);
      // What verification printed is what the exporter serves for the scaled worker (3 pods' worth of CPU on 5 replicas).
      expect(cpuRead).toBe('0.6');
      expect(await exported()).toContain(`${cpu} ${cpuRead}\n`);
      const [, command] = await demo.waitFor(
        /^INC003-\w+ +(TEMPORAL_ADDRESS=127\.0\.0\.1:\d+ npx remediate approve INC003-\w+ --key \S+ --plan [0-9a-f]{64})$/m,
      );
      const [, inc003] = /approve (INC003-\w+)/.exec(command!)!;
      expect(demo.stdout).toContain(`${inc003}  Web UI: http://127.0.0.1:${uiPort}/namespaces/default/workflows/incident-${inc003}`);
      await demo.waitFor(/^INC004-\w+ +outcome: manual$/m);
      // The actions changed the local cluster: the crash-looping pod is gone, replaced, and the worker runs 5 replicas.
      expect(demo.stdout).toMatch(
        new RegExp(
          `^${inc001} +\\d\\d:\\d\\d:\\d\\d {2}STEP_STARTED +delete_pod: kubernetes delete_pod ${DEMO_NAMESPACE}/${crashingPod}$`,
          'm',
        ),
      );
      const apiPods = await livePods(k8s, DEMO_NAMESPACE, 'api-server');
      expect(apiPods.map((p) => p.metadata!.uid)).not.toContain(victim);
      expect(apiPods).toHaveLength(3);
      expect((await rolledOut(k8s, DEMO_NAMESPACE, 'worker')).spec!.replicas).toBe(5);
      const checkoutBefore = await k8s.apps.readNamespacedDeployment({ namespace: DEMO_NAMESPACE, name: 'checkout' });
      expect(checkoutBefore.spec!.template.spec!.containers[0]!.image).toBe(RELEASES.bad);
      expect(demo.stdout).not.toMatch(new RegExp(`^${inc003} +outcome`, 'm'));

      // Approved where the demo says, on serve's approvals page: sign in as alice, approve the plan shown.
      const [, pageUrl, passwordFile] = new RegExp(
        `^${inc003} +Approve it on the approvals page: (http://127\\.0\\.0\\.1:\\d+/approvals/${inc003}) \\(sign in as alice, password in (\\S+)\\)$`,
        'm',
      ).exec(demo.stdout)!;
      expect(pageUrl!.startsWith(`${intakeUrl}/approvals/`)).toBe(true);
      const approved = await approveOnPage(pageUrl!, 'alice', readFileSync(resolve(ROOT, passwordFile!), 'utf8').trim());
      expect(approved).toContain('Counted: 1 of 1 approvals.');
      expect(approved).toContain('approved by alice (via approvals-web)');
      await demo.waitFor(new RegExp(`^${inc003} +outcome: remediated \\(rollback-deployment\\)$`, 'm'));
      const [, errorsRead] = new RegExp(
        `^${inc003} +verified: error ratio (\\S+) \\(Prometheus, live\\), error_rate_normalized: result\\.value <= .* holds$`,
        'm',
      ).exec(demo.stdout)!;
      // The error ratio verification read is the old release's, as the exporter and Prometheus report it now.
      expect(errorsRead).toBe('0.002');
      expect(await exported()).toContain(`${errors} ${errorsRead}\n`);
      const answer = (await (await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query: errors })}`)).json()) as {
        data: { result: { value: [number, string] }[] };
      };
      expect(answer.data.result[0]?.value[1]).toBe(errorsRead);
      await demo.waitFor(/^All four incidents handled:$/m);

      // Act five: nobody submits; the worker's CPU goes bad through the cluster, the alert makes the incident.
      await demo.waitFor(/^Act five: the closed loop/m, 60_000);
      await demo.waitFor(/^ {2}\d\d:\d\d:\d\d {2}metric bad: worker CPU utilisation 1 \(Prometheus\)$/m, 90_000);
      // The exporter really served it: 3 pods' worth of CPU on the 3 replicas the demo scaled back to.
      expect(await exported()).toContain(`${cpu} 1\n`);
      const [, loopId] = await demo.waitFor(
        /^ {2}\d\d:\d\d:\d\d {2}alert reached the intake: incident (am-\S+) \(rule worker-cpu\)$/m,
        90_000,
      );
      await demo.waitFor(new RegExp(`^${loopId} +outcome: remediated \\(scale-up\\)$`, 'm'), 90_000);
      expect(demo.stdout).toMatch(
        new RegExp(
          `^${loopId} +verified: CPU utilisation 0\\.6 \\(Prometheus, live\\), metrics_improved: result\\.value < 0\\.8 holds$`,
          'm',
        ),
      );
      await demo.waitFor(/^ {2}\d\d:\d\d:\d\d {2}alert resolved \(Alertmanager told the intake\)$/m, 60_000);
      await demo.waitFor(/^ {2}metric bad to verified fix: \d+\.\d s$/m);
      expect((await rolledOut(k8s, DEMO_NAMESPACE, 'worker')).spec!.replicas).toBe(5);
      await demo.waitFor(/^Ctrl-C stops the demo/m);
      const checkoutAfter = await rolledOut(k8s, DEMO_NAMESPACE, 'checkout');
      expect(checkoutAfter.spec!.template.spec!.containers[0]!.image).toBe(RELEASES.good);
      expect(demo.stdout).not.toMatch(/the demo expected/);

      // From a second terminal too: the audit shows who approved and when.
      const audit = await runInShell(command!.replace(/approve (\S+) .*$/, 'audit $1'));
      expect(audit.stdout).toMatch(/ workflow +APPROVED: approved by alice \(via approvals-web\) \(1\/1\)$/m);
      expect(audit.stdout).toMatch(/ outcome +outcome remediated \(rollback-deployment [0-9a-f]{12}\); approved by alice at \d{4}-/m);

      expect(await demo.interrupt()).toBe(0);
      expect(demo.stdout).toMatch(
        /Stopping\.\.\.\n {2}stopped Alertmanager\n {2}stopped intake\n {2}stopped client\n {2}stopped worker connections\n {2}stopped Temporal dev server\n {2}stopped Prometheus and the workload exporter\n {2}stopped local Kubernetes control plane\n$/,
      );
      expect(hasStackTrace(demo.stderr)).toBe(false);
      // The control plane is gone with the demo: nothing listens on its port any more.
      expect(await listening(new URL(server!))).toBe(false);
    },
  );
});
