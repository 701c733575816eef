/**
 * The remediation worker: the workflows (bundled from workflows/) and the activities, on one task queue.
 * Shuts down gracefully on SIGINT/SIGTERM (the SDK's default shutdown signals): running activities get
 * their grace period, and workflows simply continue on the next worker.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createGuardrailActivities } from '../activities/guardrails';
import type { ActivitiesConfig } from '../activities/config';
import { createRemediationActivities } from '../activities/remediation';
import { DEFAULT_GUARDRAILS_WORKFLOW_ID } from '../workflows/guardrail-messages';
import { loadGuardrailPolicy } from './guardrail-policy';
import { assertSearchAttributes } from './search-attributes-check';
import { temporalSettings, type TemporalSettings } from './config';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface StartWorkerOptions {
  settings?: TemporalSettings;
  /** A prebuilt bundle (tests and benchmarks build once); otherwise the worker bundles workflows/ itself. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  connection?: NativeConnection;
  /** The activities' configuration; default: read from the environment. */
  activities?: ActivitiesConfig;
  extra?: Partial<WorkerOptions>;
}

export async function createRemediationWorker(options: StartWorkerOptions = {}): Promise<{ worker: Worker; close: () => Promise<void> }> {
  const settings = options.settings ?? temporalSettings();
  const connection = options.connection ?? (await NativeConnection.connect(settings.connectionOptions));
  // The guardrail activities talk to the coordinator workflow through a client of their own.
  const clientConnection = await Connection.connect(settings.connectionOptions);
  const client = new Client({ connection: clientConnection, namespace: settings.namespace });
  await assertSearchAttributes(client, settings.namespace).catch(async (error: unknown) => {
    await clientConnection.close();
    throw error;
  });
  const worker = await Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    activities: {
      ...createRemediationActivities(options.activities),
      ...createGuardrailActivities({
        client,
        workflowId: process.env.REMEDIATE_GUARDRAILS_ID ?? DEFAULT_GUARDRAILS_WORKFLOW_ID,
        policy: loadGuardrailPolicy(),
      }),
    },
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    ...options.extra,
  });
  const close = async () => {
    await clientConnection.close();
    if (!options.connection) await connection.close();
  };
  return { worker, close };
}
