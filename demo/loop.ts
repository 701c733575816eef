/**
 * Act five, the closed loop with nobody submitting anything: the demo scales the worker back to 3
 * replicas through the cluster (as a deploy that reset the replica count would), so its CPU goes bad
 * for real; the demo's Prometheus fires WorkerCpuHigh; a real Alertmanager posts it to serve's intake
 * with the token from its file; the policy's rule makes it a high_cpu incident; scale-up runs, live
 * verification reads the CPU from Prometheus, and the alert resolves. Each stage is told with its time.
 */
import type { Client } from '@temporalio/client';
import type { AlertResult } from '../intake/alertmanager-route';
import type { IntakeResponse } from '../intake/types';
import type { KubernetesConnection } from '../kubernetes/connection';
import type { RemediationResult } from '../contracts/types';
import type { remediateIncident } from '../workflows/remediation';
import type { WorkflowHandle } from '@temporalio/client';
import { WORKER_CPU_ALERT } from './measure';
import { DEMO_NAMESPACE } from './scenario';
import { WORKLOAD_METRICS } from './workload-metrics';

/** Every answer the intake gave Alertmanager, with when. */
export class AlertAnswers {
  readonly seen: { at: number; alert: AlertResult }[] = [];
  record(response: IntakeResponse): void {
    const body = response.body;
    const alerts = body && typeof body === 'object' && 'alerts' in body && Array.isArray(body.alerts) ? (body.alerts as AlertResult[]) : [];
    for (const alert of alerts) this.seen.push({ at: Date.now(), alert });
  }
}

export interface LoopAct {
  k8s: KubernetesConnection;
  client: Client;
  prometheusUrl: string;
  answers: AlertAnswers;
  /** Starts the demo's Alertmanager (webhook to the intake); the caller stops it. */
  startAlertmanager(): Promise<string>;
  /** Follows the remediation, telling each event as the other incidents' are told. */
  follow(handle: WorkflowHandle<typeof remediateIncident>, tell: (line: string) => void): Promise<RemediationResult | undefined>;
  signal: AbortSignal;
  say(line?: string): void;
}

const time = (at: number) => new Date(at).toISOString().slice(11, 19);
const seconds = (from: number, to: number) => `${((to - from) / 1000).toFixed(1)} s`;

/** True when the loop ran: remediated by scale-up and the alert resolved. */
export async function closedLoopAct(act: LoopAct): Promise<boolean> {
  const say = act.say;
  say();
  say(`Act five: the closed loop for INC002's kind, from a real alert; nobody submits anything.`);
  const alertmanager = await act.startAlertmanager();
  say(
    `  Alertmanager ${alertmanager} posts to the intake with the token from its file; Prometheus evaluates ${WORKER_CPU_ALERT.alert}: ${WORKER_CPU_ALERT.expr} for ${WORKER_CPU_ALERT.for}.`,
  );
  await scaleWorker(act.k8s, 3);
  say(`  The demo scaled deployment worker back to 3 replicas, as a deploy that reset the replica count would.`);
  const badAt = await until(act, 'Prometheus reading the worker CPU at 1', 60_000, async () =>
    (await workerCpu(act.prometheusUrl)) === '1' ? Date.now() : undefined,
  );
  say(`  ${time(badAt)}  metric bad: worker CPU utilisation 1 (Prometheus)`);
  const started = await until(
    act,
    `the ${WORKER_CPU_ALERT.alert} alert reaching the intake (Prometheus did not fire it, or Alertmanager did not post it)`,
    90_000,
    async () => act.answers.seen.find((a) => a.alert.result === 'started' || a.alert.result === 'attached'),
  );
  if (started.alert.result !== 'started' && started.alert.result !== 'attached') return false;
  const id = started.alert.incidentId;
  const tell = (line: string) => say(`${id}  ${line}`);
  say(`  ${time(started.at)}  alert reached the intake: incident ${id} (rule ${started.alert.rule})`);
  let firstActionAt: number | undefined;
  const result = await act.follow(act.client.workflow.getHandle(started.alert.workflowId), (line) => {
    if (firstActionAt === undefined && /STEP_STARTED +scale:/.test(line)) firstActionAt = Date.now();
    tell(line);
  });
  if (!result) return false;
  const verifiedAt = Date.now();
  const remediated = result.outcome === 'remediated' && result.runbook === 'scale-up';
  tell(
    `outcome: ${result.outcome}${result.runbook ? ` (${result.runbook})` : ''}${remediated ? '' : '; the demo expected remediated (scale-up)'}`,
  );
  if (firstActionAt !== undefined) say(`  ${time(firstActionAt)}  first action: scale`);
  say(`  ${time(verifiedAt)}  verified`);
  const resolved = await until(act, `Alertmanager posting the resolved ${WORKER_CPU_ALERT.alert} alert to the intake`, 60_000, async () =>
    act.answers.seen.find((a) => a.alert.incidentId === id && (a.alert.result === 'resolved' || a.alert.result === 'resolved_not_running')),
  );
  say(`  ${time(resolved.at)}  alert resolved (Alertmanager told the intake)`);
  say(`  metric bad to verified fix: ${seconds(badAt, verifiedAt)}`);
  return remediated;
}

/** The act's own bound: a clear message naming what did not happen. */
async function until<T>(act: LoopAct, what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (act.signal.aborted) throw new Error(`stopped while waiting for ${what}`);
    const found = await probe().catch(() => undefined);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`act five: ${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function scaleWorker(k8s: KubernetesConnection, replicas: number): Promise<void> {
  const d = await k8s.apps.readNamespacedDeployment({ name: 'worker', namespace: DEMO_NAMESPACE });
  d.spec!.replicas = replicas;
  await k8s.apps.replaceNamespacedDeployment({ name: 'worker', namespace: DEMO_NAMESPACE, body: d });
}

async function workerCpu(prometheusUrl: string): Promise<string | undefined> {
  const query = `${WORKLOAD_METRICS.cpuUtilisation}{namespace="${DEMO_NAMESPACE}",deployment="worker"}`;
  const answer: unknown = await (await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query })}`)).json();
  const text = JSON.stringify(answer);
  return /"value":\[[\d.]+,"([^"]+)"\]/.exec(text)?.[1];
}
