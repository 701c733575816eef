/** Incidents the benchmark submits: each with a pod of its own, registered with the target. */
import { submitIncident } from '../client/submit';
import type { Incident } from '../dsl/types';
import { remediationWorkflowId } from '../contracts/messages';
import type { RemediationResult } from '../contracts/types';
import { WorkflowFailedError } from '@temporalio/client';
import type { BenchEnv } from './env';

const runTag = Date.now().toString(36);
let seq = 0;

export function makeIncident(env: BenchEnv, rootCause: string, service: string): Incident {
  const id = `bench-${runTag}-${++seq}`;
  env.target.pods.set(id, service);
  return { id, root_cause: rootCause, confidence: 0.9, service, services: [service], symptoms: [], context: { pod_name: id } };
}

export async function submit(env: BenchEnv, incident: Incident, taskQueue: string, eager = false) {
  return await submitIncident(env.client, { incident, taskQueue, eager });
}

export type Finished = RemediationResult | { error: string };

export async function resultOf(env: BenchEnv, incidentId: string): Promise<Finished> {
  try {
    return await env.client.workflow.getHandle(remediationWorkflowId(incidentId)).result();
  } catch (error) {
    return { error: error instanceof WorkflowFailedError ? `failed: ${error.cause?.message ?? error.message}` : String(error) };
  }
}

export function runTagged(name: string): string {
  return `${name}-${runTag}-${++seq}`;
}
