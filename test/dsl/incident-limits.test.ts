/** Intake limits: hostile incidents get an error naming the field and the limit, never a crash. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, emptySnapshot } from '../../dsl/decide';
import { parseIncident } from '../../dsl/incident';
import { INCIDENT_LIMITS } from '../../dsl/incident-limits';
import { shippedCatalogue } from '../harness/shipped-catalogue';

const base = { id: 'INC001', root_cause: 'CrashLoopBackOff', confidence: 0.95, service: 'api-server' };

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { inner: value };
  return value;
}

function errorsOf(data: unknown) {
  const parsed = parseIncident(data);
  return parsed.ok ? [] : parsed.errors;
}

describe('incident limits at intake', () => {
  it('refuses a context nested deeper than the limit (10,000 levels: no stack overflow), naming where', () => {
    expect(errorsOf({ ...base, context: nested(INCIDENT_LIMITS.maxDepth) })).toEqual([]);
    expect(errorsOf({ ...base, context: nested(INCIDENT_LIMITS.maxDepth + 1) })[0]).toMatchObject({
      message: expect.stringContaining(`nested deeper than ${INCIDENT_LIMITS.maxDepth} levels`),
    });
    expect(errorsOf({ ...base, context: nested(10_000) })[0]?.message).toMatch(/nested deeper|characters of JSON/);
  });

  it('refuses long strings, long lists, wide objects and oversized documents, naming the field and the limit', () => {
    expect(errorsOf({ ...base, context: { pod_name: 'x'.repeat(5000) } })).toEqual([
      { field: 'context.pod_name', message: `a string of 5000 characters; at most ${INCIDENT_LIMITS.maxStringChars}` },
    ]);
    expect(errorsOf({ ...base, symptoms: Array.from({ length: 300 }, () => 's') })[0]).toMatchObject({
      field: 'symptoms',
      message: expect.stringContaining('at most 256'),
    });
    expect(errorsOf({ ...base, context: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i])) })[0]).toMatchObject({
      field: 'context',
      message: expect.stringContaining('300 keys'),
    });
    expect(errorsOf({ ...base, context: { a: Array.from({ length: 40 }, () => 'y'.repeat(4000)) } })[0]).toMatchObject({
      field: '',
      message: expect.stringContaining('characters of JSON'),
    });
  });

  it('refuses ids and services outside the identifier grammar', () => {
    for (const id of ['INC 1', 'a;b', '../x', '-x', 'x'.repeat(129), 'ünï'])
      expect(errorsOf({ ...base, id })[0], id).toMatchObject({ field: 'id', message: expect.stringContaining('not an identifier') });
    expect(errorsOf({ ...base, service: 'api server' })[0]).toMatchObject({ field: 'service' });
    expect(errorsOf({ ...base, services: ['ok', 'not ok'] })[0]).toMatchObject({ field: 'services[1]' });
    for (const id of ['INC001', 'K8S-high_cpu-1-mx5', 'storm:1', 'a@b.c', '__proto__']) expect(errorsOf({ ...base, id }), id).toEqual([]);
  });

  it('10,000 generated incidents go through intake and decide without an uncaught exception', () => {
    const catalogue = shippedCatalogue();
    const snapshot = emptySnapshot(0);
    const hostile = fc.constantFrom('__proto__', 'constructor', 'toString', '-rf', '../..', '', ' ', 'CrashLoopBackOff', 'high_cpu');
    const incident = fc.record(
      {
        id: fc.oneof(fc.string(), hostile),
        root_cause: fc.oneof(fc.string(), hostile),
        confidence: fc.oneof(fc.double(), fc.integer(), fc.constant<number>(Number.NaN)),
        service: fc.oneof(fc.string(), hostile),
        services: fc.array(fc.oneof(fc.string(), hostile), { maxLength: 5 }),
        symptoms: fc.array(fc.string(), { maxLength: 5 }),
        context: fc.oneof(fc.dictionary(fc.oneof(fc.string(), hostile), fc.jsonValue({ maxDepth: 12 })), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(incident, fc.jsonValue()), (data) => {
        const parsed = parseIncident(data);
        if (!parsed.ok) {
          expect(parsed.errors.length).toBeGreaterThan(0);
          for (const error of parsed.errors) expect(typeof error.message).toBe('string');
          return;
        }
        decide(parsed.incident, catalogue, snapshot);
      }),
      { numRuns: 10_000 },
    );
  });
});
