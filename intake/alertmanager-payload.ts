/**
 * The Alertmanager webhook payload (version 4, https://prometheus.io/docs/alerting/latest/configuration/#webhook_config),
 * validated: hostile input from whoever holds the receiver's token. Labels and annotations become Maps,
 * so a label called `__proto__` or `constructor` is a label like any other; fields we do not use
 * (groupLabels, externalURL, ...) are not read, but the whole document is bounded in size and depth first.
 */
import type { InputError } from '../dsl/incident';

export type AlertStatus = 'firing' | 'resolved';

export interface Alert {
  status: AlertStatus;
  labels: ReadonlyMap<string, string>;
  annotations: ReadonlyMap<string, string>;
  /** RFC 3339, as sent; `startsAtMs` is the instant it names. */
  startsAt: string;
  startsAtMs: number;
  endsAt: string;
  fingerprint: string;
}

export interface AlertmanagerPayload {
  status: AlertStatus;
  receiver: string;
  alerts: Alert[];
}

export type PayloadParse = { ok: true; payload: AlertmanagerPayload } | { ok: false; errors: InputError[] };

export const PAYLOAD_LIMITS = {
  /** Alertmanager sends a group at a time; `max_alerts` in its webhook_config bounds it on that side. */
  maxAlerts: 1_000,
  maxPairs: 256,
  maxNameChars: 256,
  maxValueChars: 16_384,
  /** Objects and arrays inside each other, anywhere in the document. */
  maxDepth: 16,
  /** Values in the whole document, counted as it is walked. */
  maxNodes: 200_000,
} as const;

/** Alertmanager fingerprints are 16 hex digits; a little room for other senders of the same format. */
const FINGERPRINT = /^[0-9a-f]{1,32}$/;
/** RFC 3339 date-time with any number of fraction digits (Go writes nanoseconds). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export function parseAlertmanagerPayload(body: unknown): PayloadParse {
  const bounds = boundsProblem(body);
  if (bounds) return { ok: false, errors: [bounds] };
  const errors: InputError[] = [];
  const fail = (field: string, message: string) => {
    errors.push({ field, message });
  };
  if (!isRecord(body)) return { ok: false, errors: [{ field: '', message: 'expected a JSON object (the Alertmanager webhook payload)' }] };
  const version = own(body, 'version');
  if (version !== '4') fail('version', `expected "4" (the Alertmanager webhook payload version), found ${describe(version)}`);
  const status = statusOf(own(body, 'status'), 'status', fail);
  const receiver = own(body, 'receiver');
  if (receiver !== undefined && typeof receiver !== 'string') fail('receiver', `expected a string, found ${describe(receiver)}`);
  const rawAlerts = own(body, 'alerts');
  const alerts: Alert[] = [];
  if (!Array.isArray(rawAlerts)) fail('alerts', `expected a list of alerts, found ${describe(rawAlerts)}`);
  else if (rawAlerts.length > PAYLOAD_LIMITS.maxAlerts)
    fail('alerts', `${rawAlerts.length} alerts; at most ${PAYLOAD_LIMITS.maxAlerts} are accepted`);
  else
    rawAlerts.forEach((raw: unknown, i) => {
      const alert = alertOf(raw, `alerts[${i}]`, fail);
      if (alert) alerts.push(alert);
    });
  if (errors.length > 0 || status === undefined) return { ok: false, errors };
  return { ok: true, payload: { status, receiver: typeof receiver === 'string' ? receiver : '', alerts } };
}

type Fail = (field: string, message: string) => void;

function alertOf(raw: unknown, at: string, fail: Fail): Alert | undefined {
  if (!isRecord(raw)) {
    fail(at, `expected an alert object, found ${describe(raw)}`);
    return undefined;
  }
  const status = statusOf(own(raw, 'status'), `${at}.status`, fail);
  const labels = pairsOf(own(raw, 'labels'), `${at}.labels`, fail);
  const annotations = pairsOf(own(raw, 'annotations') ?? {}, `${at}.annotations`, fail);
  const startsAt = timeOf(own(raw, 'startsAt'), `${at}.startsAt`, fail);
  const endsAt = timeOf(own(raw, 'endsAt'), `${at}.endsAt`, fail);
  const fingerprint = own(raw, 'fingerprint');
  const fingerprintOk = typeof fingerprint === 'string' && FINGERPRINT.test(fingerprint);
  if (!fingerprintOk)
    fail(`${at}.fingerprint`, `expected the alert's fingerprint (1-32 lowercase hex digits), found ${describe(fingerprint)}`);
  if (!status || !labels || !annotations || !startsAt || !endsAt || !fingerprintOk) return undefined;
  return { status, labels, annotations, startsAt: startsAt.text, startsAtMs: startsAt.ms, endsAt: endsAt.text, fingerprint };
}

function statusOf(value: unknown, field: string, fail: Fail): AlertStatus | undefined {
  if (value === 'firing' || value === 'resolved') return value;
  fail(field, `expected "firing" or "resolved", found ${describe(value)}`);
  return undefined;
}

function timeOf(value: unknown, field: string, fail: Fail): { text: string; ms: number } | undefined {
  const ms = typeof value === 'string' && RFC3339.test(value) ? Date.parse(value) : NaN;
  if (typeof value === 'string' && Number.isFinite(ms)) return { text: value, ms };
  fail(field, `expected an RFC 3339 time such as 2026-01-02T15:04:05.123Z, found ${describe(value)}`);
  return undefined;
}

/** A flat object of string values, as labels and annotations are, copied into a Map. */
function pairsOf(value: unknown, field: string, fail: Fail): Map<string, string> | undefined {
  if (!isRecord(value)) {
    fail(field, `expected an object of string values, found ${describe(value)}`);
    return undefined;
  }
  const entries = Object.entries(value);
  if (entries.length > PAYLOAD_LIMITS.maxPairs) {
    fail(field, `${entries.length} entries; at most ${PAYLOAD_LIMITS.maxPairs} are accepted`);
    return undefined;
  }
  const pairs = new Map<string, string>();
  for (const [name, text] of entries) {
    const where = `${field}.${name.length > 64 ? `${name.slice(0, 64)}...` : name}`;
    if (name.length === 0 || name.length > PAYLOAD_LIMITS.maxNameChars)
      fail(where, `a name of 1 to ${PAYLOAD_LIMITS.maxNameChars} characters is expected`);
    else if (typeof text !== 'string') fail(where, `expected a string, found ${describe(text)}`);
    else if (text.length > PAYLOAD_LIMITS.maxValueChars)
      fail(where, `${text.length} characters; at most ${PAYLOAD_LIMITS.maxValueChars} are accepted`);
    else pairs.set(name, text);
  }
  return pairs.size === entries.length ? pairs : undefined;
}

/** Iterative, so no document can overflow the stack; counts every value, so none can make us walk forever. */
function boundsProblem(body: unknown): InputError | undefined {
  const stack: { value: unknown; depth: number }[] = [{ value: body, depth: 0 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (++nodes > PAYLOAD_LIMITS.maxNodes) return { field: '', message: `more than ${PAYLOAD_LIMITS.maxNodes} values in the payload` };
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= PAYLOAD_LIMITS.maxDepth) return { field: '', message: `nested deeper than ${PAYLOAD_LIMITS.maxDepth} levels` };
    const children: unknown[] = Array.isArray(value) ? value : Object.values(value);
    for (const child of children) stack.push({ value: child, depth: depth + 1 });
  }
  return undefined;
}

function isRecord(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map);
}

/** An own property only: `alerts` on Object.prototype, or a getter's side effects, are not the payload. */
function own(record: object, key: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(record, key);
  if (!descriptor || !('value' in descriptor)) return undefined;
  const value: unknown = descriptor.value;
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
  return `${typeof value} ${String(value)}`;
}
