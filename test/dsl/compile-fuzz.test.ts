/** 10,000 mutated runbooks through the compiler: never an uncaught exception, every error positioned. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileCatalogue } from '../../dsl/compile';
import { fileWith, typedRunbook } from './helpers';

const base = fileWith({ restart: typedRunbook({ root_causes: ['CrashLoopBackOff'] }) });
const lines = base.split('\n').length;

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom(
        '{',
        '}',
        '[',
        ']',
        ':',
        '- ',
        '"',
        "'",
        '&a',
        '*a',
        '!!js',
        '__proto__: 1',
        '\n  ',
        '{pod_name}',
        '${X}',
        '--',
        '..',
      ),
    ),
  }),
);

function apply(text: string, mutations: { kind: 'delete' | 'insert'; at: number; length?: number; text?: string }[]): string {
  let out = text;
  for (const m of mutations) {
    const at = m.at % (out.length + 1);
    out = m.kind === 'delete' ? out.slice(0, at) + out.slice(at + (m.length ?? 1)) : out.slice(0, at) + m.text + out.slice(at);
  }
  return out;
}

describe('the compiler on mutated runbooks', () => {
  it('never throws, and positions every error inside the file', () => {
    expect(compileCatalogue([{ file: 'base.yaml', text: base }]).ok).toBe(true);
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
        const text = apply(base, mutations);
        const result = compileCatalogue([{ file: 'm.yaml', text }]);
        if (result.ok) return;
        expect(result.errors.length).toBeGreaterThan(0);
        const limit = Math.max(lines, text.split('\n').length) + 1;
        for (const error of result.errors) {
          expect(error.file).toBe('m.yaml');
          expect(error.line).toBeGreaterThanOrEqual(1);
          expect(error.line).toBeLessThanOrEqual(limit);
          expect(error.column).toBeGreaterThanOrEqual(1);
          expect(error.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 10_000 },
    );
  }, 120_000);
});
