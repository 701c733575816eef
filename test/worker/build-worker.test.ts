/** The production wiring (worker/build-worker.ts), checked without a server: what each worker is created with. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { loadActivitiesConfig } from '../../activities/config';
import { engineWorkerOptions, WORKFLOWS_PATH, type BuildWorkerOptions } from '../../worker/build-worker';
import {
  DEFAULT_GUARDRAILS_QUEUE_TIMEOUT_MS,
  DEFAULT_GUARDRAILS_REPLY_TIMEOUT_MS,
  DEFAULT_GUARDRAILS_WORKFLOW_ID,
} from '../../worker/config';
import { DEFAULT_GUARDRAIL_POLICY } from '../../worker/guardrail-policy';
import { defaultPolicy } from '../../worker/operator-config';
import { COORDINATOR_WORKER_TUNING, REMEDIATION_WORKER_TUNING } from '../../worker/tuning';
import { shippedCatalogue } from '../harness/shipped-catalogue';

const catalogue = shippedCatalogue();

// Never connected: building the options only hands them on.
const connection: NativeConnection = Object.create(NativeConnection.prototype);
const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });

function options(overrides: Partial<BuildWorkerOptions> = {}): BuildWorkerOptions {
  return {
    connection,
    client,
    namespace: 'ops',
    taskQueue: 'remediate-test',
    catalogue,
    policy: defaultPolicy({ namespace: 'ops' }),
    guardrails: DEFAULT_GUARDRAIL_POLICY,
    activities: loadActivitiesConfig({}),
    ...overrides,
  };
}

describe('engineWorkerOptions', () => {
  it('puts the remediation worker on the task queue and the coordinator on its own, with the production defaults', () => {
    const built = engineWorkerOptions(options());
    expect(built.remediation).toMatchObject({
      connection,
      namespace: 'ops',
      taskQueue: 'remediate-test',
      workflowsPath: WORKFLOWS_PATH,
      ...REMEDIATION_WORKER_TUNING,
    });
    expect(built.coordinator).toMatchObject({
      connection,
      namespace: 'ops',
      taskQueue: 'remediate-test-guardrails',
      workflowsPath: WORKFLOWS_PATH,
      ...COORDINATOR_WORKER_TUNING,
    });
    expect(built.coordinator.activities).toBeUndefined();
    expect(built.coordinatorSettings).toEqual({
      workflowId: DEFAULT_GUARDRAILS_WORKFLOW_ID,
      taskQueue: 'remediate-test-guardrails',
      replyTimeoutMs: DEFAULT_GUARDRAILS_REPLY_TIMEOUT_MS,
      queueTimeoutMs: DEFAULT_GUARDRAILS_QUEUE_TIMEOUT_MS,
      policy: DEFAULT_GUARDRAIL_POLICY,
    });
  });

  it('gives both workers the data converter (encryption) when one is given, and none otherwise', () => {
    const dataConverter = { payloadCodecs: [] };
    const built = engineWorkerOptions(options({ dataConverter }));
    expect(built.remediation.dataConverter).toBe(dataConverter);
    expect(built.coordinator.dataConverter).toBe(dataConverter);
    const plain = engineWorkerOptions(options());
    expect('dataConverter' in plain.remediation || 'dataConverter' in plain.coordinator).toBe(false);
  });

  it('registers every activity the workflows call', () => {
    const names = Object.keys(engineWorkerOptions(options()).remediation.activities).sort();
    expect(names).toEqual([
      'acquireGuardrails',
      'guardrailSnapshot',
      'notify',
      'releaseGuardrails',
      'runAction',
      'runCheck',
      'workerContext',
    ]);
  });

  it("answers the worker context with this worker's catalogue, policy and coordinator", async () => {
    const policy = defaultPolicy({ namespace: 'ops', version: 'v1' });
    const built = engineWorkerOptions(options({ policy, coordinator: { workflowId: 'g-1', replyTimeoutMs: 3_000 } }));
    const context = await built.remediation.activities.workerContext();
    expect(context).toEqual({
      guardrails: { coordinatorId: 'g-1', replyTimeoutMs: 3_000, queueTimeoutMs: DEFAULT_GUARDRAILS_QUEUE_TIMEOUT_MS },
      catalogue,
      policy,
    });
  });

  it('takes what tests and the benchmark vary: coordinator placement, workflow bundle, test doubles, tuning', () => {
    const notify = async () => [];
    const workflowBundle = { code: '/* bundle */' };
    const built = engineWorkerOptions(
      options({
        coordinator: { workflowId: 'g-2', taskQueue: 'elsewhere', historyLimit: 40 },
        workflows: { workflowBundle },
        activityOverrides: { notify },
        tuning: { remediation: { maxCachedWorkflows: 7 }, coordinator: { maxConcurrentWorkflowTaskExecutions: 2 } },
      }),
    );
    expect(built.remediation).toMatchObject({
      workflowBundle,
      maxCachedWorkflows: 7,
      maxConcurrentWorkflowTaskExecutions: REMEDIATION_WORKER_TUNING.maxConcurrentWorkflowTaskExecutions,
    });
    expect(built.remediation).not.toHaveProperty('workflowsPath');
    expect(built.remediation.activities.notify).toBe(notify);
    expect(built.coordinator).toMatchObject({
      workflowBundle,
      taskQueue: 'elsewhere',
      maxConcurrentWorkflowTaskExecutions: 2,
      maxCachedWorkflows: COORDINATOR_WORKER_TUNING.maxCachedWorkflows,
    });
    expect(built.coordinatorSettings).toMatchObject({ workflowId: 'g-2', taskQueue: 'elsewhere', historyLimit: 40 });
  });

  it('leaves a coordinator setting given as undefined at its default', () => {
    const built = engineWorkerOptions(options({ coordinator: { workflowId: 'g-3', replyTimeoutMs: undefined, historyLimit: undefined } }));
    expect(built.coordinatorSettings).toEqual(expect.objectContaining({ replyTimeoutMs: DEFAULT_GUARDRAILS_REPLY_TIMEOUT_MS }));
    expect(built.coordinatorSettings).not.toHaveProperty('historyLimit');
  });
});
