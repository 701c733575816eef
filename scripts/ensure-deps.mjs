// Installs npm dependencies when node_modules is missing or older than package-lock.json,
// so the README's commands work on a fresh clone with nothing run before them.
// Plain Node on purpose: it runs before tsx or anything else is installed.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const lock = 'package-lock.json';
const installed = 'node_modules/.package-lock.json';
const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  console.log('[deps] installing npm dependencies (npm ci)');
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
}
