/** Test helpers around the engine: compile a fixture catalogue, build incidents, run a worker. */
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { readFileSync } from 'node:fs';
import { loadActivitiesConfig, type ActivitiesConfig } from '../../activities/config';
import type { GuardrailPolicy } from '../../dsl/guardrail-state';
import { resolveCoordinator, startWorkers, type BuildWorkerOptions } from '../../worker/build-worker';
import { DEFAULT_GUARDRAIL_POLICY } from '../../worker/guardrail-policy';
import { defaultPolicy } from '../../worker/operator-config';
import type { OperatorPolicy } from '../../contracts/types';
import { compileCatalogue, type CompileOptions } from '../../dsl/compile';
import type { CompiledCatalogue, Incident } from '../../dsl/types';
import { uniqueTaskQueue, workflowBundle } from './temporal';

/** A YAML fixture with its `${NAME}` variables filled in. */
export function renderFixture(path: string, vars: Record<string, string>): string {
  return readFileSync(path, 'utf8').replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`fixture variable ${name} not given`);
    return vars[name]!;
  });
}

/** Compiles a YAML fixture after filling in `${NAME}` variables; fails the test loudly on compile errors. */
export function compileFixture(path: string, vars: Record<string, string>, options: CompileOptions = {}): CompiledCatalogue {
  const text = renderFixture(path, vars);
  const compiled = compileCatalogue([{ file: path, text }], options);
  if (!compiled.ok)
    throw new Error(`fixture does not compile:\n${compiled.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('\n')}`);
  return compiled.catalogue;
}

export function incident(fields: Partial<Incident> & Pick<Incident, 'id' | 'root_cause' | 'confidence' | 'service'>): Incident {
  return { services: [fields.service], symptoms: [], context: {}, ...fields };
}

export interface TestWorkerOptions {
  /** The worker's catalogue: every remediation it runs decides with it. */
  catalogue: CompiledCatalogue;
  /** The worker's operator policy (approvers, trusted keys); limits follow `policy` unless given. */
  operator?: Partial<OperatorPolicy>;
  config?: Partial<ActivitiesConfig>;
  policy?: Partial<GuardrailPolicy>;
  historyLimit?: number;
  replyTimeoutMs?: number;
  tuning?: BuildWorkerOptions['tuning'];
  /** Metrics and traces (telemetry/); their workflow modules need `workflows` the worker bundles itself. */
  telemetry?: BuildWorkerOptions['telemetry'];
  /** Default: the run's shared bundle. */
  workflows?: BuildWorkerOptions['workflows'];
  /** Both workers' and the returned `client`'s data converter (encryption: codec/data-converter.ts). */
  dataConverter?: BuildWorkerOptions['dataConverter'];
}

/**
 * The production workers (worker/build-worker.ts) with the real activities, on a task queue of their
 * own and with their own guardrail coordinator (so tests never share guardrail state), until `stop()`.
 */
export async function startWorker(env: TestWorkflowEnvironment, options: TestWorkerOptions) {
  const taskQueue = uniqueTaskQueue('remediate');
  const guardrailsWorkflowId = `guardrails-${taskQueue}`;
  const guardrails = { ...DEFAULT_GUARDRAIL_POLICY, ...options.policy };
  // With a data converter, the workers' client and the test's encode with it too, as production's do.
  const client = options.dataConverter
    ? new Client({ connection: env.connection, namespace: 'default', dataConverter: options.dataConverter })
    : env.client;
  const plan: BuildWorkerOptions = {
    connection: env.nativeConnection,
    client,
    namespace: 'default',
    taskQueue,
    catalogue: options.catalogue,
    policy: defaultPolicy({ limits: guardrails.limits, version: 'test', ...options.operator }),
    guardrails,
    coordinator: { workflowId: guardrailsWorkflowId, historyLimit: options.historyLimit, replyTimeoutMs: options.replyTimeoutMs },
    // Notifications are not the test output: a test that reads them names its own file.
    activities: { ...loadActivitiesConfig({}), notifyLogPath: '/dev/null', ...options.config },
    workflows: options.workflows ?? { workflowBundle: workflowBundle() },
    tuning: options.tuning,
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
  };
  const coordinator = resolveCoordinator(plan);
  const workers = await startWorkers(plan);
  return {
    taskQueue,
    guardrailsWorkflowId,
    coordinator,
    /** The client to submit with: env.client, or one with the given data converter. */
    client,
    /** What the workers were built from: a test can build another one of either kind. */
    plan,
    worker: workers.remediation,
    workers,
    /**
     * Stops the workers and terminates the coordinator: on the time-skipping server a workflow
     * left with a task no worker will take blocks time skipping for every later test.
     */
    async stop() {
      await env.client.workflow
        .getHandle(guardrailsWorkflowId)
        .terminate('test finished')
        .catch(() => undefined);
      workers.shutdown();
      await workers.done;
    },
  };
}
