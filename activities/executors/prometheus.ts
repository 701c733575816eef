/**
 * The prometheus executor: one instant query, GET {server URL}/api/v1/query, to the server the step
 * names (or the default) among the operator policy's, with that server's Authorization header.
 * Read-only, so a check retries it freely. An unknown or unconfigured server fails the probe before
 * any request. The answer is checked field by field (it is data from the network): a vector or a
 * scalar becomes the result; a refused credential (401/403), an error answer, a matrix, an answer over
 * the output bound, or an empty vector (unless the probe allows it) fails the probe with the reason
 * in `message`. The result names the server, never its credential.
 */
import type { PrometheusSample, ResolvedPrometheus } from '../../dsl/types';
import { selectServer, type PrometheusServer } from '../prometheus-servers';
import type { BoundedBuffer } from './bounded';
import type { Executor, ExecutorContext, ResultOf } from './executor';
import { readBounded } from './http';
import { describeError, since } from './util';

type PrometheusResult = ResultOf<ResolvedPrometheus>;

export const prometheusExecutor: Executor<ResolvedPrometheus> = { run: runPrometheus };

type Answer = { ok: true; resultType: 'vector' | 'scalar'; samples: PrometheusSample[]; value?: string } | { ok: false; message: string };

type Reply = { ok: true; status: number; body: BoundedBuffer } | { ok: false; message: string };

async function runPrometheus(spec: ResolvedPrometheus, ctx: ExecutorContext): Promise<PrometheusResult> {
  ctx.signal?.throwIfAborted();
  const started = performance.now();
  const selected = selectServer(ctx.prometheus, spec.server);
  const name = selected.ok ? selected.server.name : spec.server;
  const base = { executor: 'prometheus' as const, ...(name === undefined ? {} : { server: name }), query: spec.query };
  const failed = (message: string): PrometheusResult => ({
    ...base,
    ok: false,
    resultType: 'none',
    samples: [],
    message: selected.ok ? redact(message, selected.server) : message,
    durationMs: since(started),
  });
  if (!selected.ok) return failed(selected.message);
  const server = selected.server;
  const reply = await ask(server, spec, ctx);
  if (!reply.ok) return failed(reply.message);
  const { status, body } = reply;
  if (status === 401 || status === 403) {
    // The body is not read into the message: a proxy may echo the request, credential included.
    const sent = server.authorization
      ? 'refused the credentials of the operator policy'
      : 'requires credentials, and the operator policy gives none';
    return failed(`Prometheus server "${server.name}" ${sent} (HTTP ${status})`);
  }
  if (body.truncated) return failed(`the answer is larger than ${ctx.maxOutputBytes} bytes (REMEDIATE_MAX_OUTPUT_BYTES): narrow the query`);
  const answer = parseAnswer(status, body.text());
  if (!answer.ok) return failed(answer.message);
  if (answer.resultType === 'vector' && answer.samples.length === 0 && !spec.allowEmpty) {
    return failed('no samples: the query matched no series (allow_empty: true accepts that)');
  }
  const result: PrometheusResult = {
    ...base,
    ok: true,
    resultType: answer.resultType,
    samples: answer.samples,
    message: '',
    durationMs: since(started),
  };
  if (answer.value !== undefined) result.value = answer.value;
  return result;
}

/** The HTTP exchange, bounded by the step's, the server's and the check's timeouts, whichever is shortest. */
async function ask(server: PrometheusServer, spec: ResolvedPrometheus, ctx: ExecutorContext): Promise<Reply> {
  const timeoutMs = Math.min(spec.timeoutMs ?? ctx.timeoutMs, server.timeoutMs ?? ctx.timeoutMs, ctx.timeoutMs);
  const params = new URLSearchParams({ query: spec.query });
  // Seconds as a plain number, which Prometheus reads whole or fractional ("0.5"; "0.5s" it refuses).
  if (spec.timeoutMs !== undefined || server.timeoutMs !== undefined) params.set('timeout', String(timeoutMs / 1000));
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (server.authorization) headers.authorization = server.authorization.reveal();
  try {
    const response = await fetch(`${server.url}/api/v1/query?${params}`, { headers, redirect: 'manual', signal });
    return { ok: true, status: response.status, body: await readBounded(response, ctx.maxOutputBytes) };
  } catch (err) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    if (timeout.aborted) return { ok: false, message: `Prometheus server "${server.name}" did not answer within ${timeoutMs} ms` };
    return { ok: false, message: `Prometheus server "${server.name}" at ${server.url} failed: ${describeError(err)}` };
  }
}

/** Whatever a server sent back (an error text quoting the request) must not carry the credential into the history. */
function redact(message: string, server: PrometheusServer): string {
  const header = server.authorization?.reveal();
  if (!header) return message;
  const secrets = [header, header.slice(header.indexOf(' ') + 1)].filter((secret) => secret.length >= 4);
  return secrets.reduce((text, secret) => text.split(secret).join('[redacted]'), message);
}

/** The answer of /api/v1/query (https://prometheus.io/docs/prometheus/latest/querying/api/), or why it is not one we use. */
function parseAnswer(status: number, text: string): Answer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, message: `HTTP ${status}: not a Prometheus answer: ${text.slice(0, 200)}` };
  }
  if (!isRecord(json)) return { ok: false, message: `HTTP ${status}: not a Prometheus answer` };
  if (json.status === 'error') {
    const type = typeof json.errorType === 'string' ? `${json.errorType}: ` : '';
    return { ok: false, message: `Prometheus refused the query (HTTP ${status}): ${type}${String(json.error)}` };
  }
  const data = json.data;
  if (json.status !== 'success' || !isRecord(data)) return { ok: false, message: `HTTP ${status}: not a Prometheus answer` };
  if (data.resultType === 'scalar') {
    const value = sampleValue(data.result);
    return value === undefined ? malformed('scalar') : { ok: true, resultType: 'scalar', samples: [], value };
  }
  if (data.resultType !== 'vector') {
    return {
      ok: false,
      message: `the query returned a ${String(data.resultType)}; a check needs an instant vector or a scalar (no range selector [5m] at the top)`,
    };
  }
  if (!Array.isArray(data.result)) return malformed('vector');
  const samples: PrometheusSample[] = [];
  for (const item of data.result) {
    const sample = parseSample(item);
    if (!sample) return malformed('vector');
    samples.push(sample);
  }
  const [first] = samples;
  return first ? { ok: true, resultType: 'vector', samples, value: first.value } : { ok: true, resultType: 'vector', samples };
}

function malformed(type: string): Answer {
  return { ok: false, message: `Prometheus sent a malformed ${type}` };
}

function parseSample(item: unknown): PrometheusSample | undefined {
  if (!isRecord(item) || !isRecord(item.metric)) return undefined;
  const value = sampleValue(item.value);
  const labels = Object.entries(item.metric);
  if (value === undefined || !labels.every((entry): entry is [string, string] => typeof entry[1] === 'string')) return undefined;
  // fromEntries defines own properties: a label named __proto__ stays a label.
  return { labels: Object.fromEntries(labels), value };
}

/** `[timestamp, "value"]`. */
function sampleValue(pair: unknown): string | undefined {
  return Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'number' && typeof pair[1] === 'string' ? pair[1] : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
