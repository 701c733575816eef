/**
 * Once per test run: provision the servers (no-op when cached), start one dev server from the
 * project's own binary, and bundle the workflows.
 * Test files connect to these through test/harness/temporal.ts.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { describe, ensureToolchain } from '../../toolchain';
import { startDevServer } from '../../toolchain/dev-server';
import { freePort } from '../../toolchain/ports';
import { ALL_SEARCH_ATTRIBUTES } from '../../contracts/search-attributes';

declare module 'vitest' {
  export interface ProvidedContext {
    testServerPath: string;
    devServerAddress: string;
    workflowBundlePath: string;
    prometheusPath: string;
    alertmanagerPath: string;
  }
}

const log = (line: string) => console.log(`[harness] ${line}`);

export default async function setup(project: TestProject) {
  const toolchain = await ensureToolchain(log);

  // Each test file starts a time-skipping server of its own (test/harness/temporal.ts): time skipping
  // is global to a server, and one file's stuck workflow would stop the clock for every later file.
  log(`time-skipping tests use ${describe('time-skipping test server', toolchain.testServer)}`);

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

  project.provide('testServerPath', toolchain.testServer.path);
  project.provide('devServerAddress', dev.address);
  project.provide('workflowBundlePath', bundlePath);
  log(`Prometheus tests use ${describe('Prometheus', toolchain.prometheus)}`);
  project.provide('prometheusPath', toolchain.prometheus.path);
  log(`Alertmanager tests use ${describe('Alertmanager', toolchain.alertmanager)}`);
  project.provide('alertmanagerPath', toolchain.alertmanager.path);

  return async () => {
    await dev.stop();
    rmSync(devData, { recursive: true, force: true });
  };
}
