/** Test helpers around the engine: compile a fixture catalogue, build incidents, run a worker. */
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { readFileSync } from 'node:fs';
import { loadActivitiesConfig, type ActivitiesConfig } from '../../activities/config';
import { createGuardrailActivities } from '../../activities/guardrails';
import { createRemediationActivities } from '../../activities/remediation';
import type { GuardrailPolicy } from '../../dsl/guardrail-state';
import { DEFAULT_GUARDRAIL_POLICY } from '../../worker/guardrail-policy';
import { compileCatalogue } from '../../dsl/compile';
import type { CompiledCatalogue, Incident } from '../../dsl/types';
import { uniqueTaskQueue, workflowBundle } from './temporal';

/** Compiles a YAML fixture after filling in `${NAME}` variables; fails the test loudly on compile errors. */
export function compileFixture(path: string, vars: Record<string, string>): CompiledCatalogue {
  const text = readFileSync(path, 'utf8').replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`fixture variable ${name} not given`);
    return vars[name]!;
  });
  const compiled = compileCatalogue([{ file: path, text }]);
  if (!compiled.ok) throw new Error(`fixture does not compile:\n${compiled.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('\n')}`);
  return compiled.catalogue;
}

export function incident(fields: Partial<Incident> & Pick<Incident, 'id' | 'root_cause' | 'confidence' | 'service'>): Incident {
  return { services: [fields.service], symptoms: [], context: {}, ...fields };
}

export interface TestWorkerOptions {
  config?: Partial<ActivitiesConfig>;
  policy?: Partial<GuardrailPolicy>;
  historyLimit?: number;
}

/**
 * A worker with the real activities, on its own task queue and with its own guardrail
 * coordinator (so tests never share guardrail state), running until `stop()`.
 */
export async function startWorker(env: TestWorkflowEnvironment, options: TestWorkerOptions = {}) {
  const taskQueue = uniqueTaskQueue('remediate');
  const guardrailsWorkflowId = `guardrails-${taskQueue}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: workflowBundle(),
    activities: {
      ...createRemediationActivities({ ...loadActivitiesConfig({}), ...options.config }),
      ...createGuardrailActivities({
        client: env.client,
        workflowId: guardrailsWorkflowId,
        policy: { ...DEFAULT_GUARDRAIL_POLICY, ...options.policy },
        historyLimit: options.historyLimit,
      }),
    },
  });
  const running = worker.run();
  return {
    taskQueue,
    guardrailsWorkflowId,
    worker,
    /**
     * Stops the worker and terminates its coordinator: on the time-skipping server a workflow
     * left with a task no worker will take blocks time skipping for every later test.
     */
    async stop() {
      worker.shutdown();
      await running;
      await env.client.workflow
        .getHandle(guardrailsWorkflowId)
        .terminate('test finished')
        .catch(() => undefined);
    },
  };
}
