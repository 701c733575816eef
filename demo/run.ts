/**
 * `remediate demo`: the whole mission in a couple of minutes. It starts a Kubernetes cluster (the local
 * control plane, unless KUBECONFIG names one), sets up the workloads the reference exercise's incidents come from,
 * starts their metrics exporter and a Prometheus scraping it (demo/measure.ts), the embedded default
 * (dev server with database and Web UI) and a worker in this process,
 * submits the reference exercise's four incidents and tells what happens to each as it happens. INC003 waits for a
 * human: the demo prints the command that approves it from another terminal. It prints the live values
 * INC002's and INC003's verification read from Prometheus. It starts serve's intake and prints the
 * Alertmanager receiver for it; act five (demo/loop.ts) is the closed loop from a real alert. Ctrl-C
 * stops Alertmanager, the intake, the worker, the server, Prometheus and the cluster.
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { EmbeddedOptions } from '../worker/embedded-server';
import { singlePrometheus } from '../activities/prometheus-servers';
import type { Session } from '../client/connect';
import type { CompiledCatalogue } from '../dsl/types';
import type { ActivitiesConfig } from '../activities/config';
import type { TemporalSettings } from '../worker/config';
import type { LoadedOperatorPolicy } from '../worker/operator-policy';
import type { RemediationResult, RemediationStatus } from '../contracts/types';
import { remediationWorkflowId } from '../contracts/messages';
import { planFor } from '../workflows/plan';
import type { remediateIncident } from '../workflows/remediation';
import type { WorkflowHandle } from '@temporalio/client';
import type { AlertAnswers, LoopAct } from './loop';
import { demoCatalogue, demoIncidents, DEMO_NAMESPACE, DEMO_RUNBOOKS } from './scenario';

const say = (line = '') => process.stdout.write(`${line}\n`);

/** Runs until Ctrl-C; true when every incident came out as the reference exercise says it should. */
export async function runDemo(options: EmbeddedOptions): Promise<boolean> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const cleanup: { what: string; run: () => Promise<void> }[] = [];
  try {
    say(`remediate demo: the reference exercise's four incidents, handled end to end.`);
    const { kubernetesTarget } = await import('../toolchain/kubernetes-target');
    const target = await kubernetesTarget({ log: (line) => say(`  ${line}`) });
    if (target.source === 'local') {
      cleanup.push({ what: 'local Kubernetes control plane', run: () => target.stop() });
      say(`Kubernetes: a local control plane at ${target.server} (kwok nodes), started for this demo and removed when it stops.`);
      say(`  KUBECONFIG=${target.kubeconfig} kubectl get pods -n ${DEMO_NAMESPACE}   shows it while the demo runs`);
    } else {
      say(`Kubernetes: your cluster; the demo acts only in namespace ${DEMO_NAMESPACE}, which it creates and leaves for you to inspect.`);
    }
    if (stop.signal.aborted) return true;
    const { connectKubernetes } = await import('../kubernetes/connection');
    const { loadActivitiesConfig } = await import('../activities/config');
    const { prepareDemoWorkloads } = await import('./cluster');
    const activities = loadActivitiesConfig();
    activities.kubernetes.kubeconfig = target.kubeconfig;
    const k8s = connectKubernetes(activities.kubernetes);
    const workloads = await prepareDemoWorkloads(k8s);
    say(`Workloads in namespace ${DEMO_NAMESPACE}:`);
    for (const line of workloads.description) say(`  ${line}`);
    if (stop.signal.aborted) return true;

    const { startDemoMeasurement } = await import('./measure');
    const { ensureAlertmanager } = await import('../toolchain/alertmanager');
    const { freePort } = await import('../toolchain/ports');
    // Act five's Alertmanager starts later, on a port its Prometheus knows from the start.
    const alertmanagerBinary = await ensureAlertmanager((line) => say(`  ${line}`));
    const alertmanagerPort = await freePort();
    const measurement = await startDemoMeasurement(activities.kubernetes.kubeconfig, (line) => say(`  ${line}`), {
      alertmanager: `127.0.0.1:${alertmanagerPort}`,
    });
    cleanup.push({ what: 'Prometheus and the workload exporter', run: () => measurement.stop() });
    // The one place the worker learns its Prometheus: INC002's and INC003's verification query it.
    activities.prometheus = singlePrometheus(measurement.prometheusUrl);
    say(
      `Metrics: the workloads' exporter at http://${measurement.exporterTarget}/metrics (derived from the cluster), scraped every second by ${measurement.prometheus} at ${measurement.prometheusUrl}`,
    );
    for (const line of await measurement.describeNow()) say(`  ${line}`);

    const { DefaultLogger, Runtime } = await import('@temporalio/worker');
    Runtime.install({ logger: new DefaultLogger('WARN') });
    // Notifications go to a file, not into the story; an operator's own setting wins.
    mkdirSync(options.dataDir, { recursive: true });
    if (process.env.REMEDIATE_NOTIFY_LOG === undefined) activities.notifyLogPath = join(options.dataDir, 'notifications.jsonl');

    const { startEmbedded } = await import('../worker/embedded-server');
    const { settings, uiUrl, server } = await startEmbedded(options, (line) => say(`  ${line}`));
    if (server) cleanup.push({ what: 'Temporal dev server', run: () => server.stop() });
    say(`Temporal: ${settings.address} (namespace ${settings.namespace})${uiUrl ? `, Web UI ${uiUrl}` : ''}`);
    if (stop.signal.aborted) return true;

    const catalogue = await demoCatalogue();
    say(`Runbooks: ${relative(process.cwd(), DEMO_RUNBOOKS)} (${catalogue.runbooks.map((r) => r.id).join(', ')})`);
    const { prepareDemoApprover } = await import('./approver');
    const { loadOperatorPolicy } = await import('../worker/operator-policy');
    const approver = await prepareDemoApprover(options.dataDir);
    const policy = loadOperatorPolicy(approver.policyFile);
    say(
      `Approver: you, as ${approver.principal}, with the key ${relative(process.cwd(), approver.keyPath)} (made for this demo); its operator policy ${relative(process.cwd(), approver.policyFile)} trusts it.`,
    );
    say('Starting the worker (it bundles the workflow code: a few seconds)...');
    const { startRemediationWorkers } = await import('../worker/worker');
    const { connectClient, explainUnreachable } = await import('../client/connect');
    const { workers, close } = await startRemediationWorkers({
      settings,
      activities,
      config: { catalogue, policy },
      ...(uiUrl ? { webUiUrl: uiUrl } : {}),
    }).catch((error: unknown) => {
      throw explainUnreachable(error, settings);
    });
    cleanup.push({ what: 'worker connections', run: close });
    const session = await connectClient(settings);
    cleanup.push({ what: 'client', run: () => session.close() });
    say(`Worker polling task queue "${settings.taskQueue}"; notifications are written to ${activities.notifyLogPath}.`);
    const { AlertAnswers } = await import('./loop');
    const answers = new AlertAnswers();
    const intake = await startDemoIntake(session.client, settings, policy, answers, activities);
    cleanup.push({ what: 'intake', run: () => intake.close() });
    for (const line of receiverHelp(intake.url, approver.alertmanagerTokenFile)) say(line);
    say(
      `Approvals page: ${intake.url}/approvals (sign in as ${approver.principal}; the password is in ${relative(process.cwd(), approver.pagePasswordFile)}, mode 0600; the policy holds its scrypt hash).`,
    );

    const running = workers.done;
    const shutdown = () => workers.shutdown();
    stop.signal.addEventListener('abort', shutdown, { once: true });
    if (stop.signal.aborted) shutdown();
    let failure: unknown;
    const story = narrate({
      session,
      settings,
      catalogue,
      uiUrl,
      approverKey: relative(process.cwd(), approver.keyPath),
      approvalsPage: { url: `${intake.url}/approvals`, passwordFile: relative(process.cwd(), approver.pagePasswordFile) },
      crashingPod: workloads.crashingPod,
      signal: stop.signal,
      loop: {
        k8s,
        client: session.client,
        prometheusUrl: measurement.prometheusUrl,
        answers,
        startAlertmanager: async () => {
          const { startAlertmanager } = await import('../toolchain/alertmanager-server');
          const { describe } = await import('../toolchain/index');
          const server = await startAlertmanager({
            binary: alertmanagerBinary.path,
            port: alertmanagerPort,
            config: {
              route: { groupBy: ['alertname', 'deployment'], groupWait: '1s', groupInterval: '1s', repeatInterval: '1h' },
              webhook: { url: `${intake.url}/v1/alertmanager`, bearer: { credentialsFile: approver.alertmanagerTokenFile } },
            },
          });
          cleanup.push({ what: 'Alertmanager', run: () => server.stop() });
          return `${describe('Alertmanager', alertmanagerBinary)} at ${server.url}`;
        },
        signal: stop.signal,
        say,
      },
    }).catch((error: unknown) => {
      failure = error;
      shutdown();
      return false;
    });
    await running;
    stop.abort();
    const asExpected = await story;
    if (failure) throw failure;
    return asExpected;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    say('\nStopping...');
    for (const step of cleanup.reverse()) {
      await step.run();
      say(`  stopped ${step.what}`);
    }
  }
}

/** `remediate serve`'s intake (intake/service.ts), on a free loopback port, submitting to this demo's worker. */
async function startDemoIntake(
  client: Session['client'],
  settings: TemporalSettings,
  policy: LoadedOperatorPolicy,
  answers: AlertAnswers,
  activities: ActivitiesConfig,
) {
  const { startIntakeService } = await import('../intake/service');
  const { guardrailSettings } = await import('../worker/config');
  const { createEngineMetrics } = await import('../telemetry/metrics');
  return await startIntakeService({
    client,
    taskQueue: settings.taskQueue,
    coordinatorId: guardrailSettings(settings.taskQueue).workflowId,
    policy: policy.intake,
    alertmanagerRules: policy.alertmanagerRules,
    listen: policy.intake.listen,
    metrics: createEngineMetrics(),
    log: (line) => say(`  intake: ${line}`),
    onAlertmanagerAnswer: (response) => answers.record(response),
    // The demo's policy always has the page (demo/approver.ts); its pre-checks read the demo's cluster live.
    ...(policy.approvalsPage ? { approvalsPage: { policy: policy.approvalsPage, activities } } : {}),
  });
}

/** Where serve listens, and the Alertmanager receiver that posts to it (as docs/intake.md gives it). */
function receiverHelp(intakeUrl: string, tokenFile: string): string[] {
  return [
    `Intake: remediate serve's intake listens on ${intakeUrl} (POST ${intakeUrl}/v1/alertmanager; GET ${intakeUrl}/healthz, /readyz, /metrics).`,
    `  Point an Alertmanager at it with this receiver (the token is in ${relative(process.cwd(), tokenFile)}, mode 0600; the policy holds its sha256):`,
    '    receivers:',
    '      - name: remediate',
    '        webhook_configs:',
    `          - url: ${intakeUrl}/v1/alertmanager`,
    '            send_resolved: true',
    '            http_config:',
    '              authorization:',
    '                type: Bearer',
    `                credentials_file: ${tokenFile}`,
  ];
}

interface Story {
  session: Session;
  settings: TemporalSettings;
  catalogue: CompiledCatalogue;
  uiUrl: string | null;
  /** The approver's key, as the approve command names it. */
  approverKey: string;
  /** The approvals page's address and the file holding the approver's password. */
  approvalsPage: { url: string; passwordFile: string };
  /** The api-server pod that crash-loops. */
  crashingPod: string;
  signal: AbortSignal;
  /** Act five's parts; its `follow` is narrate's own. */
  loop: Omit<LoopAct, 'follow'>;
}

/** Follows one remediation, telling each event and the live values its verification read. */
async function followTelling(
  handle: WorkflowHandle<typeof remediateIncident>,
  tell: (line: string) => void,
  signal: AbortSignal,
  onStatus?: (status: RemediationStatus) => void,
): Promise<RemediationResult | undefined> {
  const { followRemediation } = await import('../client/follow');
  const { formatEvent } = await import('../client/event-line');
  const { liveVerificationLine } = await import('./measure');
  return await followRemediation(handle, {
    onEvent: (event) => {
      tell(formatEvent(event));
      const live = liveVerificationLine(event);
      if (live) tell(live);
    },
    ...(onStatus ? { onStatus } : {}),
    signal,
  });
}

/** Submits the incidents one after another (so one's guardrail slot never blocks the next) and follows each. */
async function narrate(story: Story): Promise<boolean> {
  const { submitIncident } = await import('../client/submit');
  const stamp = Date.now().toString(36).slice(-6);
  const incidents = demoIncidents(stamp, story.crashingPod);
  const width = Math.max(...incidents.map((d) => d.incident.id.length));
  const results = new Map<string, RemediationResult>();
  let asExpected = true;
  const waiting: Promise<unknown>[] = [];

  for (const demo of incidents) {
    if (story.signal.aborted) return asExpected;
    const { incident } = demo;
    const tell = (line: string) => say(`${incident.id.padEnd(width)}  ${line}`);
    say();
    tell(`${incident.root_cause} on ${incident.service}, confidence ${incident.confidence}: ${demo.story}`);
    const submission = await submitIncident(story.session.client, { incident, taskQueue: story.settings.taskQueue });
    let announced = false;
    let onApprovalWait: () => void = () => {};
    const approvalWait = new Promise<void>((resolve) => (onApprovalWait = resolve));
    const followed = followTelling(submission.handle, tell, story.signal, (status) => {
      if (status.phase !== 'awaiting_approval' || announced) return;
      announced = true;
      const runbook = story.catalogue.runbooks.find((r) => r.id === status.runbook);
      const plan = runbook ? planFor(runbook, incident).summary : [];
      for (const line of approvalHelp(incident.id, status, plan, story)) tell(line);
      onApprovalWait();
    }).then((result) => {
      if (!result) return;
      results.set(incident.id, result);
      const expected = demo.expect === 'awaiting_approval' ? announced : result.outcome === demo.expect;
      if (!expected) asExpected = false;
      tell(
        `outcome: ${result.outcome}${result.runbook ? ` (${result.runbook})` : ''}${expected ? '' : `; the demo expected ${demo.expect}: see \`remediate audit ${incident.id}\``}`,
      );
    });
    if (demo.expect === 'awaiting_approval') {
      await Promise.race([approvalWait, followed]);
      waiting.push(followed);
    } else {
      await followed;
    }
  }
  await Promise.all(waiting);
  if (story.signal.aborted) return asExpected;
  say();
  say('All four incidents handled:');
  for (const demo of incidents) {
    const result = results.get(demo.incident.id);
    const approvedBy = result?.approvals.length ? `, approved by ${result.approvals.map((a) => a.by).join(', ')}` : '';
    say(
      `  ${demo.incident.id.padEnd(width)}  ${(result?.outcome ?? '?').padEnd(11)} ${result?.decision.decision ?? ''}${result?.runbook ? ` ${result.runbook}` : ''}${approvedBy}`,
    );
  }
  const { closedLoopAct } = await import('./loop');
  const looped = await closedLoopAct({ ...story.loop, follow: (handle, tell) => followTelling(handle, tell, story.signal) });
  if (!looped) asExpected = false;
  if (story.signal.aborted) return asExpected;
  say();
  const cli = cliPrefix(story.settings);
  say('Explore:');
  say(`  ${cli} audit ${incidents[2]!.incident.id}     the audit timeline from the workflow history`);
  say(`  ${cli} list                 every remediation; --outcome, --runbook, --service filter`);
  say(`  ${cli} stats                each runbook's record and trust-spectrum advice`);
  if (story.uiUrl) say(`  ${story.uiUrl}    the Temporal Web UI`);
  say('Ctrl-C stops the demo (the worker, the server, Prometheus, then the cluster; the database keeps the history).');
  return asExpected;
}

function approvalHelp(id: string, status: RemediationStatus, plan: string[], story: Story): string[] {
  const cli = cliPrefix(story.settings);
  const workflowUrl = story.uiUrl ? `${story.uiUrl}/namespaces/${story.settings.namespace}/workflows/${remediationWorkflowId(id)}` : null;
  return [
    `waiting for approval (${status.approvals.length}/${status.approvalsNeeded}); it runs nothing until a listed approver (alice) says so.`,
    `The plan an approval is bound to (${status.planHash?.slice(0, 12)}):`,
    ...plan.map((step, i) => `  ${i + 1}. ${step}`),
    `Approve it on the approvals page: ${story.approvalsPage.url}/${encodeURIComponent(id)} (sign in as alice, password in ${story.approvalsPage.passwordFile})`,
    'or from another terminal in this folder:',
    `    ${cli} approve ${id} --key ${story.approverKey} --plan ${status.planHash}`,
    `(or reject it: ${cli} reject ${id} --key ${story.approverKey} --plan ${status.planHash} --reason "roll forward instead")`,
    ...(workflowUrl ? [`Web UI: ${workflowUrl}`] : []),
  ];
}

/** The command a second terminal runs: it must reach this demo's server, wherever that listens. */
function cliPrefix(settings: TemporalSettings): string {
  const env = [
    ...(['127.0.0.1:7233', 'localhost:7233'].includes(settings.address) ? [] : [`TEMPORAL_ADDRESS=${settings.address}`]),
    ...(settings.namespace === 'default' ? [] : [`TEMPORAL_NAMESPACE=${settings.namespace}`]),
  ];
  return [...env, 'npx remediate'].join(' ');
}
