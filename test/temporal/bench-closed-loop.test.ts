/**
 * `npm run bench -- --closed-loop` keeps working: it runs its loops to the end by itself, prints the
 * seed's ladder beside the measured loop and writes its JSON. Not a timed test: the figures are
 * checked to exist, never against a speed.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

test(
  'npm run bench -- --closed-loop prints the ladder beside the measured loop, writes its JSON and exits by itself',
  { timeout: 400_000 },
  async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--closed-loop'], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-20_000)));
      const timer = setTimeout(() => child.kill('SIGKILL'), 380_000);
      child.once('error', reject);
      child.once('exit', (exitCode) => {
        clearTimeout(timer);
        resolve({ code: exitCode, stdout: out, stderr: err });
      });
    });
    expect(code, `bench exited ${code}:\n${stderr}\n${stdout}`).toBe(0);
    expect(stdout).toContain('| closed loop | system detects, fixes, verifies | seconds | **metric bad -> verified fix p50');
    expect(stdout).toContain('| runbook lookup | human finds runbook | 30+ min | not measured |');
    const file = /figures written to (.+\.json)/.exec(stdout)?.[1];
    expect(file).toBeDefined();
    expect(existsSync(file!)).toBe(true);
    const report = JSON.parse(readFileSync(file!, 'utf8'));
    rmSync(file!);
    expect(report.mode).toBe('closed-loop');
    expect(report.closedLoop.loops).toBeGreaterThan(0);
    expect(report.closedLoop.remediated).toBe(report.closedLoop.loops);
    expect(report.closedLoop.metricBadToVerifiedFix.p50Ms).toBeGreaterThan(0);
    expect(report.closedLoop.stages.length).toBeGreaterThan(0);
  },
);
