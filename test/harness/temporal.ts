/** What a test file uses to reach the run's servers and workflow bundle. */
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';
import { freePort } from '../../toolchain/ports';
import { startServerProcess } from '../../toolchain/server-process';
import { ALL_SEARCH_ATTRIBUTES } from '../../contracts/search-attributes';

/**
 * The client's keepalive, set to what the test server (grpc-java) permits. The SDK pings every 30 s,
 * even with no call open; grpc-java allows one ping per 5 minutes with calls and none without, so
 * after three idle pings it answers "too many pings" with GOAWAY and drops the connection with the
 * test's calls on it. Tests then hung until their timeout (CI, "excess pings"). On loopback a
 * keepalive buys nothing, so it pings rarely and only while a call is open.
 */
const TEST_SERVER_KEEPALIVE = {
  'grpc.keepalive_time_ms': 10 * 60_000,
  'grpc.keepalive_permit_without_calls': 0,
};

/**
 * A time-skipping environment on a test server of this file's own, so no other file's workflows can
 * hold its clock. We start the server ourselves (with a deadline a loaded machine meets; the SDK's
 * launcher allows five seconds) and connect through the SDK's internal `create`, which is how it
 * attaches a time-skipping client to a server. `teardown()` stops the server too.
 */
export async function connectTimeSkipping(): Promise<TestWorkflowEnvironment> {
  const port = await freePort();
  const server = await startServerProcess({
    name: 'the time-skipping test server',
    command: inject('testServerPath'),
    args: [String(port)],
    host: '127.0.0.1',
    port,
  });
  const create = (
    TestWorkflowEnvironment as unknown as {
      create(opts: {
        server: { type: 'existing' };
        address: string;
        namespace: string;
        supportsTimeSkipping: true;
        connectionOptions: { channelArgs: Record<string, number> };
      }): Promise<TestWorkflowEnvironment>;
    }
  ).create.bind(TestWorkflowEnvironment);
  const env = await create({
    server: { type: 'existing' },
    address: `127.0.0.1:${port}`,
    namespace: 'default',
    supportsTimeSkipping: true,
    connectionOptions: { channelArgs: TEST_SERVER_KEEPALIVE },
  });
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(
      ALL_SEARCH_ATTRIBUTES.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
  const teardown = env.teardown.bind(env);
  env.teardown = async () => {
    await teardown();
    await server.stop();
  };
  return env;
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
