// Installs npm dependencies when node_modules is missing or older than package-lock.json,
// so the README's commands work on a fresh clone with nothing run before them.
// Plain Node on purpose: it runs before tsx or anything else is installed.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const lock = 'package-lock.json';
const installed = 'node_modules/.package-lock.json';
const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  // `npm install`, not `npm ci`: the registry this project is built against lacks some other
  // platforms' optional packages (@swc/core-darwin-*), which `npm ci` reports as a lock mismatch.
  // With the lock present, `npm install` still installs exactly the locked versions.
  console.log('[deps] installing npm dependencies (npm install, from package-lock.json)');
  execSync('npm install --no-audit --no-fund', { stdio: 'inherit' });
}
