import { accessSync, constants, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { BadOverrideError } from './errors';

/**
 * Where provisioned servers live. Outside the work tree on purpose: a clean clone
 * (`git clean -xfd`) or a second checkout reuses what an earlier run built.
 */
export function cacheRoot(): string {
  const base = process.env.REMEDIATE_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'remediate');
  return base;
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First executable named `name` on PATH, if any. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (existsSync(candidate) && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The value of an override variable, checked to be executable; undefined when unset. */
export function executableOverride(variable: string): string | undefined {
  const path = process.env[variable];
  if (!path) return undefined;
  if (!existsSync(path)) throw new BadOverrideError(variable, path, 'no such file');
  if (!isExecutable(path)) throw new BadOverrideError(variable, path, 'not executable');
  return path;
}

/** Where a resolved binary came from: shown in logs so a run says which server it started. */
export type BinarySource = 'override' | 'cache' | 'path' | 'built';

export interface ResolvedBinary {
  path: string;
  source: BinarySource;
  version: string;
}
