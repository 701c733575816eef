/** The bin runs the JavaScript compiled into dist/ (test/harness/build-cli.ts builds it before the tests). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CLI_ENTRY, DIST, isBuildCurrent } from '../../scripts/build.mjs';
import { remediate } from './run-cli';

it('dist/ is current, and the bin runs it rather than the sources', () => {
  expect(isBuildCurrent()).toBe(true);
  const run = remediate(['--help']);
  expect(run.status).toBe(0);
  expect(run.stdout).toContain('Usage: remediate');
  expect(run.stderr).toBe('');
});

it('the compiled modules import each other by file name, as Node requires', () => {
  const main = readFileSync(CLI_ENTRY, 'utf8');
  expect(main).toContain(`from "./errors.js"`);
  expect(main).not.toMatch(/from ["']\.\.?\/[^"']*(?<!\.js)["']/);
  // The compiled worker bundles the compiled workflows beside it (worker/build-worker.ts WORKFLOWS_PATH).
  expect(existsSync(join(DIST, 'workflows/index.js'))).toBe(true);
});
