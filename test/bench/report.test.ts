/** The figures the README and docs/benchmarks.md quote are the committed reference results, verbatim. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CLOSED_LOOP_BEGIN,
  committedBlock,
  expectedBlocks,
  expectedClosedLoopBlock,
  summaryMarkdown,
  targetsMarkdown,
  type BenchReport,
} from '../../bench/report';

const root = fileURLToPath(new URL('../..', import.meta.url));
const reference = JSON.parse(readFileSync(`${root}/bench/results/reference.json`, 'utf8')) as BenchReport;

describe('benchmark figures in the docs', () => {
  it('are generated from bench/results/reference.json (run `npm run bench -- --reference` to refresh them)', () => {
    const expected = expectedBlocks(root);
    expect(expected, 'bench/results/reference.json is committed').toBeDefined();
    for (const [file, block] of Object.entries(expected!)) expect(committedBlock(root, file), file).toBe(block);
  });

  it("show the closed loop beside the seed's MTTR ladder, generated from bench/results/reference-closed-loop.json", () => {
    const block = expectedClosedLoopBlock(root);
    expect(block, 'bench/results/reference-closed-loop.json is committed').toBeDefined();
    for (const file of ['README.md', 'docs/benchmarks.md']) expect(committedBlock(root, file, CLOSED_LOOP_BEGIN), file).toBe(block);
    expect(block).toContain('| runbook lookup | human finds runbook | 30+ min | not measured |');
    expect(block).toMatch(/\| closed loop \| system detects, fixes, verifies \| seconds \| \*\*metric bad -> verified fix p50 [\d.]+ s/);
    expect(block).toContain('Most of the loop is configuration');
  });

  it('docs/benchmarks.md lists every target, one row each', () => {
    const table = targetsMarkdown(reference);
    for (const t of reference.targets) expect(table).toContain(`| ${t.name} | ${t.value} | ${t.target} |`);
  });

  it("the README's summary shows every target once: run-wide ones as rows, storm ones side by side per storm", () => {
    const summary = summaryMarkdown(reference);
    expect(summary).toContain('| throughput: engine / bare Temporal | 0.544 | >= 0.8 | MISSED |');
    expect(summary).toContain('| storm: approval signal -> first action p99 | 53560 ms (n=10) | <= 2000 ms | MISSED |');
    expect(summary).toContain('| storm figure | target | storm in one process | storm on 2 processes, one killed |');
    expect(summary).toContain('| lost incidents | 0 | 0 (met) | 0 (met) |');
    expect(summary).toContain('| something ran | at least one action | 23 incidents acted (met) | 17 incidents acted (met) |');
    for (const t of reference.targets) expect(summary, t.name).toContain(t.value);
  });

  it('without a second storm the summary is the run-wide table alone, and nothing reads like a session note', () => {
    const single = { ...reference, targets: reference.targets.filter((t) => !t.name.startsWith('storm on 2 processes')) };
    const summary = summaryMarkdown(single);
    expect(summary).not.toContain('storm figure');
    expect(summary).toContain('| storm: lost incidents | 0 | 0 | met |');
    expect(summaryMarkdown(reference)).not.toMatch(/this session|what was tried|the issue/i);
  });
});
