/**
 * Alertmanager alerts to incidents, by the operator's mapping rules (intake/alertmanager-rules.ts). Pure.
 * One incident per alert, so a grouped payload is as many incidents as it has alerts; the incident id
 * is the alert's fingerprint and startsAt, so Alertmanager's repeated deliveries of one alert attach to
 * one remediation, and the same alert firing again later (a new startsAt) is a new incident.
 * The first rule whose matchers all hold maps the alert; a value that fails its type refuses the alert
 * (with the field and why), and the finished incident is validated exactly as `remediate submit` validates.
 */
import { fitsParamType, EXPECTED } from '../dsl/param-types';
import { parseIncident } from '../dsl/incident';
import type { Incident, ParamType } from '../dsl/types';
import type { Alert } from './alertmanager-payload';
import { describeSource, type AlertmanagerRule, type LabelMatcher, type ValueSource } from './alertmanager-rules';

export type AlertMapping =
  | { kind: 'incident'; rule: string; incident: Incident }
  | { kind: 'unmapped' }
  /** `field` is the incident field that could not be filled (`service`, `confidence`, `context.namespace`, ...). */
  | { kind: 'refused'; rule: string; field: string; reason: string };

/** `am-<fingerprint>-<startsAt as compact UTC>`, e.g. am-1a30ba71cca2921f-20230206T130845.828Z: within IDENTIFIER (dsl/incident-limits.ts). */
export function alertIncidentId(alert: Pick<Alert, 'fingerprint' | 'startsAtMs'>): string {
  const compact = new Date(alert.startsAtMs).toISOString().replace(/[-:]/g, '');
  return `am-${alert.fingerprint}-${compact}`;
}

export function matchingRule(alert: Pick<Alert, 'labels'>, rules: readonly AlertmanagerRule[]): AlertmanagerRule | undefined {
  return rules.find((rule) => rule.matchers.every((matcher) => matches(matcher, alert.labels.get(matcher.label) ?? '')));
}

/** As Prometheus matches: an absent label is the empty string. */
function matches(matcher: LabelMatcher, value: string): boolean {
  switch (matcher.kind) {
    case 'equals':
      return value === matcher.value;
    case 'regex':
      return matcher.regex.test(value);
  }
}

export function mapAlert(alert: Alert, rules: readonly AlertmanagerRule[]): AlertMapping {
  const rule = matchingRule(alert, rules);
  if (!rule) return { kind: 'unmapped' };
  const refuse = (field: string, reason: string): AlertMapping => ({ kind: 'refused', rule: rule.name, field, reason });
  const service = read(alert, rule.service);
  if (service === undefined) return refuse('service', `${describeSource(rule.service)} is missing from the alert`);
  const confidence = confidenceOf(alert, rule);
  if (typeof confidence === 'string') return refuse('confidence', confidence);
  const context = new Map<string, unknown>();
  for (const mapping of rule.context) {
    const field = `context.${mapping.field}`;
    const text = read(alert, mapping.source);
    if (text === undefined) return refuse(field, `${describeSource(mapping.source)} is missing from the alert`);
    const value = typed(mapping.type, text);
    if (value === undefined)
      return refuse(field, `${describeSource(mapping.source)} is ${quote(text)}: expected ${EXPECTED[mapping.type]}`);
    context.set(mapping.field, value);
  }
  // The incident rules (identifiers, limits) are the incident's own: the same check as every other way in.
  const parsed = parseIncident({
    id: alertIncidentId(alert),
    root_cause: rule.rootCause,
    confidence,
    service,
    context: Object.fromEntries(context),
  });
  if (!parsed.ok) {
    const first = parsed.errors[0]!;
    return refuse(first.field || '(incident)', parsed.errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; '));
  }
  return { kind: 'incident', rule: rule.name, incident: parsed.incident };
}

/** A label or annotation's value, or the rule's literal; an empty value is no value, as in Prometheus. */
function read(alert: Alert, source: ValueSource): string | undefined {
  switch (source.kind) {
    case 'label':
      return alert.labels.get(source.name) || undefined;
    case 'annotation':
      return alert.annotations.get(source.name) || undefined;
    case 'literal':
      return source.value;
  }
}

/** The number, or why there is none: a value that is not a number in [0, 1] falls back to the rule's default, if it has one. */
function confidenceOf(alert: Alert, rule: AlertmanagerRule): number | string {
  const { source, fallback } = rule.confidence;
  const text = source ? read(alert, source) : undefined;
  const value = text === undefined ? undefined : decimal(text);
  if (value !== undefined && value >= 0 && value <= 1) return value;
  if (fallback !== undefined) return fallback;
  if (!source) return 'the rule gives no confidence';
  return text === undefined
    ? `${describeSource(source)} is missing from the alert, and the rule has no default`
    : `${describeSource(source)} is ${quote(text)}: expected a number in [0, 1], and the rule has no default`;
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

function decimal(text: string): number | undefined {
  const value = DECIMAL.test(text) ? Number(text) : NaN;
  return Number.isFinite(value) ? value : undefined;
}

/** Label and annotation values are text; a context field of another type is parsed from it, strictly. */
function typed(type: ParamType, text: string): unknown {
  let value: unknown;
  switch (type) {
    case 'int':
      value = INTEGER.test(text) ? Number(text) : undefined;
      break;
    case 'number':
      value = decimal(text);
      break;
    case 'bool':
      value = text === 'true' ? true : text === 'false' ? false : undefined;
      break;
    case 'string':
    case 'dns_label':
    case 'dns_subdomain':
      value = text;
      break;
  }
  return fitsParamType(type, value) ? value : undefined;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}...` : text);
}
