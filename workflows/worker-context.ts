/**
 * What a remediation takes from the worker that runs it: the catalogue, the operator policy and the
 * coordinator's settings. One local activity at the start, so the answer is recorded in history:
 * the run keeps the catalogue version it decided with even when workers are upgraded mid-run, and
 * replay, audit and backtest read back exactly what it used.
 */
import { proxyLocalActivities } from '@temporalio/workflow';
import type { WorkerContext, WorkerContextActivities } from '../activities/worker-context';

/** The raw answer; runs recorded before `operator-policy` asked only for the coordinator's settings. */
export const { workerContext } = proxyLocalActivities<WorkerContextActivities>({ startToCloseTimeout: '10s' });

export type RemediationContext = Required<WorkerContext>;

export async function loadWorkerContext(): Promise<RemediationContext> {
  const context = await workerContext();
  // A worker built without a catalogue cannot run new remediations; it fails the task until one that can takes it.
  if (!context.catalogue || !context.policy)
    throw new Error('this worker has no catalogue or operator policy; remediations need a worker started with --runbooks');
  return context as RemediationContext;
}
