/**
 * The one way the engine's workers are assembled, used by the CLI (`worker`, `dev`, `demo`), the tests
 * and the benchmark, so the benchmark measures what production runs: a remediation worker (workflows
 * and every activity) and a coordinator worker on the coordinator's own task queue. Callers give what
 * they legitimately vary (connection, namespace, task queue, catalogue and policy, workflow code,
 * activity configuration or test doubles, tuning); everything else is the production default.
 * Starting them also makes sure the coordinator runs (client/coordinator.ts), after the workers poll,
 * because recovering a closed coordinator needs a worker to replay its history.
 */
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadActivitiesConfig, type ActivitiesConfig } from '../activities/config';
import { createGuardrailActivities } from '../activities/guardrails';
import { createRemediationActivities } from '../activities/remediation';
import { createWorkerContextActivities } from '../activities/worker-context';
import { ensureCoordinator, type CoordinatorSettings, type CoordinatorStart } from '../client/coordinator';
import type { GuardrailPolicy } from '../dsl/guardrail-state';
import type { CompiledCatalogue } from '../dsl/types';
import type { OperatorPolicy } from '../contracts/types';
import { tracingFromEnvironment } from '../telemetry/tracing';
import { mergeWorkerTelemetry, type WorkerTelemetry } from '../telemetry/worker-metrics';
import { guardrailSettings, type GuardrailSettings } from './config';
import { COORDINATOR_WORKER_TUNING, REMEDIATION_WORKER_TUNING, type WorkerTuning } from './tuning';

/** The workflow code, which the worker bundles at start unless given a bundle: the workflows beside this module: their sources, or their JavaScript when the CLI runs compiled (dist/); the SDK bundles either. */
export const WORKFLOWS_PATH = fileURLToPath(new URL(`../workflows/index${extname(import.meta.url)}`, import.meta.url));

/** A prebuilt bundle (tests and the benchmark build once), or the path the worker bundles itself. */
export type WorkflowCode = { workflowBundle: NonNullable<WorkerOptions['workflowBundle']> } | { workflowsPath: string };

/** Every activity the remediation worker registers, by name. */
export type EngineActivities = ReturnType<typeof createRemediationActivities> &
  ReturnType<typeof createGuardrailActivities> &
  ReturnType<typeof createWorkerContextActivities>;

export interface BuildWorkerOptions {
  connection: NativeConnection;
  /** For the coordinator bootstrap and the first protocol's guardrail activities. */
  client: Client;
  namespace: string;
  taskQueue: string;
  /** The catalogue compiled at start: every remediation this worker starts decides with it. */
  catalogue: CompiledCatalogue;
  /** The remediation workflow's view of the operator policy (approvers, trust, limits). */
  policy: OperatorPolicy;
  /** The coordinator's limits, failure budget and change windows. */
  guardrails: GuardrailPolicy;
  /** Where the coordinator runs and how long remediations wait for it; default: guardrailSettings(taskQueue) with no environment. */
  coordinator?: Partial<GuardrailSettings> & { historyLimit?: number };
  /** The activities' configuration; default: read from the environment. */
  activities?: ActivitiesConfig;
  /** Activities replaced by name (test doubles), after the production set. */
  activityOverrides?: Partial<EngineActivities>;
  /** Default: the worker bundles WORKFLOWS_PATH. */
  workflows?: WorkflowCode;
  /** Changes to the production tuning (worker/tuning.ts), for either worker. */
  tuning?: { remediation?: WorkerTuning; coordinator?: WorkerTuning };
  /** Metrics and traces for the remediation worker (telemetry/); default: tracing when OTEL_EXPORTER_OTLP_*ENDPOINT is set, else none. */
  telemetry?: readonly (WorkerTelemetry | null | undefined)[];
  /** Both workers' data converter: the payload codec when encryption is on (codec/data-converter.ts); default: the SDK's. */
  dataConverter?: DataConverter;
}

/** The coordinator as the remediation worker and the bootstrap see it, defaults filled in. */
export type ResolvedCoordinator = CoordinatorSettings & { replyTimeoutMs: number; queueTimeoutMs: number };

export interface EngineWorkerOptions {
  remediation: WorkerOptions & { activities: EngineActivities };
  coordinator: WorkerOptions;
  coordinatorSettings: ResolvedCoordinator;
}

export interface BuiltWorkers {
  remediation: Worker;
  coordinator: Worker;
}

export interface RunningWorkers extends BuiltWorkers {
  /** Resolves when both workers have stopped. */
  done: Promise<void>;
  coordinatorStart: CoordinatorStart;
  shutdown(): void;
}

/** The coordinator's placement as given, the production defaults for the rest (the environment is the caller's to read). */
export function resolveCoordinator(options: Pick<BuildWorkerOptions, 'taskQueue' | 'guardrails' | 'coordinator'>): ResolvedCoordinator {
  const defaults = guardrailSettings(options.taskQueue, {});
  const given = options.coordinator ?? {};
  return {
    workflowId: given.workflowId ?? defaults.workflowId,
    taskQueue: given.taskQueue ?? defaults.taskQueue,
    replyTimeoutMs: given.replyTimeoutMs ?? defaults.replyTimeoutMs,
    queueTimeoutMs: given.queueTimeoutMs ?? defaults.queueTimeoutMs,
    policy: options.guardrails,
    ...(given.historyLimit === undefined ? {} : { historyLimit: given.historyLimit }),
  };
}

/** What Worker.create gets for each of the two workers: pure, so the production wiring can be checked without a server. */
export function engineWorkerOptions(options: BuildWorkerOptions): EngineWorkerOptions {
  return {
    remediation: remediationWorkerOptions(options),
    coordinator: coordinatorWorkerOptions(options),
    coordinatorSettings: resolveCoordinator(options),
  };
}

/** Remediation workflows and every activity, on the main task queue. */
export function remediationWorkerOptions(options: BuildWorkerOptions): EngineWorkerOptions['remediation'] {
  const coordinator = resolveCoordinator(options);
  const activities: EngineActivities = {
    ...createRemediationActivities(options.activities ?? loadActivitiesConfig()),
    ...createGuardrailActivities({ client: options.client, workflowId: coordinator.workflowId }),
    ...createWorkerContextActivities({
      guardrails: {
        coordinatorId: coordinator.workflowId,
        replyTimeoutMs: coordinator.replyTimeoutMs,
        queueTimeoutMs: coordinator.queueTimeoutMs,
      },
      catalogue: options.catalogue,
      policy: options.policy,
    }),
    ...options.activityOverrides,
  };
  return {
    ...placement(options),
    taskQueue: options.taskQueue,
    activities,
    ...telemetryOptions(options.telemetry ?? [tracingFromEnvironment()?.worker]),
    ...REMEDIATION_WORKER_TUNING,
    ...options.tuning?.remediation,
  };
}

/** Interceptors and sinks only when some telemetry is on, so a worker without any is built exactly as before. */
function telemetryOptions(parts: readonly (WorkerTelemetry | null | undefined)[]): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  if (!parts.some(Boolean)) return {};
  const { interceptors, sinks } = mergeWorkerTelemetry(parts);
  return { interceptors, sinks };
}

/** The coordinator alone, on its own task queue: no activities, its own slots and cache. */
export function coordinatorWorkerOptions(options: BuildWorkerOptions): WorkerOptions {
  return {
    ...placement(options),
    taskQueue: resolveCoordinator(options).taskQueue,
    ...COORDINATOR_WORKER_TUNING,
    ...options.tuning?.coordinator,
  };
}

function placement(options: BuildWorkerOptions): Pick<WorkerOptions, 'connection' | 'namespace' | 'dataConverter'> & WorkflowCode {
  return {
    connection: options.connection,
    namespace: options.namespace,
    ...(options.workflows ?? { workflowsPath: WORKFLOWS_PATH }),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
  };
}

/** Both workers, created (the workflow code bundled) but not yet running. */
export async function buildWorker(options: BuildWorkerOptions): Promise<BuiltWorkers> {
  const remediation = await Worker.create(remediationWorkerOptions(options));
  return { remediation, coordinator: await Worker.create(coordinatorWorkerOptions(options)) };
}

/** The remediation worker alone (a test brings up a second one, with another catalogue). */
export async function buildRemediationWorker(options: BuildWorkerOptions): Promise<Worker> {
  return await Worker.create(remediationWorkerOptions(options));
}

/** The coordinator worker alone (a test brings the coordinator back after stopping it). */
export async function buildCoordinatorWorker(options: BuildWorkerOptions): Promise<Worker> {
  return await Worker.create(coordinatorWorkerOptions(options));
}

/** Builds both workers, runs them, and makes sure the coordinator runs; fails (stopping them) if it cannot. */
export async function startWorkers(options: BuildWorkerOptions, start: { fresh?: boolean } = {}): Promise<RunningWorkers> {
  const { remediation, coordinator } = await buildWorker(options);
  const done = Promise.all([remediation.run(), coordinator.run()]).then(() => undefined);
  const shutdown = () => {
    for (const worker of [remediation, coordinator]) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  try {
    const coordinatorStart = await ensureCoordinator(options.client, resolveCoordinator(options), start);
    return { remediation, coordinator, done, coordinatorStart, shutdown };
  } catch (error) {
    shutdown();
    await done.catch(() => undefined);
    throw error;
  }
}
