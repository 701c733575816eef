/**
 * Incident ids and services that a plain object treats specially (`__proto__`, `constructor`...)
 * through the real coordinator on the time-skipping server: a freeze blocks them all before any
 * action, after it they run and are limited like ordinary names, their keys survive continue-as-new,
 * and the coordinator never fails a workflow task over them.
 */
import { Client, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitIncident } from '../../client/submit';
import type { CompiledCatalogue, Incident } from '../../dsl/types';
import { freezeSignal, guardrailStateQuery, unfreezeSignal } from '../../contracts/guardrail-messages';
import type { RemediationResult } from '../../contracts/types';
import { compileFixture, incident, startWorker } from '../harness/engine';
import { startSimulatedCluster, type SimulatedCluster } from '../harness/simulated-cluster';
import { connectTimeSkipping } from '../harness/temporal';

const HOSTILE = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', 'valueOf'];
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let env: TestWorkflowEnvironment;
let client: Client;
let target: SimulatedCluster;
let catalogue: CompiledCatalogue;
let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
const started: WorkflowHandle[] = [];
let pods = 0;

beforeAll(async () => {
  env = await connectTimeSkipping();
  client = new Client({ connection: env.connection });
  target = await startSimulatedCluster();
  catalogue = compileFixture(join(import.meta.dirname, '../fixtures/guardrails/runbooks.yaml'), { TARGET: target.url });
});

afterAll(async () => {
  await Promise.all(started.map((handle) => handle.terminate('test finished').catch(() => undefined)));
  await worker?.stop();
  await target?.close();
  await env?.teardown();
});

function inc(id: string, rootCause: string, service: string): Incident {
  pods += 1;
  return incident({ id, root_cause: rootCause, confidence: 0.9, service, context: { pod_name: `pod-${pods}` } });
}

/** The first run of an incident id goes through the client's submission. */
async function submit(i: Incident): Promise<WorkflowHandle> {
  const { handle, attached } = await submitIncident(client, { incident: i, taskQueue: worker!.taskQueue });
  expect(attached).toBe(false);
  started.push(handle);
  return handle;
}

/**
 * A later run of an incident id already used here: the submission refuses a workflow id twice, but
 * the coordinator keys its state by incident id, so another workflow id reaches the same key.
 */
let reruns = 0;
async function rerun(i: Incident): Promise<WorkflowHandle> {
  reruns += 1;
  const handle = await client.workflow.start('remediateIncident', {
    workflowId: `incident-${i.id}-rerun-${reruns}`,
    taskQueue: worker!.taskQueue,
    args: [{ incident: i }],
  });
  started.push(handle);
  return handle;
}

const result = async (handle: WorkflowHandle) => (await handle.result()) as RemediationResult;
const coordinator = () => client.workflow.getHandle(worker!.guardrailsWorkflowId);
const deletes = () => target.requests.filter((r) => r.method === 'DELETE').length;

async function waitUntil(predicate: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every run of the coordinator, first to last, following continue-as-new. */
async function coordinatorRuns(firstRunId: string): Promise<{ runId: string; events: string[] }[]> {
  const runs: { runId: string; events: string[] }[] = [];
  for (let runId: string | undefined = firstRunId; runId;) {
    const history = await client.workflow.getHandle(worker!.guardrailsWorkflowId, runId).fetchHistory();
    const events = (history.events ?? []).map((e) => Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? 'unknown');
    runs.push({ runId, events });
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

describe('hostile incident ids and services at the coordinator', () => {
  it(
    'a freeze blocks them all with no action; after it they run, are limited like ordinary names and survive continue-as-new',
    { timeout: 300_000 },
    async () => {
      worker = await startWorker(env, { catalogue, historyLimit: 80 });
      await waitUntil(
        async () =>
          (await coordinator()
            .describe()
            .then((d) => d.status.name)
            .catch(() => undefined)) === 'RUNNING',
      );
      const firstRunId = (await coordinator().describe()).runId;
      target.requests.length = 0;

      // Frozen: each name as an incident id (on an ordinary service) and as a service.
      await coordinator().signal(freezeSignal, { by: 'carol', reason: 'hostile names' });
      const frozen = await Promise.all([
        ...HOSTILE.map((name) => submit(inc(name, 'rate_test', 'frozen-svc'))),
        ...HOSTILE.map((name) => submit(inc(`svc-${name}`, 'rate_test', name))),
        submit(inc('ordinary-frozen', 'rate_test', 'ordinary')),
      ]);
      for (const r of await Promise.all(frozen.map(result))) {
        expect(r).toMatchObject({ outcome: 'blocked', decision: { event: 'FROZEN', reason: expect.stringContaining('hostile names') } });
      }
      expect(target.requests).toEqual([]);
      let view = await coordinator().query(guardrailStateQuery);
      expect(view.state.leases).toEqual({});
      expect(view.state.executions).toEqual({});

      // Unfrozen: each name runs, as incident id and service at once; the `__proto__` one fails, so
      // its service's failure budget has a `__proto__` key to keep.
      await coordinator().signal(unfreezeSignal, { by: 'carol' });
      const failing = `DELETE /pods/pod-${pods + 1}`;
      target.state.failing.add(failing);
      for (const name of HOSTILE)
        expect((await result(await rerun(inc(name, 'rate_test', name)))).outcome, name).toBe(
          name === '__proto__' ? 'failed' : 'remediated',
        );
      target.state.failing.clear();
      const failed = target.requests.filter((r) => `${r.method} ${r.path}` === failing).length;
      expect(failed).toBeGreaterThan(0);
      expect(deletes()).toBe(HOSTILE.length - 1 + failed);
      view = await coordinator().query(guardrailStateQuery);
      expect(Object.keys(view.state.serviceFailures)).toEqual(['__proto__']);
      expect(view.state.serviceFailures['__proto__']).toHaveLength(1);

      // The rate limit (3 an hour per runbook and service) counts a hostile service as an ordinary one.
      const limited = async (service: string) => {
        const outcomes: string[] = [];
        for (let n = 0; n < 3; n++) outcomes.push((await result(await submit(inc(`rl-${service}-${n}`, 'rate_test', service)))).outcome);
        return outcomes;
      };
      for (const service of ['__proto__', 'constructor', 'ordinary']) {
        // The hostile services already ran once above; the ordinary one gets its first run here.
        if (service === 'ordinary')
          expect((await result(await submit(inc('rl-ordinary-first', 'rate_test', service)))).outcome).toBe('remediated');
        expect(await limited(service), service).toEqual(['remediated', 'remediated', 'blocked']);
      }
      expect(deletes()).toBe(HOSTILE.length - 1 + failed + 2 + 2 + 3); // two more for each hostile service, three for the ordinary one
      view = await coordinator().query(guardrailStateQuery);
      expect(view.state.executions['rate-limited:__proto__']).toHaveLength(3);
      expect(view.state.executions['rate-limited:constructor']).toHaveLength(3);

      // Blast radius: a slow run on incident `__proto__` holds the one service slot; the same id
      // again and another service are refused at once, as for any name.
      const slow = await rerun(inc('__proto__', 'slow_test', 'toString'));
      await waitUntil(async () => Object.keys((await coordinator().query(guardrailStateQuery)).state.leases).includes('__proto__'));
      const again = await result(await rerun(inc('__proto__', 'rate_test', 'toString')));
      expect(again).toMatchObject({
        outcome: 'blocked',
        decision: { event: 'BLAST_LIMITED', reason: expect.stringContaining('incident __proto__ already holds') },
      });
      const other = await result(await rerun(inc('constructor', 'rate_test', 'valueOf')));
      expect(other).toMatchObject({
        outcome: 'blocked',
        decision: { event: 'BLAST_LIMITED', reason: expect.stringContaining('toString already under remediation') },
      });
      await env.sleep(HOUR + MINUTE);
      expect((await result(slow)).outcome).toBe('remediated');

      view = await coordinator().query(guardrailStateQuery);
      expect(view.state.leases).toEqual({});
      expect(view.state.breakers).toMatchObject({ 'rate-limited': { state: 'closed' }, slow: { state: 'closed' } });
      expect(view.log.filter((e) => e.kind === 'granted').map((e) => e.incidentId)).toContain('__proto__');
      expect(Object.getPrototypeOf({})).toBe(Object.prototype);

      const runs = await coordinatorRuns(firstRunId);
      expect(runs.length, 'the coordinator continued as new at least once').toBeGreaterThan(1);
      for (const run of runs) {
        expect(run.events, run.runId).not.toContain('workflowTaskFailedEventAttributes');
        expect(run.events, run.runId).not.toContain('workflowExecutionFailedEventAttributes');
      }
    },
  );
});
