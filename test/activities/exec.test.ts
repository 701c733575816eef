import { existsSync, readFileSync } from 'node:fs';
import { readFile, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResolvedExec } from '../../dsl/types';
import { runExecutor, InvalidExecutorOptionsError, UnknownExecutorError } from '../../activities/executors';
import { eventually, isAlive, tempDir } from './helpers';

const NODE = process.execPath;

function node(script: string, extra: Partial<ResolvedExec> = {}): ResolvedExec {
  return { executor: 'exec', argv: [NODE, '-e', script], env: {}, okExitCodes: [0], ...extra };
}

async function execResult(spec: ResolvedExec, opts: Parameters<typeof runExecutor>[1] = { timeoutMs: 10_000 }) {
  const result = await runExecutor(spec, opts);
  if (result.executor !== 'exec') throw new Error(`expected an exec result, got ${result.executor}`);
  return result;
}

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});

// Processes a test started and must not outlive it, even when an assertion fails first.
const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

describe('exec executor', () => {
  it('captures exit code, stdout and stderr of a successful command', async () => {
    const r = await execResult(node(`process.stdout.write('hello'); process.stderr.write('warn')`));
    expect(r).toMatchObject({ ok: true, exitCode: 0, signal: null, stdout: 'hello', stderr: 'warn', truncated: false });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('fails on a non-zero exit', async () => {
    const r = await execResult(node(`process.stderr.write('boom'); process.exit(3)`));
    expect(r).toMatchObject({ ok: false, exitCode: 3, stderr: 'boom' });
  });

  it('accepts the exit codes listed in okExitCodes, and only those', async () => {
    expect((await execResult(node('process.exit(3)', { okExitCodes: [0, 3] }))).ok).toBe(true);
    expect((await execResult(node('process.exit(0)', { okExitCodes: [3] }))).ok).toBe(false);
  });

  it('stops a command that runs past its timeout', async () => {
    const r = await execResult(node('setInterval(() => {}, 1000)'), { timeoutMs: 300 });
    expect(r).toMatchObject({ ok: false, exitCode: null, signal: 'SIGTERM' });
    expect(r.stderr).toContain('timed out after 300 ms');
    expect(r.durationMs).toBeLessThan(5_000);
  });

  it('escalates to SIGKILL when the command ignores SIGTERM', async () => {
    const r = await execResult(node(`process.on('SIGTERM', () => {}); process.stdout.write('ready'); setInterval(() => {}, 1000)`), {
      timeoutMs: 1_500,
      killGraceMs: 300,
    });
    expect(r.stdout).toBe('ready'); // the handler was installed before the timeout
    expect(r).toMatchObject({ ok: false, signal: 'SIGKILL' });
    expect(r.stderr).toContain('SIGKILL (SIGTERM ignored)');
  });

  it('does not count a command that exits 0 on SIGTERM as a success', async () => {
    const r = await execResult(
      node(`process.on('SIGTERM', () => process.exit(0)); process.stdout.write('ready'); setInterval(() => {}, 1000)`),
      { timeoutMs: 1_500 },
    );
    expect(r.stdout).toBe('ready');
    expect(r).toMatchObject({ ok: false, exitCode: 0 });
  });

  it('stops the whole process group on timeout, grandchildren included', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const script = `
      const c = require('child_process').spawn('sleep', ['30'], { stdio: 'ignore' });
      require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid));
      setInterval(() => {}, 1000);`;
    const r = await execResult(node(script), { timeoutMs: 1_000 });
    expect(r.ok).toBe(false);
    const pid = Number(await readFile(pidFile, 'utf8'));
    leftovers.push(pid);
    expect(await eventually(async () => !(await isAlive(pid)))).toBe(true);
  });

  it('after a timeout also kills a grandchild that ignores SIGTERM once the command itself has gone', async () => {
    const pidFile = join(dir, 'stubborn.pid');
    const stubborn = `process.on('SIGTERM', () => {}); require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000)`;
    const script = `
      require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(stubborn)}], { stdio: 'ignore' });
      setInterval(() => {}, 1000);`;
    const r = await execResult(node(script), { timeoutMs: 1_500, killGraceMs: 10_000 });
    expect(r).toMatchObject({ ok: false, signal: 'SIGTERM' });
    const pid = Number(await readFile(pidFile, 'utf8'));
    leftovers.push(pid);
    expect(await eventually(async () => !(await isAlive(pid)))).toBe(true);
  });

  it('returns when the command exits even if a process it left behind holds the output pipe', async () => {
    const script = `
      const c = require('child_process').spawn('sleep', ['30'], { stdio: 'inherit' });
      process.stdout.write(String(c.pid), () => process.exit(0));`;
    const r = await execResult(node(script), { timeoutMs: 20_000 });
    leftovers.push(Number(r.stdout));
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(Number(r.stdout)).toBeGreaterThan(0);
    expect(r.durationMs).toBeLessThan(5_000);
  });

  it('bounds stdout and stderr, keeps draining, and says it truncated', async () => {
    const r = await execResult(node(`process.stdout.write('x'.repeat(200000)); process.stderr.write('y'.repeat(50))`), {
      timeoutMs: 10_000,
      maxOutputBytes: 1_000,
    });
    expect(r.stdout).toBe('x'.repeat(1_000));
    expect(r.stderr).toBe('y'.repeat(50));
    expect(r).toMatchObject({ ok: true, exitCode: 0, truncated: true });
  });

  it('reports a missing binary as a failed result', async () => {
    const r = await execResult({ executor: 'exec', argv: ['remediate-no-such-binary', 'x'], env: {}, okExitCodes: [0] });
    expect(r).toMatchObject({ ok: false, exitCode: null, signal: null, stdout: '' });
    expect(r.stderr).toBe('exec: remediate-no-such-binary: command not found');
  });

  it('reports a missing working directory as such', async () => {
    const missing = join(dir, 'nope');
    const r = await execResult(node('0', { cwd: missing }));
    expect(r).toMatchObject({ ok: false, stderr: `exec: working directory not found: ${missing}` });
  });

  it('reports an argument the OS cannot take (NUL byte) as a failed result', async () => {
    const r = await execResult(node('0', { argv: [NODE, '-e', '0', 'a\0b'] }));
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/^exec: cannot start /);
  });

  it('rejects an empty argv as a failed result', async () => {
    const r = await execResult({ executor: 'exec', argv: [], env: {}, okExitCodes: [0] });
    expect(r).toMatchObject({ ok: false, stderr: 'exec: argv is empty' });
  });

  it('runs in the spec cwd with the spec env on a minimal base, without the worker secrets', async () => {
    process.env.REMEDIATE_TEST_WORKER_SECRET = 'hunter2';
    try {
      const r = await execResult(
        node(
          `console.log(JSON.stringify({ cwd: process.cwd(), foo: process.env.FOO, secret: process.env.REMEDIATE_TEST_WORKER_SECRET, hasPath: !!process.env.PATH }))`,
          { env: { FOO: 'bar baz' }, cwd: dir },
        ),
      );
      expect(JSON.parse(r.stdout)).toEqual({ cwd: await realpath(dir), foo: 'bar baz', hasPath: true });
    } finally {
      delete process.env.REMEDIATE_TEST_WORKER_SECRET;
    }
  });

  it('passes an argument with shell syntax as one literal argument that runs nothing', async () => {
    const victim = join(dir, 'somefile');
    const marker = join(dir, 'created');
    await writeFile(victim, 'keep me');
    const hostile = [`x; rm -rf ${victim}`, `$(touch ${marker})`, `\`touch ${marker}\``, `&& rm ${victim} | touch ${marker}`];

    const printArgs = 'console.log(JSON.stringify(process.argv.slice(1)))';
    const viaNode = await execResult(node(printArgs, { argv: [NODE, '-e', printArgs, ...hostile] }));
    expect(JSON.parse(viaNode.stdout)).toEqual(hostile);

    const viaEcho = await execResult({ executor: 'exec', argv: ['echo', hostile[0]!], env: {}, okExitCodes: [0] });
    expect(viaEcho).toMatchObject({ ok: true, stdout: `x; rm -rf ${victim}\n` });

    expect(await readFile(victim, 'utf8')).toBe('keep me');
    expect(existsSync(marker)).toBe(false);
  });

  it('exports the idempotency key to the child, over any runbook value', async () => {
    const print = node('process.stdout.write(String(process.env.REMEDIATE_IDEMPOTENCY_KEY))', {
      env: { REMEDIATE_IDEMPOTENCY_KEY: 'spoofed' },
    });
    expect((await execResult(print, { timeoutMs: 10_000, idempotencyKey: 'wf-inc-42/restart' })).stdout).toBe('wf-inc-42/restart');
    expect((await execResult({ ...print, env: {} })).stdout).toBe('undefined');
  });

  it('on cancellation stops the process and rejects with the signal reason', async () => {
    const pidFile = join(dir, 'child.pid');
    const controller = new AbortController();
    const running = runExecutor(
      node(`require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000)`),
      {
        timeoutMs: 20_000,
        signal: controller.signal,
      },
    );
    expect(await eventually(() => existsSync(pidFile) && readFileSafe(pidFile) !== '')).toBe(true);
    const pid = Number(readFileSafe(pidFile));
    leftovers.push(pid);
    const reason = new Error('activity cancelled');
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(await eventually(async () => !(await isAlive(pid)))).toBe(true);
  });

  it('does not start anything when already cancelled', async () => {
    const marker = join(dir, 'started');
    const reason = new Error('cancelled before start');
    const spec = node(`require('fs').writeFileSync(${JSON.stringify(marker)}, '')`);
    await expect(runExecutor(spec, { timeoutMs: 10_000, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(existsSync(marker)).toBe(false);
  });
});

describe('runExecutor', () => {
  it('refuses a spec with an unknown executor', async () => {
    const spec = { executor: 'ssh' } as unknown as ResolvedExec;
    await expect(runExecutor(spec, { timeoutMs: 1_000 })).rejects.toBeInstanceOf(UnknownExecutorError);
  });

  it('refuses unusable options', async () => {
    await expect(runExecutor(node('0'), { timeoutMs: 0 })).rejects.toBeInstanceOf(InvalidExecutorOptionsError);
    await expect(runExecutor(node('0'), { timeoutMs: 30 * 24 * 3600 * 1000 })).rejects.toBeInstanceOf(InvalidExecutorOptionsError);
    await expect(runExecutor(node('0'), { timeoutMs: 1_000, killGraceMs: Number.NaN })).rejects.toBeInstanceOf(InvalidExecutorOptionsError);
    await expect(runExecutor(node('0'), { timeoutMs: 1_000, maxOutputBytes: 10 * 1024 * 1024 })).rejects.toBeInstanceOf(
      InvalidExecutorOptionsError,
    );
  });
});

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
