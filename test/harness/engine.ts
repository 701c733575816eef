/** Test helpers around the engine: compile a fixture catalogue, build incidents, run a worker. */
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { readFileSync } from 'node:fs';
import { loadActivitiesConfig, type ActivitiesConfig } from '../../activities/config';
import { createRemediationActivities } from '../../activities/remediation';
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

/** A worker with the real activities, on its own task queue, running until `stop()`. */
export async function startWorker(env: TestWorkflowEnvironment, config: Partial<ActivitiesConfig> = {}) {
  const taskQueue = uniqueTaskQueue('remediate');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: workflowBundle(),
    activities: createRemediationActivities({ ...loadActivitiesConfig({}), ...config }),
  });
  const running = worker.run();
  return {
    taskQueue,
    worker,
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}
