/** The old renderer's frozen step types: a spec of a kind it does not know is told apart at the boundary. */
import { describe, expect, it } from 'vitest';
import { isV1Spec } from '../../dsl/legacy/types-v1';

describe('dsl/legacy/types-v1', () => {
  it('knows the three step kinds of its time, and no other', () => {
    expect(['exec', 'http', 'kubernetes'].map((executor) => isV1Spec({ executor }))).toEqual([true, true, true]);
    expect(isV1Spec({ executor: 'verify' })).toBe(false);
  });
});
