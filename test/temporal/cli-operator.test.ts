/**
 * The operator CLI end to end, driven as a user would: every command is a `remediate` process
 * against the run's dev server (real persistence and visibility), with a `remediate worker`
 * process on a task queue of its own. Actions act on a simulated cluster this test serves.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { demoIncidents } from '../../demo/scenario';
import { startSimulatedCluster, type SimulatedCluster } from '../harness/simulated-cluster';
import type { Incident } from '../../dsl/types';
import type { RemediationStatus } from '../../contracts/types';
import { CliProcess, hasStackTrace, remediateAsync } from '../cli/run-cli';
import { uniqueTaskQueue } from '../harness/temporal';
import { sshKeygenKey, type SshKeygenKey } from '../harness/ssh-keys';

let cluster: SimulatedCluster;
let worker: CliProcess;
let env: Record<string, string>;
let dir: string;
let runbooks: string;
let keys: { alice: SshKeygenKey; mallory: SshKeygenKey; carol: SshKeygenKey };
const stamp = Date.now().toString(36);
const RUNBOOKS = fileURLToPath(new URL('../fixtures/cli/simulated-runbooks.yaml', import.meta.url));
const incidents = Object.fromEntries(
  demoIncidents(stamp, 'api-server-abc123').map(({ incident }) => {
    // Services unique to this run, so visibility filters see only this test's workflows.
    const service = `${incident.service}-${stamp}`;
    return [incident.id.slice(0, 6), { ...incident, service, services: [service] }];
  }),
) as Record<'INC001' | 'INC002' | 'INC003' | 'INC004', Incident>;

const cli = (args: string[], input?: string) => remediateAsync(args, { env, input });

function incidentFile(incident: Incident): string {
  const path = join(dir, `${incident.id}.json`);
  writeFileSync(path, JSON.stringify(incident));
  return path;
}

/** Polls `remediate status --json` until the remediation matches. */
async function statusUntil(id: string, done: (status: RemediationStatus) => boolean): Promise<RemediationStatus> {
  for (let i = 0; i < 150; i++) {
    const run = await cli(['status', id, '--json']);
    expect(run.status, run.stderr).toBe(0);
    const remediation = JSON.parse(run.stdout).remediation as RemediationStatus | null;
    if (remediation && done(remediation)) return remediation;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`status of ${id} never matched`);
}

/** Visibility is eventually consistent: polls `remediate list --json` until `done` holds. */
async function listUntil(args: string[], done: (rows: { workflowId: string; outcome: string | null }[]) => boolean) {
  for (let i = 0; i < 100; i++) {
    const run = await cli(['list', '--json', ...args]);
    expect(run.status, run.stderr).toBe(0);
    const rows = JSON.parse(run.stdout);
    if (done(rows)) return rows as { workflowId: string; outcome: string | null; runbook: string | null; service: string | null }[];
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`list ${args.join(' ')} never matched`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'remediate-cli-e2e-'));
  // The cluster as the seed's incidents find it: a crash-looping pod, a busy worker, a bad checkout deploy.
  cluster = await startSimulatedCluster({
    pods: { 'api-server-abc123': { ready: false, restarts: 1, replicas: 3 } },
    deployments: {
      worker: { replicas: 3, revision: 4, errorRateByRevision: { 4: 0.01 } },
      checkout: { replicas: 4, revision: 7, errorRateByRevision: { 7: 0.3, 6: 0.01 } },
    },
  });
  mkdirSync(join(dir, 'runbooks'));
  runbooks = join(dir, 'runbooks', 'runbooks.yaml');
  writeFileSync(runbooks, readFileSync(RUNBOOKS, 'utf8').replaceAll('${CLUSTER}', cluster.url));
  const taskQueue = uniqueTaskQueue('cli');
  env = {
    TEMPORAL_ADDRESS: inject('devServerAddress'),
    REMEDIATE_TASK_QUEUE: taskQueue,
    REMEDIATE_GUARDRAILS_ID: `guardrails-${taskQueue}`,
    REMEDIATE_NOTIFY_LOG: join(dir, 'notifications.jsonl'),
  };
  // Real OpenSSH keys, and the operator's policy trusting them: the CLI signs with ssh-keygen -Y sign.
  const keyDir = join(dir, 'keys');
  mkdirSync(keyDir);
  keys = {
    alice: await sshKeygenKey(keyDir, 'alice'),
    mallory: await sshKeygenKey(keyDir, 'mallory'),
    carol: await sshKeygenKey(keyDir, 'carol'),
  };
  writeFileSync(
    join(dir, 'allowed_signers'),
    Object.values(keys)
      .map((k) => k.allowedSignersLine)
      .join('\n') + '\n',
  );
  writeFileSync(join(dir, 'policy.yaml'), 'allowed_signers: ./allowed_signers\n');
  worker = new CliProcess(['worker', '--runbooks', join(dir, 'runbooks'), '--policy', join(dir, 'policy.yaml')], env);
  await worker.waitFor(/\[worker\] polling task queues "cli-/);
});

afterAll(async () => {
  if (worker?.child.exitCode === null) await worker.interrupt();
  await cluster?.close();
});

describe('remediate, driven as processes against a real server', () => {
  it('submit, status, plan, approve (refused, then counted), audit: who approved and when', async () => {
    const inc = incidents.INC003;
    const file = incidentFile(inc);
    const submitted = await cli(['submit', file, '--key', keys.carol.privateKeyPath]);
    expect(submitted.status, submitted.stderr).toBe(0);
    expect(submitted.stdout).toMatch(new RegExp(`^incident-${inc.id}: started on task queue "cli-\\S+" \\(signed\\)`));

    const waiting = await statusUntil(inc.id, (s) => s.phase === 'awaiting_approval');
    expect(waiting.decision).toMatchObject({ decision: 'approval_required', runbook: 'rollback-deployment' });
    const text = await cli(['status', inc.id]);
    expect(text.stdout).toContain(`approve: remediate approve ${inc.id} --key YOUR_SSH_KEY --plan ${waiting.planHash}`);
    // `plan` shows the very hash the workflow binds approvals to.
    const plan = JSON.parse((await cli(['plan', file, '--runbooks', runbooks, '--json'])).stdout);
    expect(plan.planHash).toBe(waiting.planHash);

    const refused = await cli(['approve', inc.id, '--key', keys.mallory.privateKeyPath, '--plan', plan.planHash]);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/^refused: approve from mallory: mallory is not an authorised approver/m);
    // Not interactive and no --plan: nothing is signed.
    const unpinned = await cli(['approve', inc.id, '--key', keys.alice.privateKeyPath]);
    expect(unpinned.status).toBe(2);
    expect(unpinned.stderr).toContain(`pass --plan ${plan.planHash}`);
    expect(cluster.requests.filter((r) => r.method === 'POST')).toHaveLength(0);

    const approved = await cli([
      'approve',
      inc.id,
      '--key',
      keys.alice.privateKeyPath,
      '--plan',
      plan.planHash,
      '--reason',
      'error spike after deploy 7',
    ]);
    expect(approved.status, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(/^counted: approved by alice \(1\/1\)$/m);
    await statusUntil(inc.id, (s) => s.outcome === 'remediated');
    expect(cluster.state.deployments.checkout!.revision).toBe(6);

    const audit = await cli(['audit', inc.id]);
    expect(audit.status, audit.stderr).toBe(0);
    const lines = audit.stdout.split('\n');
    const at = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}';
    const line = (pattern: string) => lines.findIndex((l) => new RegExp(`^${at}  ${pattern}`).test(l));
    const order = [
      line('workflow +SUBMITTED: submitted by carol \\(signed\\); catalogue [0-9a-f]{12}, policy [0-9a-f]{12}'),
      line('decision +decision approval_required \\(APPROVAL_REQUIRED\\)'),
      // Each verdict is recorded in the task that received the update, so it is listed just before the update's event.
      line('workflow +APPROVAL_REFUSED: signed statement refused: approve from mallory: mallory is not an authorised approver'),
      line(`update +update decide: signed approve for plan ${plan.planHash.slice(0, 12)} \\(sent by client`),
      line('workflow +APPROVED: approved by alice \\(1/1\\): error spike after deploy 7'),
      line(`update +update decide: signed approve for plan ${plan.planHash.slice(0, 12)}: "error spike after deploy 7"`),
      line('action +action undo: POST http://127\\.0\\.0\\.1:\\d+/deployments/checkout/undo → HTTP 200'),
      line('outcome +outcome remediated \\(rollback-deployment [0-9a-f]{12}\\); approved by alice at '),
    ];
    expect(
      order.every((i) => i >= 0),
      audit.stdout,
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    const json = JSON.parse((await cli(['audit', inc.id, '--json'])).stdout);
    expect(json).toMatchObject({ workflowId: `incident-${inc.id}`, status: 'completed', outcome: 'remediated' });
    const outcome = json.entries.at(-1);
    const approval = json.entries.find(
      (e: { kind: string; actor?: string; summary: string }) => e.actor === 'alice' && e.summary.startsWith('APPROVED'),
    );
    expect(outcome.detail.approvals).toEqual([expect.objectContaining({ by: 'alice', at: approval.at, planHash: plan.planHash })]);
  });

  it('submit --wait follows step by step to the outcome (exit 0 remediated, 1 otherwise); a repeat attaches', async () => {
    const inc1 = incidentFile(incidents.INC001);
    const remediated = await cli(['submit', inc1, '--wait']);
    expect(remediated.status, remediated.stderr).toBe(0);
    expect(remediated.stdout).toMatch(/^\d\d:\d\d:\d\d {2}EXECUTING +LOW risk, confidence 0.95 >= 0.8/m);
    expect(remediated.stdout).toMatch(/^\d\d:\d\d:\d\d {2}STEP_SUCCEEDED +post-check pod_becomes_ready \(poll 1\)/m);
    expect(remediated.stdout).toMatch(/\noutcome: remediated\n$/);
    // Not a terminal: plain lines, no live display.
    expect(remediated.stdout).not.toContain('\x1b[');

    const repeat = await cli(['submit', '-', '--wait', '--json'], JSON.stringify(incidents.INC001));
    expect(repeat.status).toBe(0);
    expect(JSON.parse(repeat.stdout)).toMatchObject({
      workflowId: `incident-${incidents.INC001.id}`,
      attached: true,
      result: { outcome: 'remediated' },
    });

    const scaled = await cli(['submit', incidentFile(incidents.INC002), '--wait']);
    expect(scaled.status, scaled.stdout).toBe(0);
    expect(cluster.state.deployments.worker!.replicas).toBe(5);

    const manual = await cli(['submit', incidentFile(incidents.INC004), '--wait']);
    expect(manual.status).toBe(1);
    expect(manual.stdout).toMatch(/NO_RUNBOOK +No runbook matches root cause "unknown_issue"[^]*\noutcome: manual\n$/);
  });

  it('submit --wait says so when no worker answers on its task queue', async () => {
    const inc = { ...incidents.INC004, id: `${incidents.INC004.id}-idle`, service: `idle-${stamp}`, services: [`idle-${stamp}`] };
    const waiting = new CliProcess(['submit', incidentFile(inc), '--wait'], { ...env, REMEDIATE_TASK_QUEUE: `idle-${stamp}` });
    try {
      await waiting.waitFor(
        new RegExp(`^no worker answered on task queue "idle-${stamp}" yet; start one with \`remediate worker\` \\(still waiting\\)$`, 'm'),
        30_000,
      );
    } finally {
      waiting.child.kill('SIGKILL');
    }
  });

  it('list filters by outcome, runbook and service through visibility', async () => {
    const id = (inc: Incident) => `incident-${inc.id}`;
    const byService = await listUntil(
      ['--service', incidents.INC004.service],
      (rows) => rows.length === 1 && rows[0]!.outcome === 'manual',
    );
    expect(byService[0]).toMatchObject({ workflowId: id(incidents.INC004), runbook: null, service: incidents.INC004.service });
    const manual = await listUntil(['--outcome', 'manual'], (rows) => rows.some((r) => r.workflowId === id(incidents.INC004)));
    expect(manual.every((r) => r.outcome === 'manual')).toBe(true);
    const scaleUp = await listUntil(['--runbook', 'scale-up', '--outcome', 'remediated'], (rows) =>
      rows.some((r) => r.workflowId === id(incidents.INC002)),
    );
    expect(scaleUp.map((r) => r.workflowId)).not.toContain(id(incidents.INC001));
    const table = await cli(['list', '--service', incidents.INC002.service]);
    expect(table.stdout.split('\n')).toEqual([
      expect.stringMatching(/^WORKFLOW +STATUS +STARTED +SERVICE +RUNBOOK +DECISION +OUTCOME$/),
      expect.stringMatching(
        new RegExp(`^${id(incidents.INC002)} +completed +\\S+ \\S+ +${incidents.INC002.service} +scale-up +auto +remediated$`),
      ),
      '',
    ]);
  });

  it('history export, then replay passes; a history made incompatible fails replay with exit 1, naming the file', async () => {
    const histories = join(dir, 'histories');
    mkdirSync(histories);
    const exported = await cli(['history', 'export', incidents.INC003.id, '-o', join(histories, 'inc003.json')]);
    expect(exported.status, exported.stderr).toBe(0);
    const stdout = await cli(['history', 'export', incidents.INC001.id]);
    expect(JSON.parse(stdout.stdout).events[0].eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    writeFileSync(join(histories, 'inc001.json'), stdout.stdout);

    const passes = await cli(['replay', histories]);
    expect(passes.status, passes.stdout + passes.stderr).toBe(0);
    expect(passes.stdout.split('\n')).toEqual([
      `ok    ${join(histories, 'inc001.json')}`,
      `ok    ${join(histories, 'inc003.json')}`,
      '2 replayed with the current workflow code, 0 failed',
      '',
    ]);

    // A workflow whose code changed: the recorded history scheduled an activity the code no longer schedules.
    const history = JSON.parse(readFileSync(join(histories, 'inc003.json'), 'utf8'));
    const scheduled = history.events.filter(
      (e: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }) =>
        e.activityTaskScheduledEventAttributes?.activityType.name === 'runAction',
    );
    expect(scheduled).toHaveLength(1);
    scheduled[0].activityTaskScheduledEventAttributes.activityType.name = 'runActionV0';
    const changed = join(histories, 'z-changed.json');
    writeFileSync(changed, JSON.stringify(history));
    const fails = await cli(['replay', histories]);
    expect(fails.status).toBe(1);
    expect(fails.stdout).toMatch(
      new RegExp(
        `^FAIL  ${changed}: DeterminismViolationError: .*Activity type of scheduled event 'runActionV0' does not match activity type of activity command 'runAction'$`,
        'm',
      ),
    );
    expect(fails.stdout).toMatch(/^3 replayed with the current workflow code, 1 failed$/m);
    const json = JSON.parse((await cli(['replay', changed, '--json'])).stdout);
    expect(json).toEqual([{ file: changed, ok: false, error: expect.stringMatching(/^DeterminismViolationError: /) }]);
    expect(hasStackTrace(fails.stderr)).toBe(false);
  });

  it("backtest shows the changed decision when a runbook's min_confidence is raised above an incident's confidence", async () => {
    const raised = join(dir, 'raised.yaml');
    const text = readFileSync(runbooks, 'utf8');
    expect(text).toContain('min_confidence: 0.7');
    writeFileSync(raised, text.replace('min_confidence: 0.7', 'min_confidence: 0.8'));
    // Backtest reads closed workflows through visibility: wait until INC002 is visible as closed.
    await listUntil(['--service', incidents.INC002.service, '--outcome', 'remediated'], (rows) => rows.length === 1);

    const json = JSON.parse((await cli(['backtest', '--runbooks', raised, '--since', '1h', '--json'])).stdout);
    const ids = json.changed.map((row: { incidentId: string }) => row.incidentId);
    expect(ids).toContain(incidents.INC002.id);
    expect(ids).not.toContain(incidents.INC001.id);
    expect(json.changed.find((row: { incidentId: string }) => row.incidentId === incidents.INC002.id)).toMatchObject({
      confidence: 0.75,
      outcome: 'remediated',
      recorded: { decision: 'auto', runbook: 'scale-up' },
      proposed: { decision: 'manual', event: 'LOW_CONFIDENCE', runbook: 'scale-up' },
    });

    const table = await cli(['backtest', '--runbooks', raised, '--since', '1h']);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^INCIDENT +STARTED +CONFIDENCE +OUTCOME +WAS +WOULD BE +WHY$/m);
    expect(table.stdout).toMatch(
      new RegExp(
        `^${incidents.INC002.id} +\\S+ \\S+ +0\\.75 +remediated +auto scale-up +manual scale-up +Confidence 0\\.75 is below scale-up's minimum 0\\.8`,
        'm',
      ),
    );
    const same = JSON.parse((await cli(['backtest', '--runbooks', runbooks, '--since', '1h', '--json'])).stdout);
    expect(same.changed.map((row: { incidentId: string }) => row.incidentId)).not.toContain(incidents.INC002.id);
  });

  it('stats counts the recorded outcomes per runbook and states its rule', async () => {
    const run = await cli(['stats', '--since', '1h', '--json']);
    expect(run.status, run.stderr).toBe(0);
    const stats = JSON.parse(run.stdout);
    expect(stats.rule).toEqual({ minRuns: 10, threshold: 0.9 });
    expect(stats.runbooks.find((r: { runbook: string }) => r.runbook === 'scale-up')).toMatchObject({
      remediated: expect.any(Number),
      recommendation: { from: 'auto' },
    });
    expect(stats.runbooks.find((r: { runbook: string }) => r.runbook === 'scale-up').runs).toBeGreaterThanOrEqual(1);
    const text = await cli(['stats', '--since', '1h']);
    expect(text.stdout).toMatch(
      /^rule: move one step right \(suggest → approval → auto\) when the success rate is above 90% over at least 10 runs/m,
    );
  });

  it('an unknown incident id is a usage error; an approval for a finished remediation is refused', async () => {
    expect(await cli(['status', `NOPE-${stamp}`])).toMatchObject({
      status: 2,
      stderr: `remediate: no remediation for incident NOPE-${stamp} (workflow incident-NOPE-${stamp}) in namespace default\n`,
    });
    expect(await cli(['approve', incidents.INC003.id, '--key', keys.alice.privateKeyPath, '--plan', 'a'.repeat(64)])).toMatchObject({
      status: 1,
      stderr: `remediate: incident-${incidents.INC003.id} is no longer running (completed); there is nothing to decide\n`,
    });
  });

  it('the worker stops gracefully on SIGINT', async () => {
    expect(await worker.interrupt()).toBe(0);
    expect(worker.stdout).toMatch(/\[worker\] stopped\n$/);
    expect(hasStackTrace(worker.stderr)).toBe(false);
  });
});
