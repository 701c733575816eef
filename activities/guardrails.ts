/**
 * The first guardrail protocol's activities (snapshot query, acquire update, release signal), for
 * remediations that started before the batched protocol (see workflows/guardrail-access.ts). New
 * runs signal the coordinator directly. These no longer start a coordinator: only the operator or a
 * worker at start does, so a missing one fails closed instead of coming back with empty state.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { AcquireRequest, AcquireVerdict } from '../dsl/guardrail-state';
import type { GuardrailSnapshot } from '../dsl/types';
import { acquireUpdate, guardrailStateQuery, releaseSignal, type ReleaseRequest } from '../contracts/guardrail-messages';
import type { guardrailCoordinator } from '../workflows/coordinator/coordinator';

export interface GuardrailActivityDeps {
  client: Client;
  /** One coordinator per id: operators run one per namespace; tests use their own. */
  workflowId: string;
}

export function createGuardrailActivities(deps: GuardrailActivityDeps) {
  const handle = () => deps.client.workflow.getHandle<typeof guardrailCoordinator>(deps.workflowId);

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
      try {
        // By id alone the update reaches the coordinator's current run, across continue-as-new.
        return await handle().executeUpdate(acquireUpdate, { args: [request] });
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) {
          throw ApplicationFailure.nonRetryable(
            `no guardrail coordinator ${deps.workflowId} is running: not acting without guardrails`,
            'GuardrailsUnavailable',
          );
        }
        throw error;
      }
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
