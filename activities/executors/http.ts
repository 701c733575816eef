import type { ResolvedHttp } from '../../dsl/types';
import { plainText } from '../secrets/reveal';
import { BoundedBuffer } from './bounded';
import type { Executor, ExecutorContext, ResultOf } from './executor';
import { describeError, since } from './util';

type HttpResult = ResultOf<ResolvedHttp>;

/** application/json and the structured-syntax variants (problem+json, merge-patch+json, ...). */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * One HTTP request with a JSON body. Redirects are not followed: a remediation
 * talks to exactly the URL its runbook names, and a 3xx fails unless listed in
 * okStatuses. A request that gets no response (bad URL, refused, timed out)
 * is a result with status 0 and the reason in `body`.
 */
export const httpExecutor: Executor<ResolvedHttp> = { run: runHttp };

async function runHttp(spec: ResolvedHttp, ctx: ExecutorContext): Promise<HttpResult> {
  ctx.signal?.throwIfAborted();
  const started = performance.now();
  const failed = (body: string): HttpResult => ({
    executor: 'http',
    ok: false,
    status: 0,
    body,
    truncated: false,
    durationMs: since(started),
  });

  const url = URL.canParse(spec.url) ? new URL(spec.url) : null;
  if (url === null) return failed(`http: invalid URL: ${JSON.stringify(spec.url)}`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return failed(`http: only http and https URLs are allowed, got ${url.protocol}`);
  }
  for (const [name, value] of Object.entries(spec.query ?? {})) url.searchParams.append(name, plainText(value));
  // Query strings may carry tokens: messages name only origin and path.
  const target = `${spec.method} ${url.origin}${url.pathname}`;

  const timeout = AbortSignal.timeout(ctx.timeoutMs);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  try {
    const response = await fetch(url, {
      method: spec.method,
      // Built inside the try: Headers rejects CR/LF in values (header injection from a rendered placeholder).
      headers: requestHeaders(spec, ctx.idempotencyKey),
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      redirect: 'manual',
      signal,
    });
    const body = await readBounded(response, ctx.maxOutputBytes);
    const text = body.text();
    const ok = spec.okStatuses.length > 0 ? spec.okStatuses.includes(response.status) : response.status >= 200 && response.status < 300;
    const result: HttpResult = {
      executor: 'http',
      ok,
      status: response.status,
      body: text,
      truncated: body.truncated,
      durationMs: since(started),
    };
    // A cut body is never valid JSON; a body that lies about its type is left as text.
    if (!body.truncated && JSON_MEDIA_TYPE.test(response.headers.get('content-type') ?? '')) {
      try {
        result.json = JSON.parse(text);
      } catch {
        // Keep `body`; the condition can still inspect the text.
      }
    }
    return result;
  } catch (err) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    if (timeout.aborted) return failed(`http: ${target} timed out after ${ctx.timeoutMs} ms`);
    return failed(`http: ${target} failed: ${describeError(err)}`);
  }
}

function requestHeaders(spec: ResolvedHttp, idempotencyKey: string | undefined): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(spec.headers)) headers.append(name, plainText(value));
  // An explicit content-type wins: some APIs want a JSON variant such as application/merge-patch+json.
  if (spec.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  if (idempotencyKey !== undefined) headers.set('idempotency-key', idempotencyKey);
  return headers;
}

/** The body up to `limit` bytes (the prometheus executor reads its answers the same way). */
export async function readBounded(response: Response, limit: number): Promise<BoundedBuffer> {
  const buffer = new BoundedBuffer(limit);
  if (response.body === null) return buffer;
  const reader = response.body.getReader();
  while (!buffer.truncated) {
    const { done, value } = await reader.read();
    if (done) return buffer;
    buffer.push(value);
  }
  // Enough kept: stop downloading the rest instead of reading it to discard it.
  reader.cancel().catch(() => undefined);
  return buffer;
}
