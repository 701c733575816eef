import { describe, expect, it } from 'vitest';
import { parseSnapshot } from '../../dsl/snapshot';

describe('parseSnapshot (plan --state)', () => {
  it('fills what is not recorded with an empty snapshot at the given time', () => {
    expect(parseSnapshot({}, 42)).toEqual({
      ok: true,
      snapshot: { nowMs: 42, breakers: {}, executions: {}, active: [], limits: { maxConcurrent: 3, maxServices: 1 } },
    });
  });

  it('keeps what is recorded', () => {
    const state = {
      nowMs: 1000,
      breakers: { 'restart-pod': { state: 'open', consecutiveFailures: 3, openedAtMs: 900 } },
      executions: { 'restart-pod:api': [100, 200] },
      active: [{ incidentId: 'INC1', runbook: 'restart-pod', services: ['api'] }],
      limits: { maxServices: 2 },
    };
    expect(parseSnapshot(state, 0)).toEqual({ ok: true, snapshot: { ...state, limits: { maxConcurrent: 3, maxServices: 2 } } });
  });

  it('names what is wrong', () => {
    expect(parseSnapshot({ breakers: { a: { state: 'ajar', consecutiveFailures: 1 } }, surprise: 1 }, 0)).toEqual({
      ok: false,
      errors: [
        {
          field: 'surprise',
          message:
            'unknown field "surprise"; expected one of: nowMs, breakers, executions, active, limits, freeze, serviceFailures, failureBudget, changeWindows',
        },
        { field: 'breakers.a.state', message: 'expected one of "closed", "open", "half_open", found "ajar"' },
      ],
    });
  });

  it('keeps the freeze, failures, budget and windows it is given, and checks the windows', () => {
    const window = {
      name: 'off-peak',
      timeZone: 'Europe/Berlin',
      days: ['mon'],
      start: '22:00',
      end: '06:00',
      appliesTo: { risks: ['LOW'] },
      outside: 'wait',
    };
    const state = {
      nowMs: 1000,
      freeze: { by: 'ops', reason: 'release day', sinceMs: 900 },
      serviceFailures: { api: [100] },
      failureBudget: { maxFailures: 1, windowMs: 60_000 },
      changeWindows: [window],
    };
    expect(parseSnapshot(state, 0)).toEqual({
      ok: true,
      snapshot: { ...state, breakers: {}, executions: {}, active: [], limits: { maxConcurrent: 3, maxServices: 1 } },
    });
    expect(parseSnapshot({ changeWindows: [{ ...window, start: '25:00' }] }, 0)).toEqual({
      ok: false,
      errors: [{ field: 'changeWindows[0]', message: 'expected a time "HH:MM", found "25:00"' }],
    });
    expect(parseSnapshot({ changeWindows: [{ ...window, timeZone: 'Mars/Olympus' }] }, 0)).toEqual({
      ok: false,
      errors: [{ field: 'changeWindows[0]', message: 'window off-peak: unknown time zone "Mars/Olympus"' }],
    });
  });
});
