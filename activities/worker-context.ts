/**
 * What a remediation learns from the worker that runs it rather than from whoever submitted it:
 * which guardrail coordinator to ask, and how long to wait for it. A local activity, so the answer
 * is recorded in history (replay reads it back) without a round trip through the server.
 */
import type { ChannelSettings } from '../workflows/guardrail-channel';

export interface WorkerContext {
  guardrails: ChannelSettings;
}

export function createWorkerContextActivities(context: WorkerContext) {
  return {
    async workerContext(): Promise<WorkerContext> {
      return context;
    },
  };
}

export type WorkerContextActivities = ReturnType<typeof createWorkerContextActivities>;
