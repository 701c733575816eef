/**
 * The benchmark keeps working: `bench/run.ts --quick` runs to the end, prints all five parts and
 * writes its JSON. Not a timed test: figures are only checked to exist, never against targets.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function runQuickBench(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 230_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('npm run bench -- --quick prints all five parts and writes the figures as JSON', { timeout: 240_000 }, async () => {
  const { code, stdout, stderr } = await runQuickBench();
  expect(code, `bench exited ${code}:\n${stderr}\n${stdout}`).toBe(0);
  for (const part of ['1. throughput', '2. latency', '3. storm', '4. replay', '5. peak RSS']) expect(stdout).toContain(part);

  const file = /figures written to (.+\.json)/.exec(stdout)?.[1];
  expect(file).toBeDefined();
  expect(existsSync(file!)).toBe(true);
  const report = JSON.parse(readFileSync(file!, 'utf8'));
  for (const key of ['machine', 'throughput', 'latency', 'storm', 'replay', 'memory', 'targets']) expect(report).toHaveProperty(key);
  expect(report.machine.cores).toBeGreaterThan(0);
  expect(typeof report.machine.temporalCli).toBe('string');
  expect(report.throughput.engine.perSecond).toBeGreaterThan(0);
  expect(report.throughput.baseline.perSecond).toBeGreaterThan(0);
  expect(typeof report.throughput.ratio).toBe('number');
  expect(report.latency.length).toBeGreaterThan(0);
  expect(report.latency[0].firstActionMs.count).toBeGreaterThan(0);
  expect(typeof report.storm.guardrailViolations).toBe('number');
  expect(typeof report.storm.lost).toBe('number');
  expect(report.replay.replay.replayed).toBeGreaterThan(0);
  expect(report.replay.decide.perSecond).toBeGreaterThan(0);
  expect(report.memory.peakRssMb).toBeGreaterThan(0);
});
