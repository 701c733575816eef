/** What a test file uses to reach the run's shared servers and workflow bundle. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';

/**
 * A time-skipping environment on the run's shared test server. The SDK only offers
 * "start a new server" publicly; its internal `create` is how it connects a time-skipping
 * client to a server, and we reuse it so the whole run pays for one JVM start.
 */
export async function connectTimeSkipping(): Promise<TestWorkflowEnvironment> {
  const create = (TestWorkflowEnvironment as unknown as {
    create(opts: { server: { type: 'existing' }; address: string; namespace: string; supportsTimeSkipping: true }): Promise<TestWorkflowEnvironment>;
  }).create.bind(TestWorkflowEnvironment);
  return await create({ server: { type: 'existing' }, address: inject('timeSkippingAddress'), namespace: 'default', supportsTimeSkipping: true });
}

/** An environment on the run's shared dev server (real persistence, real time). */
export async function connectDevServer(): Promise<TestWorkflowEnvironment> {
  return await TestWorkflowEnvironment.createFromExistingServer({ address: inject('devServerAddress') });
}

export function workflowBundle(): { codePath: string } {
  return { codePath: inject('workflowBundlePath') };
}

let counter = 0;
/** A task queue no other test uses, so workers never steal each other's tasks. */
export function uniqueTaskQueue(name: string): string {
  counter += 1;
  return `${name}-${process.pid}-${counter}-${Date.now().toString(36)}`;
}
