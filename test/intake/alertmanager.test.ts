import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { alertIncidentId, mapAlert } from '../../intake/alertmanager';
import { parseAlertmanagerPayload, PAYLOAD_LIMITS, type Alert } from '../../intake/alertmanager-payload';
import { parseOperatorPolicy } from '../../worker/operator-policy';

/** The documented shape (prometheus.io webhook_config, version 4): a group of two firing alerts. */
const GROUPED = fileURLToPath(new URL('../fixtures/alertmanager/documented-grouped-v4.json', import.meta.url));
const grouped = (): Record<string, unknown> => JSON.parse(readFileSync(GROUPED, 'utf8'));

const POLICY_FILE = fileURLToPath(new URL('../fixtures/alertmanager/rules-policy.yaml', import.meta.url));
const RULES = parseOperatorPolicy(POLICY_FILE, readFileSync(POLICY_FILE, 'utf8'), () => '').alertmanagerRules;

function alerts(body: unknown): Alert[] {
  const parsed = parseAlertmanagerPayload(body);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.payload.alerts;
}

function withAlert(change: (alert: Record<string, unknown>) => void): Record<string, unknown> {
  const body = grouped();
  const list = body.alerts as Record<string, unknown>[];
  change(list[0]!);
  return body;
}

describe('the Alertmanager webhook payload', () => {
  it('reads a grouped version 4 payload: labels and annotations as Maps, times as instants', () => {
    const [first, second] = alerts(grouped());
    expect(first!.labels).toBeInstanceOf(Map);
    expect(first!.labels.get('service')).toBe('checkout');
    expect(first!.annotations.get('value')).toBe('0.231');
    expect(first!.startsAtMs).toBe(Date.parse('2026-12-02T16:58:45.828Z'));
    expect(second!.startsAtMs).toBe(Date.parse('2026-12-02T16:58:46.000Z'));
    expect(second!.endsAt).toBe('0001-01-01T00:00:00Z');
  });

  it('refuses what is not a version 4 payload, naming the field', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ ...grouped(), version: '3' }, 'version', /expected "4"/],
      [{ ...grouped(), status: 'ok' }, 'status', /"firing" or "resolved"/],
      [{ ...grouped(), alerts: {} }, 'alerts', /a list of alerts/],
      [withAlert((a) => (a.labels = { severity: 7 })), 'alerts[0].labels.severity', /expected a string, found number 7/],
      [withAlert((a) => (a.labels = null)), 'alerts[0].labels', /an object of string values/],
      [withAlert((a) => (a.startsAt = 'yesterday')), 'alerts[0].startsAt', /RFC 3339/],
      [withAlert((a) => (a.startsAt = '2026-02-30T25:00:00Z')), 'alerts[0].startsAt', /RFC 3339/],
      [withAlert((a) => delete a.fingerprint), 'alerts[0].fingerprint', /fingerprint/],
      [withAlert((a) => (a.fingerprint = '../../etc')), 'alerts[0].fingerprint', /hex digits/],
      [withAlert((a) => (a.status = 'pending')), 'alerts[0].status', /"firing" or "resolved"/],
      ['[]', '', /a JSON object/],
    ];
    for (const [body, field, message] of cases) {
      const parsed = parseAlertmanagerPayload(body);
      expect(parsed.ok, field).toBe(false);
      if (parsed.ok) continue;
      expect(parsed.errors[0]).toEqual({ field, message: expect.stringMatching(message) });
    }
  });

  it('is bounded: too many alerts, too deep, too many labels', () => {
    const many = { ...grouped(), alerts: Array.from({ length: PAYLOAD_LIMITS.maxAlerts + 1 }, () => grouped().alerts) };
    expect(parseAlertmanagerPayload(many)).toMatchObject({ ok: false, errors: [{ field: 'alerts' }] });
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(parseAlertmanagerPayload({ ...grouped(), groupLabels: deep })).toMatchObject({
      ok: false,
      errors: [{ field: '', message: expect.stringMatching(/nested deeper/) }],
    });
    const labels = Object.fromEntries(Array.from({ length: PAYLOAD_LIMITS.maxPairs + 1 }, (_, i) => [`l${i}`, 'v']));
    expect(parseAlertmanagerPayload(withAlert((a) => (a.labels = labels)))).toMatchObject({
      ok: false,
      errors: [{ field: 'alerts[0].labels' }],
    });
  });

  it('takes hostile label names as labels: __proto__, constructor, a null-prototype object', () => {
    const labels = JSON.parse('{"__proto__": "p", "constructor": "c", "alertname": "HighErrorRate"}');
    const nullProto = Object.assign(Object.create(null), { toString: 't', alertname: 'X' });
    const [alert] = alerts(withAlert((a) => (a.labels = labels)));
    expect([...alert!.labels]).toEqual([
      ['__proto__', 'p'],
      ['constructor', 'c'],
      ['alertname', 'HighErrorRate'],
    ]);
    expect(alerts(withAlert((a) => (a.annotations = nullProto)))[0]!.annotations.get('toString')).toBe('t');
    // `alerts` inherited from a prototype is not the payload's own.
    const inherited = Object.assign(Object.create({ alerts: [] }), { version: '4', status: 'firing' });
    expect(parseAlertmanagerPayload(inherited)).toMatchObject({ ok: false, errors: [{ field: 'alerts' }] });
  });
});

describe('alerts to incidents', () => {
  it('one incident per alert of a group, its id from the fingerprint and startsAt, context typed', () => {
    const [first, second] = alerts(grouped()).map((alert) => mapAlert(alert, RULES));
    expect(first).toEqual({
      kind: 'incident',
      rule: 'checkout-errors',
      incident: {
        id: 'am-1a30ba71cca2921f-20261202T165845.828Z',
        root_cause: 'error_rate_spike_after_deploy',
        confidence: 0.93,
        service: 'checkout',
        services: ['checkout'],
        symptoms: [],
        context: { deployment: 'checkout-api', namespace: 'shop', error_ratio: 0.231 },
      },
    });
    // No confidence annotation: the rule's default.
    expect(second).toMatchObject({ kind: 'incident', incident: { id: 'am-c6eadffa33fcdf37-20261202T165846.000Z', confidence: 0.9 } });
  });

  it('the same alert delivered again has the same id; firing again later is another incident', () => {
    const [alert] = alerts(grouped());
    const [again] = alerts(grouped());
    expect(alertIncidentId(again!)).toBe(alertIncidentId(alert!));
    const later = alerts(withAlert((a) => (a.startsAt = '2026-12-02T18:00:00Z')))[0]!;
    expect(alertIncidentId(later)).toBe('am-1a30ba71cca2921f-20261202T180000.000Z');
  });

  it('the first matching rule wins; an alert no rule matches is unmapped', () => {
    const [alert] = alerts(withAlert((a) => (a.labels = { alertname: 'Other', severity: 'critical', confidence: '0.7' })));
    expect(mapAlert(alert!, RULES)).toMatchObject({ kind: 'incident', rule: 'catch-all-page', incident: { service: 'on-call' } });
    const [quiet] = alerts(withAlert((a) => (a.labels = { alertname: 'HighErrorRate', severity: 'ticket' })));
    expect(mapAlert(quiet!, RULES)).toEqual({ kind: 'unmapped' });
    // Anchored: "page-ish" is not "page".
    const [near] = alerts(withAlert((a) => (a.labels = { alertname: 'Other', severity: 'pager' })));
    expect(mapAlert(near!, RULES)).toEqual({ kind: 'unmapped' });
    expect(mapAlert(alert!, [])).toEqual({ kind: 'unmapped' });
  });

  it('a value that fails its type refuses the alert, with the field and why: never a half-typed context', () => {
    const refused = (change: (labels: Record<string, string>, annotations: Record<string, string>) => void) => {
      const [alert] = alerts(withAlert((a) => change(a.labels as Record<string, string>, a.annotations as Record<string, string>)));
      return mapAlert(alert!, RULES);
    };
    expect(refused((l) => (l.namespace = 'Shop_Prod'))).toEqual({
      kind: 'refused',
      rule: 'checkout-errors',
      field: 'context.namespace',
      reason: expect.stringMatching(/^label "namespace" is "Shop_Prod": expected a DNS label/),
    });
    expect(refused((_, a) => (a.value = '23%'))).toMatchObject({
      field: 'context.error_ratio',
      reason: expect.stringMatching(/expected a number/),
    });
    expect(refused((_, a) => (a.value = 'Infinity'))).toMatchObject({ field: 'context.error_ratio' });
    expect(refused((l) => delete l.deployment)).toMatchObject({
      field: 'context.deployment',
      reason: 'label "deployment" is missing from the alert',
    });
    expect(refused((l) => (l.service = ''))).toMatchObject({ field: 'service', reason: 'label "service" is missing from the alert' });
    // The incident's own rules: a service name that is no identifier.
    expect(refused((l) => (l.service = 'check out/1'))).toMatchObject({ kind: 'refused', field: 'service' });
  });

  it('confidence: a number in [0, 1] from the alert, else the default; without a default the alert is refused', () => {
    const confidence = (value: string) => {
      const [alert] = alerts(withAlert((a) => ((a.annotations as Record<string, string>).confidence = value)));
      return mapAlert(alert!, RULES);
    };
    expect(confidence('0.5')).toMatchObject({ incident: { confidence: 0.5 } });
    expect(confidence('1.5')).toMatchObject({ incident: { confidence: 0.9 } });
    expect(confidence('high')).toMatchObject({ incident: { confidence: 0.9 } });
    const [noDefault] = alerts(withAlert((a) => (a.labels = { alertname: 'Other', severity: 'page', confidence: 'high' })));
    expect(mapAlert(noDefault!, RULES)).toEqual({
      kind: 'refused',
      rule: 'catch-all-page',
      field: 'confidence',
      reason: 'label "confidence" is "high": expected a number in [0, 1], and the rule has no default',
    });
  });

  it('a context field called __proto__ is a field, not a prototype', () => {
    const rules = parseOperatorPolicy(
      'p.yaml',
      'alertmanager:\n  rules:\n    - name: r\n      match: { alertname: HighErrorRate }\n      root_cause: x\n      service: { label: service }\n      confidence: { default: 1 }\n      context:\n        __proto__: { label: namespace }\n',
      () => '',
    ).alertmanagerRules;
    const mapped = mapAlert(alerts(grouped())[0]!, rules);
    expect(mapped.kind === 'incident' && Object.getOwnPropertyDescriptor(mapped.incident.context, '__proto__')?.value).toBe('shop');
    expect(mapped.kind === 'incident' && Object.getPrototypeOf(mapped.incident.context)).toBe(Object.prototype);
  });
});
