/**
 * The one way a worker process is assembled, used by the CLI (`worker`, `dev`, `demo`), the tests
 * and the benchmark: a remediation worker (workflows and activities) and a coordinator worker on
 * the coordinator's own task queue. Starting it also makes sure the coordinator runs (see
 * client/coordinator.ts), after the workers poll, because recovering a closed coordinator needs a
 * worker to replay its history.
 */
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { ActivitiesConfig } from '../activities/config';
import { createGuardrailActivities } from '../activities/guardrails';
import { createRemediationActivities } from '../activities/remediation';
import { createWorkerContextActivities } from '../activities/worker-context';
import type { CompiledCatalogue } from '../dsl/types';
import type { OperatorPolicy } from '../workflows/types';
import { ensureCoordinator, type CoordinatorSettings, type CoordinatorStart } from '../client/coordinator';
import { COORDINATOR_WORKER_TUNING, REMEDIATION_WORKER_TUNING } from './tuning';

export interface WorkerPlan {
  connection: NativeConnection;
  /** For the coordinator bootstrap and the first protocol's guardrail activities. */
  client: Client;
  namespace: string;
  taskQueue: string;
  coordinator: CoordinatorSettings & { replyTimeoutMs: number; queueTimeoutMs: number };
  activities: ActivitiesConfig;
  /** The catalogue compiled at start and the operator policy: every remediation this worker starts uses them. */
  catalogue: CompiledCatalogue;
  policy: OperatorPolicy;
  /** A prebuilt bundle (tests and benchmarks build once), or the path the worker bundles itself. */
  workflows: { workflowBundle: WorkerOptions['workflowBundle'] } | { workflowsPath: string };
  /** Overrides for the remediation worker only (tests lower timeouts). */
  extra?: Partial<WorkerOptions>;
}

export interface RunningWorkers {
  remediation: Worker;
  coordinator: Worker;
  /** Resolves when both workers have stopped. */
  done: Promise<void>;
  coordinatorStart: CoordinatorStart;
  shutdown(): void;
}

export async function createWorkers(plan: WorkerPlan): Promise<{ remediation: Worker; coordinator: Worker }> {
  return { remediation: await createRemediationWorker(plan), coordinator: await createCoordinatorWorker(plan) };
}

/** Remediation workflows and every activity, on the main task queue. */
export async function createRemediationWorker(plan: WorkerPlan): Promise<Worker> {
  return await Worker.create({
    connection: plan.connection,
    namespace: plan.namespace,
    taskQueue: plan.taskQueue,
    activities: {
      ...createRemediationActivities(plan.activities),
      ...createGuardrailActivities({ client: plan.client, workflowId: plan.coordinator.workflowId }),
      ...createWorkerContextActivities({
        guardrails: {
          coordinatorId: plan.coordinator.workflowId,
          replyTimeoutMs: plan.coordinator.replyTimeoutMs,
          queueTimeoutMs: plan.coordinator.queueTimeoutMs,
        },
        catalogue: plan.catalogue,
        policy: plan.policy,
      }),
    },
    ...plan.workflows,
    ...REMEDIATION_WORKER_TUNING,
    ...plan.extra,
  });
}

/** The coordinator alone, on its own task queue: no activities, its own slots and cache. */
export async function createCoordinatorWorker(plan: WorkerPlan): Promise<Worker> {
  return await Worker.create({
    connection: plan.connection,
    namespace: plan.namespace,
    taskQueue: plan.coordinator.taskQueue,
    ...plan.workflows,
    ...COORDINATOR_WORKER_TUNING,
  });
}

/** Creates both workers, runs them, and makes sure the coordinator runs; fails (stopping them) if it cannot. */
export async function startWorkers(plan: WorkerPlan, options: { fresh?: boolean } = {}): Promise<RunningWorkers> {
  const { remediation, coordinator } = await createWorkers(plan);
  const done = Promise.all([remediation.run(), coordinator.run()]).then(() => undefined);
  const shutdown = () => {
    for (const worker of [remediation, coordinator]) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  try {
    const coordinatorStart = await ensureCoordinator(plan.client, plan.coordinator, options);
    return { remediation, coordinator, done, coordinatorStart, shutdown };
  } catch (error) {
    shutdown();
    await done.catch(() => undefined);
    throw error;
  }
}
