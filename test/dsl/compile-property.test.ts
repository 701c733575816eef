import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compileCatalogue } from '../../dsl/compile';
import type { CompileResult } from '../../dsl/types';
import { CATALOGUE, SEED_RUNBOOKS } from './helpers';

/** Compiling never throws; a failure is a list of located errors, none of them a compiler crash. */
function expectWellFormed(result: CompileResult, text: string): void {
  if (result.ok) return;
  expect(result.errors.length).toBeGreaterThan(0);
  const lines = text.split('\n').length;
  for (const error of result.errors) {
    expect(error.file).toBe('fuzz.yaml');
    expect(error.line).toBeGreaterThanOrEqual(1);
    expect(error.line).toBeLessThanOrEqual(lines + 1);
    expect(error.column).toBeGreaterThanOrEqual(1);
    expect(error.message.length).toBeGreaterThan(0);
    expect(error.message).not.toMatch(/internal compiler error/);
  }
}

const compile = (text: string) => {
  const result = compileCatalogue([{ file: 'fuzz.yaml', text }]);
  expectWellFormed(result, text);
};

/** Small edits of a valid file: the likeliest inputs are almost-right runbooks. */
function mutated(base: string): fc.Arbitrary<string> {
  const edit = fc.oneof(
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(base.length),
      text: fc.constantFrom(
        ' ',
        '\t',
        '\n',
        ':',
        '- ',
        '{',
        '}',
        '"',
        "'",
        '[',
        ']',
        '#',
        '&a',
        '*a',
        '!!str',
        '0',
        '-1',
        'null',
        '{x}',
        '$',
        '|',
      ),
    }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(base.length), length: fc.integer({ min: 1, max: 12 }) }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(base.length), length: fc.integer({ min: 1, max: 80 }) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) =>
    edits.reduce((text, e) => {
      const at = Math.min(e.at, text.length);
      if (e.kind === 'insert') return text.slice(0, at) + e.text + text.slice(at);
      if (e.kind === 'delete') return text.slice(0, at) + text.slice(at + e.length);
      return text.slice(0, at) + text.slice(at, at + e.length) + text.slice(at);
    }, base),
  );
}

/** Structurally plausible documents with arbitrary values where runbook fields go. */
const runbookish = fc.dictionary(
  fc.constantFrom('restart-pod', 'a', 'Bad Id', 'x_1'),
  fc.dictionary(
    fc.constantFrom(
      'risk',
      'mode',
      'triggers',
      'root_causes',
      'min_confidence',
      'max_per_hour',
      'cooldown_minutes',
      'pre_checks',
      'post_checks',
      'action',
      'actions',
      'rollback',
      'context',
      'approval',
      'circuit_breaker',
      'precedence',
      'blast_radius_limit',
    ),
    fc.jsonValue({ maxDepth: 3 }),
  ),
);

describe('the compiler never crashes', () => {
  it("on mutations of the reference exercise's runbooks", () => {
    fc.assert(fc.property(mutated(SEED_RUNBOOKS), compile), { numRuns: 300 });
  });

  it('on mutations of the shipped catalogue', () => {
    fc.assert(fc.property(mutated(CATALOGUE), compile), { numRuns: 150 });
  });

  it('on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), compile), { numRuns: 300 });
  });

  it('on arbitrary YAML documents', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => compile(stringify(value))),
      { numRuns: 200 },
    );
  });

  it('on runbook-shaped documents with arbitrary field values', () => {
    fc.assert(
      fc.property(runbookish, (runbooks) => compile(stringify({ runbooks }))),
      { numRuns: 300 },
    );
  });
});
