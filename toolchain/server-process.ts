/**
 * Starting a server program the project provisioned and waiting until it accepts connections on
 * loopback, with a deadline a loaded two-core machine can meet, and stopping it again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';

export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';
}

export interface RunningProcess {
  child: ChildProcess;
  stop(): Promise<void>;
}

export function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startServerProcess(options: {
  name: string;
  command: string;
  args: string[];
  host: string;
  port: number;
  deadlineMs?: number;
}): Promise<RunningProcess> {
  const child = spawn(options.command, options.args, { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + (options.deadlineMs ?? 60_000);
  for (;;) {
    if (await portOpen(options.host, options.port)) break;
    const code = await Promise.race([exited, new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 200))]);
    if (code !== 'waiting') throw new ServerStartError(`${options.name} exited (code ${code}) before listening:\n${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new ServerStartError(
        `${options.name} did not listen on ${options.host}:${options.port} within ${Math.round((options.deadlineMs ?? 60_000) / 1000)} s:\n${stderr}`,
      );
    }
  }
  return { child, stop: () => stopChild(child, exited) };
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
