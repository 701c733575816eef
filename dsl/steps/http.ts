/**
 * The http step kind: call an endpoint whose scheme, host and port are literal; placeholders fill
 * whole path segments, query values, headers and body values. activities/executors/http.ts runs it.
 */
import { anyJson, arr, define, int, obj, record, str, strEnum, type Static } from '../schema-builder';
import { parseTemplate, templateSource, urlLayout } from '../template';
import type { HttpSpec, ResolvedHttp, ResolvedText, Template, TemplateValue, TextOrSecret } from '../types';
import type { PathSegment } from '../yaml-source';
import type { Filler, PlacedTemplate, Slot, StepKindModule } from './kind';
import { isSecretRef, shownText } from '../secret-ref';
import { compileTemplate, compileTextOrSecretMap, mapValues, sourceOf, textOrSecret, type StepScope } from './support';

const schema = define(
  'http',
  obj(
    {
      method: strEnum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'], { description: 'Default GET.' }),
      url: str({ minLength: 1 }),
      headers: record(textOrSecret(), { description: 'Header values: text with {placeholders}, or { secret: NAME }.' }),
      query: record(textOrSecret(), {
        description: 'Query parameters added to the URL: text with {placeholders}, or { secret: NAME } (docs/secrets.md).',
      }),
      body: anyJson({ description: 'JSON body; strings may contain {placeholders}.' }),
      ok_statuses: arr(int({ minimum: 100, maximum: 599 }), { description: 'Accepted status codes (default: any 2xx).' }),
    },
    { required: ['url'], description: 'Call an HTTP endpoint.' },
  ),
);

export type RawHttp = Static<typeof schema>;

function compile(raw: RawHttp, path: readonly PathSegment[], scope: StepScope): HttpSpec | undefined {
  const url = compileUrl(raw.url, [...path, 'url'], scope);
  const headers = compileTextOrSecretMap(raw.headers ?? {}, [...path, 'headers'], scope);
  const query = raw.query === undefined ? {} : compileTextOrSecretMap(raw.query, [...path, 'query'], scope);
  const body = raw.body === undefined ? undefined : compileBody(raw.body, [...path, 'body'], scope);
  if (!url || !headers || !query || body === null) return undefined;
  const spec: HttpSpec = {
    executor: 'http',
    method: raw.method ?? 'GET',
    url,
    headers,
    okStatuses: raw.ok_statuses ?? [],
  };
  // Only when written: a runbook without `query:` compiles (and hashes) as before.
  if (raw.query !== undefined) spec.query = query;
  if (body !== undefined) spec.body = body;
  return spec;
}

/**
 * A URL's scheme, host and port are literal and complete; placeholders fill whole
 * path segments or whole query values only (template.ts urlLayout says why).
 */
function compileUrl(text: string, path: readonly PathSegment[], scope: StepScope): Template | undefined {
  const parsed = parseTemplate(text);
  const url = compileTemplate(text, path, scope);
  if (!url || !parsed.ok) return undefined;
  const layout = urlLayout(url);
  if (layout.ok) return url;
  const at = layout.placeholder >= 0 ? { offset: parsed.offsets[layout.placeholder] ?? 0 } : undefined;
  const message = layout.authority
    ? `the scheme and host of a URL must be written literally (http:// or https://), found ${text}`
    : `${layout.message}, found ${text}`;
  scope.report(path, message, at);
  return undefined;
}

/** null when it had errors (undefined means "no body"). */
function compileBody(value: unknown, path: readonly PathSegment[], scope: StepScope): TemplateValue | null {
  if (typeof value === 'string') {
    const template = compileTemplate(value, path, scope);
    return template ? { kind: 'template', template } : null;
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return { kind: 'literal', value };
  if (Array.isArray(value)) {
    const items = value.map((item, i) => compileBody(item, [...path, i], scope));
    return items.every((item): item is TemplateValue => item !== null) ? { kind: 'list', items } : null;
  }
  if (typeof value === 'object') {
    const entries: Record<string, TemplateValue> = {};
    let ok = true;
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const compiled = compileBody(item, [...path, key], scope);
      if (compiled) entries[key] = compiled;
      else ok = false;
    }
    return ok ? { kind: 'object', entries } : null;
  }
  return null;
}

const SLOTS = {
  url: { sink: 'url', at: 'url' },
  header: { sink: 'line', at: 'header' },
  query: { sink: 'line', at: 'query' },
  body: { sink: 'body', at: 'body' },
} as const satisfies Record<string, Slot>;

function templates(spec: HttpSpec): PlacedTemplate[] {
  const out: PlacedTemplate[] = [
    { template: spec.url, slot: SLOTS.url },
    ...templatesOf(spec.headers, SLOTS.header),
    ...templatesOf(spec.query ?? {}, SLOTS.query),
  ];
  const walk = (value: TemplateValue | undefined): void => {
    if (!value) return;
    if (value.kind === 'template') out.push({ template: value.template, slot: SLOTS.body });
    if (value.kind === 'list') value.items.forEach(walk);
    if (value.kind === 'object') Object.values(value.entries).forEach(walk);
  };
  walk(spec.body);
  return out;
}

function templatesOf(values: Record<string, TextOrSecret>, slot: Slot): PlacedTemplate[] {
  return Object.values(values).flatMap((value) => (isSecretRef(value) ? [] : [{ template: value, slot }]));
}

/** A secret reference stays a reference: the activity reads its value. */
function renderText(value: TextOrSecret, slot: Slot, fill: Filler): ResolvedText {
  return isSecretRef(value) ? { secret: value.name } : fill.text(value, slot);
}

/** The URL and its `query:` parameters as people see them: secrets as `secret:NAME`. */
function describeUrl(url: string, query: Record<string, string> | undefined): string {
  const params = Object.entries(query ?? {}).map(([name, value]) => `${name}=${value}`);
  if (params.length === 0) return url;
  return `${url}${url.includes('?') ? '&' : '?'}${params.join('&')}`;
}

function renderBody(value: TemplateValue, fill: Filler): unknown {
  switch (value.kind) {
    case 'literal':
      return value.value;
    case 'list':
      return value.items.map((item) => renderBody(item, fill));
    case 'object':
      return mapValues(value.entries, (entry) => renderBody(entry, fill));
    case 'template':
      return fill.json(value.template);
  }
}

export const httpStep: StepKindModule<'http', RawHttp> = {
  kind: 'http',
  schema,
  compile,
  templates,
  render(spec, fill) {
    const resolved: ResolvedHttp = {
      executor: 'http',
      method: spec.method,
      url: fill.text(spec.url, SLOTS.url),
      headers: mapValues(spec.headers, (value) => renderText(value, SLOTS.header, fill)),
      okStatuses: spec.okStatuses,
    };
    if (spec.query !== undefined) resolved.query = mapValues(spec.query, (value) => renderText(value, SLOTS.query, fill));
    if (spec.body !== undefined) resolved.body = renderBody(spec.body, fill);
    return resolved;
  },
  describeSpec: (spec) =>
    `${spec.method} ${describeUrl(templateSource(spec.url), spec.query && mapValues(spec.query, (value) => sourceOf(value)))}`,
  /** The body too: it is what the call changes (`PUT .../scale {"replicas":3}`). */
  describe: (run) =>
    `${run.method} ${describeUrl(run.url, run.query && mapValues(run.query, shownText))}${run.body === undefined ? '' : ` ${JSON.stringify(run.body)}`}`,
  describeResult: (result) => `HTTP ${result.status}`,
};
