import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, executableOverride, findOnPath, isExecutable, type ResolvedBinary } from './cache';
import { MissingToolError } from './errors';
import { runBuildStep } from './run-step';
import { ALERTMANAGER_MODULE, ALERTMANAGER_RELEASE, ALERTMANAGER_VERSION } from './versions';

export const ALERTMANAGER_OVERRIDE = 'ALERTMANAGER_PATH';

function cachedAlertmanagerPath(): string {
  return join(cacheRoot(), 'alertmanager', ALERTMANAGER_VERSION, 'alertmanager');
}

/** ALERTMANAGER_PATH, then the pinned cached build; never one found on PATH, whose version nobody chose. */
export function findAlertmanager(): ResolvedBinary | undefined {
  const override = executableOverride(ALERTMANAGER_OVERRIDE);
  if (override) return { path: override, source: 'override', version: 'user-supplied' };
  const cached = cachedAlertmanagerPath();
  if (isExecutable(cached)) return { path: cached, source: 'cache', version: ALERTMANAGER_RELEASE };
  return undefined;
}

/**
 * Finds or builds Alertmanager: `go install` of the pinned module version from the Go module proxy
 * (no release downloads), stamped with its release so `--version` and /api/v2/status say it,
 * into a staging folder renamed into place only when complete.
 */
export async function ensureAlertmanager(log: (line: string) => void): Promise<ResolvedBinary> {
  const found = findAlertmanager();
  if (found) return found;

  const go = findOnPath('go');
  if (!go) throw new MissingToolError('Go', `Alertmanager ${ALERTMANAGER_RELEASE} (alert intake tests)`, ALERTMANAGER_OVERRIDE);

  const target = cachedAlertmanagerPath();
  const staging = `${target}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  log(`Alertmanager ${ALERTMANAGER_RELEASE} is not cached; building it with Go (first run only, a few minutes)`);
  const stamp = `-X github.com/prometheus/common/version.Version=${ALERTMANAGER_RELEASE}`;
  await runBuildStep(
    'go install alertmanager',
    go,
    ['install', '-trimpath', `-ldflags=-s -w ${stamp}`, `${ALERTMANAGER_MODULE}@${ALERTMANAGER_VERSION}`],
    {
      env: { ...process.env, GOBIN: staging },
      log,
    },
  );
  renameSync(join(staging, 'alertmanager'), target);
  rmSync(staging, { recursive: true, force: true });
  return { path: target, source: 'built', version: ALERTMANAGER_RELEASE };
}
