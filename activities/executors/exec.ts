import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ResolvedExec, ResolvedText } from '../../dsl/types';
import { plainText } from '../secrets/reveal';
import { BoundedBuffer } from './bounded';
import type { Executor, ExecutorContext, ResultOf } from './executor';
import { describeError, since } from './util';

type ExecResult = ResultOf<ResolvedExec>;

/** The only worker variables a command inherits: the rest of the worker's environment (credentials included) stays out. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG'] as const;

/** Variable through which a command sees its step's idempotency key, to dedupe retries. */
export const IDEMPOTENCY_ENV = 'REMEDIATE_IDEMPOTENCY_KEY';

/**
 * After the command exits, how long we keep reading pipes that a descendant it
 * left running (a daemon it started) may hold open forever.
 */
const DRAIN_MS = 200;

/** Runs an argv directly, never through a shell, so a rendered placeholder is exactly one argument. */
export const execExecutor: Executor<ResolvedExec> = { run: runExec };

// eslint-disable-next-line max-lines-per-function -- one child process's lifetime: its timers, listeners and stop state are shared by every event handler, so they stay in one closure.
async function runExec(spec: ResolvedExec, ctx: ExecutorContext): Promise<ExecResult> {
  ctx.signal?.throwIfAborted();
  const started = performance.now();
  const failed = (stderr: string): ExecResult => ({
    executor: 'exec',
    ok: false,
    exitCode: null,
    signal: null,
    stdout: '',
    stderr,
    truncated: false,
    durationMs: since(started),
  });

  const [command, ...args] = spec.argv.map(plainText);
  if (command === undefined || command === '') return failed('exec: argv is empty');

  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      shell: false,
      // Own process group, so a timeout stops the command's children too.
      detached: true,
      cwd: spec.cwd,
      env: childEnv(spec.env, ctx.idempotencyKey),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    // Synchronous refusals, e.g. a NUL byte in an argument.
    return failed(`exec: cannot start ${command}: ${describeError(err)}`);
  }

  const okExitCodes = spec.okExitCodes.length > 0 ? spec.okExitCodes : [0];
  const stdout = new BoundedBuffer(ctx.maxOutputBytes);
  const stderr = new BoundedBuffer(ctx.maxOutputBytes);
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));

  // eslint-disable-next-line max-lines-per-function -- the lifetime above, event by event.
  return new Promise<ExecResult>((resolve, reject) => {
    let stopping: 'timeout' | 'abort' | null = null;
    let escalated = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    const stop = (why: 'timeout' | 'abort') => {
      if (stopping !== null) return;
      stopping = why;
      killGroup(child, 'SIGTERM');
      killTimer = setTimeout(() => {
        escalated = true;
        killGroup(child, 'SIGKILL');
      }, ctx.killGraceMs);
    };
    const onAbort = () => stop('abort');
    const timeoutTimer = setTimeout(() => stop('timeout'), ctx.timeoutMs);
    ctx.signal?.addEventListener('abort', onAbort, { once: true });

    const settle = () => {
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      clearTimeout(drainTimer);
      ctx.signal?.removeEventListener('abort', onAbort);
    };

    child.once('error', (err: NodeJS.ErrnoException) => {
      // Only spawn failures reach here (we signal with process.kill, not child.kill).
      if (settled) return;
      settle();
      resolve(failed(spawnFailure(command, spec.cwd, err)));
    });

    child.once('exit', () => {
      clearTimeout(timeoutTimer);
      // Finished work is reported, not cancelled: stopping now could only hit what it left running on purpose.
      ctx.signal?.removeEventListener('abort', onAbort);
      if (stopping === null) {
        drainTimer = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
        }, DRAIN_MS);
      }
    });

    child.once('close', (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settle();
      // The command is gone; sweep whatever of its group ignored SIGTERM instead of leaving it running.
      if (stopping !== null) killGroup(child, 'SIGKILL');
      if (stopping === 'abort') {
        reject(ctx.signal?.reason);
        return;
      }
      const timedOut = stopping === 'timeout';
      const note = timedOut
        ? `\nexec: timed out after ${ctx.timeoutMs} ms; stopped with ${escalated ? 'SIGKILL (SIGTERM ignored)' : 'SIGTERM'}`
        : '';
      resolve({
        executor: 'exec',
        ok: !timedOut && exitCode !== null && okExitCodes.includes(exitCode),
        exitCode,
        signal,
        stdout: stdout.text(),
        stderr: stderr.text() + note,
        truncated: stdout.truncated || stderr.truncated,
        durationMs: since(started),
      });
    });
  });
}

/** A minimal base from the worker, then the runbook's variables, then the key (last, so a runbook cannot spoof it). */
function childEnv(specEnv: Record<string, ResolvedText>, idempotencyKey: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(specEnv)) env[name] = plainText(value);
  if (idempotencyKey !== undefined) env[IDEMPOTENCY_ENV] = idempotencyKey;
  return env;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the whole group has already exited.
  }
}

function spawnFailure(command: string, cwd: string | undefined, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') {
    // Node reports a missing cwd as ENOENT on the command, which would mislead.
    if (cwd !== undefined && !existsSync(cwd)) return `exec: working directory not found: ${cwd}`;
    return `exec: ${command}: command not found`;
  }
  if (err.code === 'EACCES') return `exec: ${command}: permission denied`;
  return `exec: cannot start ${command}: ${err.message}`;
}
