/**
 * The prometheus executor: one instant query, GET {REMEDIATE_PROMETHEUS_URL}/api/v1/query. Read-only,
 * so a check retries it freely. The answer is checked field by field (it is data from the network):
 * a vector or a scalar becomes the result; an error answer, a matrix, an answer over the output bound,
 * or an empty vector (unless the probe allows it) fails the probe with the reason in `message`.
 */
import type { PrometheusSample, ResolvedPrometheus } from '../../dsl/types';
import type { BoundedBuffer } from './bounded';
import type { Executor, ExecutorContext, ResultOf } from './executor';
import { readBounded } from './http';
import { describeError, since } from './util';

type PrometheusResult = ResultOf<ResolvedPrometheus>;

export const PROMETHEUS_URL_VARIABLE = 'REMEDIATE_PROMETHEUS_URL';

export const prometheusExecutor: Executor<ResolvedPrometheus> = { run: runPrometheus };

type Answer = { ok: true; resultType: 'vector' | 'scalar'; samples: PrometheusSample[]; value?: string } | { ok: false; message: string };

async function runPrometheus(spec: ResolvedPrometheus, ctx: ExecutorContext): Promise<PrometheusResult> {
  ctx.signal?.throwIfAborted();
  const started = performance.now();
  const failed = (message: string): PrometheusResult => ({
    executor: 'prometheus',
    ok: false,
    query: spec.query,
    resultType: 'none',
    samples: [],
    message,
    durationMs: since(started),
  });
  if (!ctx.prometheusUrl) return failed(`no Prometheus is configured for this worker: set ${PROMETHEUS_URL_VARIABLE}`);
  const timeoutMs = Math.min(spec.timeoutMs ?? ctx.timeoutMs, ctx.timeoutMs);
  const params = new URLSearchParams({ query: spec.query });
  // Seconds as a plain number, which Prometheus reads whole or fractional ("0.5"; "0.5s" it refuses).
  if (spec.timeoutMs !== undefined) params.set('timeout', String(timeoutMs / 1000));
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  let status: number;
  let body: BoundedBuffer;
  try {
    const response = await fetch(`${ctx.prometheusUrl}/api/v1/query?${params}`, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal,
    });
    status = response.status;
    body = await readBounded(response, ctx.maxOutputBytes);
  } catch (err) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    if (timeout.aborted) return failed(`Prometheus did not answer within ${timeoutMs} ms`);
    return failed(`Prometheus at ${ctx.prometheusUrl} failed: ${describeError(err)}`);
  }
  if (body.truncated) return failed(`the answer is larger than ${ctx.maxOutputBytes} bytes (REMEDIATE_MAX_OUTPUT_BYTES): narrow the query`);
  const answer = parseAnswer(status, body.text());
  if (!answer.ok) return failed(answer.message);
  if (answer.resultType === 'vector' && answer.samples.length === 0 && !spec.allowEmpty) {
    return failed('no samples: the query matched no series (allow_empty: true accepts that)');
  }
  const result: PrometheusResult = {
    executor: 'prometheus',
    ok: true,
    query: spec.query,
    resultType: answer.resultType,
    samples: answer.samples,
    message: '',
    durationMs: since(started),
  };
  if (answer.value !== undefined) result.value = answer.value;
  return result;
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
