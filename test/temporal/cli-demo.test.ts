/**
 * `remediate demo` as a newcomer runs it: its own dev server (on ports of its own, database in a
 * fresh folder), the four seed incidents, INC003 approved from a second process by running the
 * exact command the demo prints, then Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

describe('remediate demo', () => {
  it("runs the seed's four incidents; the printed approve command completes INC003; Ctrl-C stops it cleanly", { timeout: 180_000 }, async () => {
    const [port, uiPort] = [await freePort(), await freePort()];
    const dataDir = join(mkdtempSync(join(tmpdir(), 'remediate-demo-')), 'temporal');
    demo = new CliProcess(['demo', '--port', String(port), '--ui-port', String(uiPort), '--data-dir', dataDir]);

    const [, clusterUrl] = await demo.waitFor(/^Actions act on a simulated cluster served by this demo at (http:\/\/127\.0\.0\.1:\d+); no real system is touched\.$/m);
    await demo.waitFor(new RegExp(`^Temporal: 127\\.0\\.0\\.1:${port} \\(namespace default\\), Web UI http://127\\.0\\.0\\.1:${uiPort}$`, 'm'), 90_000);
    const [, inc001] = await demo.waitFor(/^(INC001-\w+) +outcome: remediated \(restart-pod\)$/m, 90_000);
    await demo.waitFor(/^INC002-\w+ +outcome: remediated \(scale-up\)$/m);
    const [, command] = await demo.waitFor(/^INC003-\w+ +(TEMPORAL_ADDRESS=127\.0\.0\.1:\d+ npx remediate approve INC003-\w+ --as alice --plan [0-9a-f]{64})$/m);
    const [, inc003] = /approve (INC003-\w+)/.exec(command!)!;
    expect(demo.stdout).toContain(`${inc003}  Web UI: http://127.0.0.1:${uiPort}/namespaces/default/workflows/incident-${inc003}`);
    await demo.waitFor(/^INC004-\w+ +outcome: manual$/m);
    // The demo's actions went to its own simulated cluster: it answers, and it saw the pod replaced.
    expect(demo.stdout).toMatch(new RegExp(`^${inc001} +\\d\\d:\\d\\d:\\d\\d {2}STEP_STARTED +delete_pod: DELETE ${clusterUrl}/pods/api-server-abc123$`, 'm'));
    expect(demo.stdout).not.toMatch(new RegExp(`^${inc003} +outcome`, 'm'));

    const approval = await runInShell(command!);
    expect(approval.status, approval.stdout + approval.stderr).toBe(0);
    expect(approval.stdout).toMatch(/^counted: approved by alice \(1\/1\)$/m);
    await demo.waitFor(new RegExp(`^${inc003} +outcome: remediated \\(rollback-deployment\\)$`, 'm'));
    await demo.waitFor(/^All four incidents handled:$/m);
    expect(demo.stdout).not.toMatch(/the demo expected/);

    // From a second terminal too: the audit shows who approved and when.
    const audit = await runInShell(command!.replace(/approve (\S+) .*$/, 'audit $1'));
    expect(audit.stdout).toMatch(/ workflow +APPROVED: approved by alice \(1\/1\)$/m);
    expect(audit.stdout).toMatch(/ outcome +outcome remediated \(rollback-deployment [0-9a-f]{12}\); approved by alice at \d{4}-/m);

    expect(await demo.interrupt()).toBe(0);
    expect(demo.stdout).toMatch(/Stopping\.\.\.\n {2}stopped client\n {2}stopped worker connections\n {2}stopped Temporal dev server\n {2}stopped simulated cluster\n$/);
    expect(hasStackTrace(demo.stderr)).toBe(false);
    await expect(fetch(`${clusterUrl}/pods/api-server-abc123`)).rejects.toThrow();
  });
});
