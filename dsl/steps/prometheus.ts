/**
 * The prometheus step kind: a PromQL instant query against a Prometheus of the operator policy
 * (`prometheus.servers`, or REMEDIATE_PROMETHEUS_URL as its shortcut). A runbook may name a server,
 * never give a URL: where the worker reads and with which credentials is the operator's to say.
 * Read-only, so it is a probe retried freely.
 * activities/executors/prometheus.ts runs it; the condition sees `result.samples`, `result.value`
 * (doubles) and `result.resultType`.
 */
import { durationMs } from '../duration';
import { anyOf, bool, define, num, obj, str, type Static } from '../schema-builder';
import type { KindResult, PrometheusSpec, ResolvedPrometheus } from '../types';
import type { PathSegment } from '../yaml-source';
import type { Slot, StepKindModule } from './kind';
import { parsePromqlTemplate, promqlSource } from './promql';
import { didYouMean } from '../suggest';
import { checkTemplate, type StepScope } from './support';

/** A server's name in the operator policy and in a runbook: no URL, no path, nothing to interpret. */
export const PROMETHEUS_SERVER_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$';

const schema = define(
  'prometheus',
  obj(
    {
      server: str({
        pattern: PROMETHEUS_SERVER_PATTERN,
        description: "A server of the operator policy's prometheus.servers, by name (default: the policy's default).",
      }),
      query: str({
        minLength: 1,
        description: 'PromQL; {placeholders} only inside double-quoted strings (label values), escaped there.',
      }),
      timeout: anyOf([str({ pattern: '^[0-9]+(ms|s|m|h)$' }), num({ minimum: 0 })], {
        description: "Query timeout (default: the check's timeout).",
      }),
      allow_empty: bool({ description: 'Whether an empty answer is one (default false: "no samples" fails the probe).' }),
    },
    { required: ['query'], description: "A PromQL instant query against a Prometheus of the worker's operator policy." },
  ),
);

export type RawPrometheus = Static<typeof schema>;

function compile(raw: RawPrometheus, path: readonly PathSegment[], scope: StepScope): PrometheusSpec | undefined {
  const query = checkTemplate(parsePromqlTemplate(raw.query), [...path, 'query'], scope);
  const timeoutMs = raw.timeout === undefined ? undefined : durationMs(raw.timeout);
  if (timeoutMs !== undefined && timeoutMs <= 0) {
    scope.report([...path, 'timeout'], `expected a duration greater than zero, found ${JSON.stringify(raw.timeout)}`);
    return undefined;
  }
  const serverKnown = raw.server === undefined || checkServer(raw.server, [...path, 'server'], scope);
  if (!query || !serverKnown) return undefined;
  const spec: PrometheusSpec = { executor: 'prometheus', query, allowEmpty: raw.allow_empty ?? false };
  if (raw.server !== undefined) spec.server = raw.server;
  if (timeoutMs !== undefined) spec.timeoutMs = timeoutMs;
  return spec;
}

/** Checked only when the compiler knows the operator's servers (compile option `prometheusServers`). */
function checkServer(server: string, path: readonly PathSegment[], scope: StepScope): boolean {
  const known = scope.prometheusServers;
  if (known === undefined || known.includes(server)) return true;
  const configured = known.length > 0 ? `servers: ${known.join(', ')}` : 'the operator policy configures no Prometheus server';
  scope.report(path, `unknown Prometheus server "${server}"${didYouMean(server, known)}; ${configured}`);
  return false;
}

/** Every placeholder of a query is inside a string literal (the parser allows no other). */
const QUERY_SLOT: Slot = { sink: 'promql', at: 'query' };

/** `3 samples, first 0.01 {service="checkout"}`, `scalar 1`, `no samples`, or why it failed. */
function describeResult(result: KindResult<'prometheus'>): string {
  if (!result.ok) return `failed: ${result.message}`;
  if (result.resultType === 'scalar') return `scalar ${result.value}`;
  const [first] = result.samples;
  if (!first) return 'no samples';
  const labels = Object.entries(first.labels)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(',');
  const count = result.samples.length === 1 ? '1 sample' : `${result.samples.length} samples, first`;
  return `${count} ${first.value}${labels ? ` {${labels}}` : ''}`;
}

function onServer(server: string | undefined): string {
  return server === undefined ? '' : ` (server ${server})`;
}

export const prometheusStep: StepKindModule<'prometheus', RawPrometheus> = {
  kind: 'prometheus',
  schema,
  compile,
  templates: (spec) => [{ template: spec.query, slot: QUERY_SLOT }],
  render(spec, fill) {
    const resolved: ResolvedPrometheus = { executor: 'prometheus', query: fill.text(spec.query, QUERY_SLOT), allowEmpty: spec.allowEmpty };
    if (spec.server !== undefined) resolved.server = spec.server;
    if (spec.timeoutMs !== undefined) resolved.timeoutMs = spec.timeoutMs;
    return resolved;
  },
  describeSpec: (spec) => `PromQL ${promqlSource(spec.query.parts)}${onServer(spec.server)}`,
  describe: (run) => `PromQL ${run.query}${onServer(run.server)}`,
  describeResult,
};
