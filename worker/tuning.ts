/**
 * Worker tuning, in one place for the CLI's workers, the tests and the benchmark, so the benchmark
 * measures what production runs. The coordinator gets a worker of its own: a storm of remediations
 * fills the remediation worker's slots and cache, and must never delay the one workflow they all wait on.
 */
import type { WorkerOptions } from '@temporalio/worker';

/** Slots, caches and timeouts: what tuning may change, never which code runs where. */
export type WorkerTuning = Partial<
  Omit<WorkerOptions, 'connection' | 'namespace' | 'taskQueue' | 'activities' | 'workflowBundle' | 'workflowsPath'>
>;

export const REMEDIATION_WORKER_TUNING: WorkerTuning = {
  // Workflow tasks are short and network-bound; more slots than cores hide server latency.
  maxConcurrentWorkflowTaskExecutions: 100,
  maxConcurrentActivityTaskExecutions: 200,
  maxCachedWorkflows: 5_000,
};

export const COORDINATOR_WORKER_TUNING: WorkerTuning = {
  // One coordinator per namespace: a few slots, and it stays cached.
  maxConcurrentWorkflowTaskExecutions: 4,
  maxCachedWorkflows: 16,
};
