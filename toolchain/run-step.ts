import { spawn } from 'node:child_process';
import { ProvisionError } from './errors';

const TAIL_LINES = 30;

/**
 * Runs a build command, printing a heartbeat with elapsed time so a first-time build
 * of several minutes does not look hung, and keeping the output tail for errors.
 */
export async function runBuildStep(
  label: string,
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; log: (line: string) => void },
): Promise<void> {
  const started = Date.now();
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    }
  };
  options.log(`${label}: ${command} ${args.join(' ')}`);
  const heartbeat = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    options.log(`${label}: still working (${seconds}s)${tail.length ? ` ... ${tail[tail.length - 1]!.slice(0, 100)}` : ''}`);
  }, 15_000);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0) throw new ProvisionError(`${label} failed (exit ${code})`, tail.join('\n'));
    options.log(`${label}: done in ${Math.round((Date.now() - started) / 1000)}s`);
  } finally {
    clearInterval(heartbeat);
  }
}
