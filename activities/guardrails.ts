/**
 * How a remediation reaches the guardrail coordinator: activities, because talking to another
 * workflow through the client is I/O. The coordinator is started on first use (idempotently),
 * on the task queue of the worker that runs these activities.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { AcquireRequest, AcquireVerdict, GuardrailPolicy } from '../dsl/guardrail-state';
import type { GuardrailSnapshot } from '../dsl/types';
import { acquireUpdate, guardrailStateQuery, releaseSignal, type ReleaseRequest } from '../workflows/guardrail-messages';
import type { guardrailCoordinator } from '../workflows/guardrails';

export interface GuardrailActivityDeps {
  client: Client;
  /** One coordinator per id: operators run one per namespace; tests use their own. */
  workflowId: string;
  /** Policy the coordinator starts with, when this worker is the one that starts it. */
  policy: GuardrailPolicy;
  historyLimit?: number;
}

export function createGuardrailActivities(deps: GuardrailActivityDeps) {
  const handle = () => deps.client.workflow.getHandle<typeof guardrailCoordinator>(deps.workflowId);

  async function ensureCoordinator(): Promise<void> {
    await deps.client.workflow.start<typeof guardrailCoordinator>('guardrailCoordinator', {
      workflowId: deps.workflowId,
      taskQueue: Context.current().info.taskQueue,
      args: [{ policy: deps.policy, historyLimit: deps.historyLimit }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // Every remediation waits on this workflow's tasks: on a starved worker, a task that times out
      // makes updates fail until the next one completes, so give each task room.
      workflowTaskTimeout: '1 minute',
    });
  }

  return {
    /** The shared state as the decision engine sees it; an empty one before the coordinator exists. */
    async guardrailSnapshot(): Promise<GuardrailSnapshot | null> {
      try {
        return (await handle().query(guardrailStateQuery)).snapshot;
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return null;
        throw error;
      }
    },

    async acquireGuardrails(request: AcquireRequest): Promise<AcquireVerdict> {
      await ensureCoordinator();
      // An unbound handle: the handle `start` returns is tied to one run, which is gone once the
      // coordinator has continued as new; by id alone the update reaches the current run.
      return await handle().executeUpdate(acquireUpdate, { args: [request] });
    },

    async releaseGuardrails(request: ReleaseRequest): Promise<void> {
      try {
        await handle().signal(releaseSignal, request);
      } catch (error) {
        // No coordinator means no slot to free.
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    },
  };
}

export type GuardrailActivities = ReturnType<typeof createGuardrailActivities>;
