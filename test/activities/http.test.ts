import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedHttp } from '../../dsl/types';
import { runExecutor } from '../../activities/executors';
import { closedPort, startServer, type TestServer } from './helpers';

let server: TestServer;

beforeAll(async () => {
  server = await startServer((req, res) => {
    const [path, query] = req.url.split('?');
    switch (path) {
      case '/json':
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ replicas: 3, ready: true }));
        return;
      case '/problem':
        res.writeHead(422, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ title: 'bad' }));
        return;
      case '/lying-json':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('not json at all');
        return;
      case '/text':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('{"looks":"like json"}');
        return;
      case '/echo':
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, headers: req.headers, body: req.body }));
        return;
      case '/status':
        res.writeHead(Number(new URLSearchParams(query).get('code')));
        res.end('status body');
        return;
      case '/big':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`[${'1,'.repeat(500_000)}1]`);
        return;
      case '/redirect':
        res.writeHead(302, { location: '/json' });
        res.end();
        return;
      case '/hang':
        return; // never answers
      default:
        res.writeHead(404);
        res.end();
    }
  });
});

afterAll(() => server.close());

function http(path: string, extra: Partial<ResolvedHttp> = {}): ResolvedHttp {
  return { executor: 'http', method: 'GET', url: `${server.url}${path}`, headers: {}, okStatuses: [], ...extra };
}

async function httpResult(spec: ResolvedHttp, opts: Parameters<typeof runExecutor>[1] = { timeoutMs: 5_000 }) {
  const result = await runExecutor(spec, opts);
  if (result.executor !== 'http') throw new Error(`expected an http result, got ${result.executor}`);
  return result;
}

function requestsTo(path: string) {
  return server.requests.filter((r) => r.url.startsWith(path));
}

describe('http executor', () => {
  it('succeeds on 2xx and parses a JSON response', async () => {
    const r = await httpResult(http('/json'));
    expect(r).toMatchObject({ ok: true, status: 200, truncated: false, json: { replicas: 3, ready: true } });
    expect(JSON.parse(r.body)).toEqual({ replicas: 3, ready: true });
  });

  it('parses +json media types, and leaves bodies that are not JSON as text', async () => {
    expect((await httpResult(http('/problem'))).json).toEqual({ title: 'bad' });
    const lying = await httpResult(http('/lying-json'));
    expect(lying).toMatchObject({ ok: true, body: 'not json at all' });
    expect(lying.json).toBeUndefined();
    expect((await httpResult(http('/text'))).json).toBeUndefined();
  });

  it('sends method, headers, a JSON body with its content-type, and the Idempotency-Key', async () => {
    const r = await httpResult(
      http('/echo', { method: 'POST', headers: { authorization: 'Bearer t0k3n' }, body: { replicas: 2, pod: 'web-1; rm -rf /' } }),
      { timeoutMs: 5_000, idempotencyKey: 'wf-inc-7/scale' },
    );
    expect(r.status).toBe(201);
    const seen = r.json as { method: string; headers: Record<string, string>; body: string };
    expect(seen.method).toBe('POST');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers.authorization).toBe('Bearer t0k3n');
    expect(seen.headers['idempotency-key']).toBe('wf-inc-7/scale');
    expect(JSON.parse(seen.body)).toEqual({ replicas: 2, pod: 'web-1; rm -rf /' });
  });

  it('keeps an explicit JSON content-type and sends no Idempotency-Key without a key', async () => {
    const r = await httpResult(
      http('/echo', { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: { spec: { replicas: 1 } } }),
    );
    const seen = r.json as { headers: Record<string, string> };
    expect(seen.headers['content-type']).toBe('application/merge-patch+json');
    expect(seen.headers['idempotency-key']).toBeUndefined();
  });

  it('fails on a non-2xx status and keeps the body', async () => {
    expect(await httpResult(http('/status?code=503'))).toMatchObject({ ok: false, status: 503, body: 'status body' });
  });

  it('accepts exactly the statuses listed in okStatuses', async () => {
    expect((await httpResult(http('/status?code=404', { okStatuses: [404] }))).ok).toBe(true);
    expect((await httpResult(http('/status?code=200', { okStatuses: [201, 204] }))).ok).toBe(false);
  });

  it('does not follow redirects', async () => {
    const before = requestsTo('/json').length;
    expect(await httpResult(http('/redirect'))).toMatchObject({ ok: false, status: 302 });
    expect(requestsTo('/json').length).toBe(before);
  });

  it('times out a server that never answers', async () => {
    const started = Date.now();
    const r = await httpResult(http('/hang?token=secret'), { timeoutMs: 300 });
    expect(r).toMatchObject({ ok: false, status: 0 });
    expect(r.body).toBe(`http: GET ${server.url}/hang timed out after 300 ms`);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('bounds the response body and does not parse a cut JSON body', async () => {
    const r = await httpResult(http('/big'), { timeoutMs: 5_000, maxOutputBytes: 1_024 });
    expect(r).toMatchObject({ ok: true, status: 200, truncated: true });
    expect(Buffer.byteLength(r.body)).toBe(1_024);
    expect(r.json).toBeUndefined();
  });

  it('refuses URLs that are not http(s), or not URLs, without a request', async () => {
    const before = server.requests.length;
    expect(await httpResult(http('', { url: 'file:///etc/passwd' }))).toMatchObject({
      ok: false,
      status: 0,
      body: 'http: only http and https URLs are allowed, got file:',
    });
    expect(await httpResult(http('', { url: 'not a url' }))).toMatchObject({
      ok: false,
      status: 0,
      body: 'http: invalid URL: "not a url"',
    });
    expect(server.requests.length).toBe(before);
  });

  it('reports a refused connection as a failed result', async () => {
    const port = await closedPort();
    const r = await httpResult(http('', { url: `http://127.0.0.1:${port}/x` }));
    expect(r).toMatchObject({ ok: false, status: 0 });
    expect(r.body).toContain('ECONNREFUSED');
  });

  it('refuses a header value carrying CR/LF instead of injecting a header', async () => {
    const before = server.requests.length;
    const r = await httpResult(http('/echo', { headers: { 'x-pod': 'web-1\r\nx-injected: yes' } }));
    expect(r).toMatchObject({ ok: false, status: 0 });
    expect(server.requests.length).toBe(before);
  });

  it('on cancellation rejects with the signal reason', async () => {
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    const running = runExecutor(http('/hang'), { timeoutMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(reason), 100);
    await expect(running).rejects.toBe(reason);
  });
});
