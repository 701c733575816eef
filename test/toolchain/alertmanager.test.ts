/** How Alertmanager is found: the override, then the pinned cached build; without either it needs Go. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ALERTMANAGER_OVERRIDE, ensureAlertmanager, findAlertmanager } from '../../toolchain/alertmanager';
import { BadOverrideError, MissingToolError } from '../../toolchain/errors';
import { ALERTMANAGER_VERSION } from '../../toolchain/versions';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'remediate-alertmanager-find-'));
  vi.stubEnv('REMEDIATE_CACHE_DIR', join(dir, 'cache'));
  vi.stubEnv(ALERTMANAGER_OVERRIDE, undefined);
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

function executable(path: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

describe('finding Alertmanager', () => {
  it('uses ALERTMANAGER_PATH first, and refuses one that is not executable', () => {
    executable(join(dir, 'cache', 'alertmanager', ALERTMANAGER_VERSION, 'alertmanager'));
    vi.stubEnv(ALERTMANAGER_OVERRIDE, executable(join(dir, 'mine', 'alertmanager')));
    expect(findAlertmanager()).toMatchObject({ source: 'override', path: join(dir, 'mine', 'alertmanager') });

    writeFileSync(join(dir, 'plain'), '');
    vi.stubEnv(ALERTMANAGER_OVERRIDE, join(dir, 'plain'));
    expect(() => findAlertmanager()).toThrow(BadOverrideError);
  });

  it('uses the pinned build in the cache, and never one on PATH', () => {
    const onPath = join(dir, 'bin');
    executable(join(onPath, 'alertmanager'));
    vi.stubEnv('PATH', onPath);
    expect(findAlertmanager()).toBeUndefined();

    const cached = executable(join(dir, 'cache', 'alertmanager', ALERTMANAGER_VERSION, 'alertmanager'));
    expect(findAlertmanager()).toMatchObject({ source: 'cache', path: cached, version: ALERTMANAGER_VERSION.slice(1) });
  });

  it('without a cached build or Go, names Go and the override that skips the build', async () => {
    vi.stubEnv('PATH', join(dir, 'empty'));
    const failure = ensureAlertmanager(() => {});
    await expect(failure).rejects.toThrow(MissingToolError);
    await expect(failure).rejects.toThrow(/Go .*ALERTMANAGER_PATH/s);
  });
});
