/**
 * Once per test run, before any test: the compiled CLI (dist/) is current, so the tests that spawn
 * bin/remediate.js run what users run (a no-op when nothing changed since the last build).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../../scripts/build.mjs', import.meta.url))], { stdio: 'inherit' });
}
