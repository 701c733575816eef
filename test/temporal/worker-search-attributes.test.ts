/**
 * A worker pointed at a namespace without the search attributes remediations set refuses to start
 * (exit 2) and prints the commands that register them, instead of stalling every remediation.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findTemporalCli } from '../../toolchain';
import { startDevServer, type RunningDevServer } from '../../toolchain/dev-server';
import { freePort } from '../../toolchain/ports';

let server: RunningDevServer;

beforeAll(async () => {
  server = await startDevServer({
    temporalCli: findTemporalCli()!.path,
    dataDir: mkdtempSync(join(tmpdir(), 'remediate-nosa-')),
    port: await freePort(),
    uiPort: false,
    log: () => undefined,
  });
});
afterAll(async () => {
  await server?.stop();
});

it('refuses to start on a namespace without the search attributes, naming the commands to run', () => {
  const run = spawnSync(process.execPath, [join(import.meta.dirname, '../../bin/remediate.js'), 'worker'], {
    env: { ...process.env, TEMPORAL_ADDRESS: server.address },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.status).toBe(2);
  expect(run.stderr).toContain('lacks the search attributes');
  expect(run.stderr).toContain('temporal operator search-attribute create --namespace default --name RemediateRunbook --type Keyword');
});
