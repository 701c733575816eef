import { describe, expect, it } from 'vitest';
import { AlertResolution } from '../../workflows/alert-resolution';
import { AuditTrail } from '../../workflows/audit';

describe('the alertResolved signal, as a remediation takes it', () => {
  it('ignores junk: anyone may send the signal', () => {
    const audit = new AuditTrail();
    const resolution = new AlertResolution(audit);
    const junk: unknown[] = [
      null,
      'resolved',
      [],
      {},
      { source: 'alertmanager' },
      { source: '', endsAt: '2026-12-02T17:03:15Z' },
      { source: 'x'.repeat(129), endsAt: '2026-12-02T17:03:15Z' },
      { source: 'alertmanager', endsAt: 'soon' },
      { source: 'alertmanager', endsAt: 1796232195000 },
      Object.assign(Object.create({ source: 'alertmanager', endsAt: '2026-12-02T17:03:15Z' }), {}),
    ];
    for (const signal of junk) resolution.receive(signal, true);
    expect(resolution.current).toBeUndefined();
    expect(audit.events).toEqual([]);
  });

  it('records the first valid one only, naming the source; a flood adds nothing', () => {
    const audit = new AuditTrail();
    const resolution = new AlertResolution(audit);
    resolution.receive({ source: 'alertmanager', endsAt: '2026-12-02T17:03:15Z', extra: 'ignored' }, true);
    for (let i = 0; i < 100; i++) resolution.receive({ source: `other-${i}`, endsAt: '2026-12-02T17:04:00Z' }, true);
    expect(resolution.current).toEqual({ source: 'alertmanager', endsAt: '2026-12-02T17:03:15Z' });
    expect(audit.events).toEqual([
      expect.objectContaining({
        type: 'ALERT_RESOLVED',
        actor: 'alertmanager',
        message:
          'the alert resolved at 2026-12-02T17:03:15Z (reported by alertmanager); the approval request is withdrawn: resolved on its own',
      }),
    ]);
    resolution.withdraw(resolution.current!);
    expect(audit.events).toHaveLength(1);
  });

  it('a resolution before the request was made: the withdrawal is audited when the request would be made', () => {
    const audit = new AuditTrail();
    const resolution = new AlertResolution(audit);
    resolution.receive({ source: 'alertmanager', endsAt: '2026-12-02T17:03:15Z' }, false);
    expect(audit.events.map((e) => e.message)).toEqual(['the alert resolved at 2026-12-02T17:03:15Z (reported by alertmanager)']);
    resolution.withdraw(resolution.current!);
    resolution.withdraw(resolution.current!);
    expect(audit.events.map((e) => e.message)).toEqual([
      'the alert resolved at 2026-12-02T17:03:15Z (reported by alertmanager)',
      'the approval request is withdrawn: the alert resolved on its own before it was asked',
    ]);
  });
});
