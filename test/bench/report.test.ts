/** The figures the README and docs/benchmarks.md quote are the committed reference results, verbatim. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { committedBlock, expectedBlocks } from '../../bench/report';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('benchmark figures in the docs', () => {
  it('are generated from bench/results/reference.json (run `npm run bench -- --reference` to refresh them)', () => {
    const expected = expectedBlocks(root);
    expect(expected, 'bench/results/reference.json is committed').toBeDefined();
    for (const [file, block] of Object.entries(expected!)) expect(committedBlock(root, file), file).toBe(block);
  });
});
