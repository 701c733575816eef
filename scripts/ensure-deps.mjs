// The install step of the README's commands (npm test, npm run demo, ...): installs the locked npm
// dependencies when node_modules is missing or older than package-lock.json, then compiles the CLI
// into dist/ when a source is newer than the last build, so a fresh clone works with nothing run
// before, and an edit is picked up. Plain Node on purpose: it runs before anything is installed.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { ensureBuild } from './build.mjs';

const lock = 'package-lock.json';
const installed = 'node_modules/.package-lock.json';
const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  // `npm ci`: exactly the lock, which lists every platform's optional packages, and never rewrites
  // it. It also builds dist/ (the prepare script), so the check below then finds it current.
  console.log('[deps] installing npm dependencies (npm ci, from package-lock.json)');
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
}
try {
  await ensureBuild();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
