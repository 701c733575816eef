/**
 * What a remediation learns from the worker that runs it rather than from whoever submitted it:
 * the catalogue the worker compiled at start, the operator policy, which guardrail coordinator to
 * ask and how long to wait for it. A local activity, so the answer is recorded in history (replay
 * reads it back) without a round trip through the server.
 */
import type { CompiledCatalogue } from '../dsl/types';
import type { ChannelSettings } from '../workflows/guardrail-channel';
import type { OperatorPolicy } from '../contracts/types';

export interface WorkerContext {
  guardrails: ChannelSettings;
  /** Absent only in answers recorded before `operator-policy`. */
  catalogue?: CompiledCatalogue;
  policy?: OperatorPolicy;
}

export function createWorkerContextActivities(context: WorkerContext) {
  return {
    async workerContext(): Promise<WorkerContext> {
      return context;
    },
  };
}

export type WorkerContextActivities = ReturnType<typeof createWorkerContextActivities>;
