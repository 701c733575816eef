import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, executableOverride, findOnPath, isExecutable, type ResolvedBinary } from './cache';
import { MissingToolError } from './errors';
import { runBuildStep } from './run-step';
import { PROMETHEUS_MODULE, PROMETHEUS_RELEASE, PROMETHEUS_VERSION } from './versions';

export const PROMETHEUS_OVERRIDE = 'PROMETHEUS_PATH';

function cachedPrometheusPath(): string {
  return join(cacheRoot(), 'prometheus', PROMETHEUS_VERSION, 'prometheus');
}

/** PROMETHEUS_PATH, then the pinned cached build; never one found on PATH, whose version nobody chose. */
export function findPrometheus(): ResolvedBinary | undefined {
  const override = executableOverride(PROMETHEUS_OVERRIDE);
  if (override) return { path: override, source: 'override', version: 'user-supplied' };
  const cached = cachedPrometheusPath();
  if (isExecutable(cached)) return { path: cached, source: 'cache', version: PROMETHEUS_RELEASE };
  return undefined;
}

/**
 * Finds or builds Prometheus: `go install` of the pinned module version from the Go module proxy
 * (no release downloads), stamped with its release so `--version` and the build-info API say it,
 * into a staging folder renamed into place only when complete.
 */
export async function ensurePrometheus(log: (line: string) => void): Promise<ResolvedBinary> {
  const found = findPrometheus();
  if (found) return found;

  const go = findOnPath('go');
  if (!go) throw new MissingToolError('Go', `Prometheus ${PROMETHEUS_RELEASE} (live verification)`, PROMETHEUS_OVERRIDE);

  const target = cachedPrometheusPath();
  const staging = `${target}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  log(`Prometheus ${PROMETHEUS_RELEASE} is not cached; building it with Go (first run only, several minutes)`);
  const stamp = `-X github.com/prometheus/common/version.Version=${PROMETHEUS_RELEASE}`;
  await runBuildStep(
    'go install prometheus',
    go,
    ['install', '-trimpath', `-ldflags=-s -w ${stamp}`, `${PROMETHEUS_MODULE}@${PROMETHEUS_VERSION}`],
    {
      env: { ...process.env, GOBIN: staging },
      log,
    },
  );
  renameSync(join(staging, 'prometheus'), target);
  rmSync(staging, { recursive: true, force: true });
  return { path: target, source: 'built', version: PROMETHEUS_RELEASE };
}
