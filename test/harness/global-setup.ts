/**
 * Once per test run: provision the servers (no-op when cached), start one time-skipping
 * test server and one dev server from the project's own binaries, and bundle the workflows.
 * Test files connect to these through test/harness/temporal.ts.
 */
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { describe, ensureToolchain } from '../../toolchain';
import { startDevServer } from '../../toolchain/dev-server';
import { freePort } from '../../toolchain/ports';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

declare module 'vitest' {
  export interface ProvidedContext {
    timeSkippingAddress: string;
    devServerAddress: string;
    workflowBundlePath: string;
  }
}

const log = (line: string) => console.log(`[harness] ${line}`);

export default async function setup(project: TestProject) {
  const toolchain = await ensureToolchain(log);

  log(`starting ${describe('time-skipping test server', toolchain.testServer)}`);
  const timeSkipping = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: toolchain.testServer.path } },
  });
  log(`time-skipping test server listening on ${timeSkipping.address}`);
  await timeSkipping.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });

  // The same server settings as the embedded default and the benchmark, with a start deadline a
  // loaded machine can meet (the SDK's own launcher gives it five seconds).
  log(`starting dev server: ${describe('Temporal CLI', toolchain.temporalCli)}`);
  const devData = mkdtempSync(join(tmpdir(), 'remediate-dev-server-'));
  const dev = await startDevServer({
    temporalCli: toolchain.temporalCli.path,
    dataDir: devData,
    port: await freePort(),
    uiPort: false,
    searchAttributes: ALL_SEARCH_ATTRIBUTES.map((key) => `${key.name}=Keyword`),
    log,
  });
  log(`dev server listening on ${dev.address}`);

  const started = Date.now();
  const bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn: (m) => log(m), error: (m) => log(m), log() {} },
  });
  const bundlePath = join(mkdtempSync(join(tmpdir(), 'remediate-bundle-')), 'workflows.js');
  writeFileSync(bundlePath, bundle.code);
  log(`workflow bundle built once in ${Date.now() - started} ms: ${bundlePath}`);

  project.provide('timeSkippingAddress', timeSkipping.address);
  project.provide('devServerAddress', dev.address);
  project.provide('workflowBundlePath', bundlePath);

  return async () => {
    await timeSkipping.teardown();
    await dev.stop();
    rmSync(devData, { recursive: true, force: true });
  };
}

