import { describe, expect, it } from 'vitest';
import { parseIncident } from '../../dsl/incident';
import { seedIncident } from './helpers';

describe('parseIncident', () => {
  it("accepts the reference exercise's four incidents and makes `service` primary", () => {
    for (const n of [1, 2, 3, 4] as const) expect(parseIncident(seedIncident(n)).ok).toBe(true);
    expect(parseIncident(seedIncident(1))).toEqual({
      ok: true,
      incident: {
        id: 'INC001',
        root_cause: 'CrashLoopBackOff',
        confidence: 0.95,
        service: 'api-server',
        services: ['api-server'],
        symptoms: [],
        context: { pod_name: 'api-server-abc123', namespace: 'production' },
      },
    });
  });

  it("accepts `services` (the reference exercise's engine uses a set); the first is primary", () => {
    const parsed = parseIncident({
      id: 'I',
      root_cause: 'x',
      confidence: 1,
      services: ['b', 'a'],
      symptoms: ['OOMKilled'],
      submitted_by: 'alice',
    });
    expect(parsed).toMatchObject({
      ok: true,
      incident: { service: 'b', services: ['b', 'a'], symptoms: ['OOMKilled'], submitted_by: 'alice' },
    });
  });

  it('puts `service` first when both are given, without duplicates', () => {
    const parsed = parseIncident({ id: 'I', root_cause: 'x', confidence: 1, service: 'a', services: ['b', 'a'] });
    expect(parsed).toMatchObject({ ok: true, incident: { service: 'a', services: ['a', 'b'] } });
  });

  it.each([
    [{ root_cause: 'x', confidence: 1, service: 's' }, '', 'missing required field "id"'],
    [{ id: '', root_cause: 'x', confidence: 1, service: 's' }, 'id', 'expected a non-empty string, found ""'],
    [{ id: 'I', confidence: 1, service: 's' }, '', 'missing required field "root_cause"'],
    [{ id: 'I', root_cause: 'x', confidence: 1.2, service: 's' }, 'confidence', 'expected a number between 0 and 1, found 1.2'],
    [{ id: 'I', root_cause: 'x', confidence: '0.9', service: 's' }, 'confidence', 'expected a number, found "0.9"'],
    [{ id: 'I', root_cause: 'x', confidence: 1 }, '', 'missing required field: one of "service", "services"'],
    [{ id: 'I', root_cause: 'x', confidence: 1, services: [] }, 'services', 'expected at least 1 item, found a list of 0 items'],
    [
      { id: 'I', root_cause: 'x', confidence: 1, service: 's', context: [] },
      'context',
      'expected a map of fields, found a list of 0 items',
    ],
    [{ id: 'I', root_cause: 'x', confidence: 1, service: 's', symptoms: [1] }, 'symptoms[0]', 'expected a string, found 1'],
  ])('rejects %j naming the field', (data, field, message) => {
    expect(parseIncident(data)).toEqual({ ok: false, errors: [{ field, message }] });
  });

  it('rejects what is not an object at all', () => {
    expect(parseIncident([1])).toEqual({ ok: false, errors: [{ field: '', message: 'expected a map of fields, found a list of 1 item' }] });
  });
});
