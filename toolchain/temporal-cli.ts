import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, executableOverride, findOnPath, isExecutable, type ResolvedBinary } from './cache';
import { MissingToolError } from './errors';
import { runBuildStep } from './run-step';
import { TEMPORAL_CLI_MODULE, TEMPORAL_CLI_VERSION } from './versions';

export const TEMPORAL_CLI_OVERRIDE = 'TEMPORAL_CLI_PATH';

function cachedCliPath(): string {
  return join(cacheRoot(), 'temporal-cli', TEMPORAL_CLI_VERSION, 'temporal');
}

/**
 * The Temporal CLI (it contains the dev server), without building anything:
 * TEMPORAL_CLI_PATH, then the pinned cached build, then a `temporal` already on PATH.
 */
export function findTemporalCli(): ResolvedBinary | undefined {
  const override = executableOverride(TEMPORAL_CLI_OVERRIDE);
  if (override) return { path: override, source: 'override', version: 'user-supplied' };
  const cached = cachedCliPath();
  if (isExecutable(cached)) return { path: cached, source: 'cache', version: TEMPORAL_CLI_VERSION };
  const onPath = findOnPath('temporal');
  if (onPath) return { path: onPath, source: 'path', version: 'from PATH' };
  return undefined;
}

/**
 * Finds or builds the Temporal CLI. The build is `go install` of the pinned tag from the
 * Go module proxy (Temporal's own download site is unreachable behind many firewalls),
 * into a staging folder renamed into place only when complete, so an interrupted build
 * never leaves a half-written binary that a later run would trust.
 */
export async function ensureTemporalCli(log: (line: string) => void): Promise<ResolvedBinary> {
  const found = findTemporalCli();
  if (found) return found;

  const go = findOnPath('go');
  if (!go) throw new MissingToolError('Go', `the Temporal CLI ${TEMPORAL_CLI_VERSION} (dev server)`, TEMPORAL_CLI_OVERRIDE);

  const target = cachedCliPath();
  const staging = `${target}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  log(`Temporal CLI ${TEMPORAL_CLI_VERSION} is not cached; building it with Go (first run only, a few minutes)`);
  await runBuildStep('go install temporal', go, ['install', '-trimpath', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
    env: { ...process.env, GOBIN: staging },
    log,
  });
  renameSync(join(staging, 'temporal'), target);
  rmSync(staging, { recursive: true, force: true });
  return { path: target, source: 'built', version: TEMPORAL_CLI_VERSION };
}
