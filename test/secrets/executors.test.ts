/** runExecutor with secrets: real child processes and a real HTTP server; values in, `secret:NAME` out. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExecutor, SecretUnavailableError } from '../../activities/executors';
import type { ReadSecret } from '../../activities/secrets/sources';

const VALUE = 'v4lue-Kq2Zr9';
const read: ReadSecret = (name) => (name === 'TOKEN' ? Promise.resolve(VALUE) : Promise.resolve(`bad\r\nvalue-${VALUE}`));
const received: { url: string; headers: IncomingHttpHeaders }[] = [];
let base: string;
const server = createServer((req, res) => {
  received.push({ url: req.url ?? '', headers: req.headers });
  res.writeHead(200, { 'content-type': 'application/json' });
  // An API that echoes what it got.
  res.end(JSON.stringify({ echoed: req.headers.authorization, [VALUE]: true }));
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('runExecutor with secret references', () => {
  it('exec: the value reaches the child through env and argv; stdout comes back redacted', async () => {
    const result = await runExecutor(
      {
        executor: 'exec',
        argv: ['sh', '-c', 'printf "%s|%s" "$T" "$1"', 'sh', { secret: 'TOKEN' }],
        env: { T: { secret: 'TOKEN' } },
        okExitCodes: [0],
      },
      { timeoutMs: 10_000, secrets: read },
    );
    expect(result).toMatchObject({ ok: true, stdout: 'secret:TOKEN|secret:TOKEN' });
  });

  it('http: the value reaches the header and the query; the echoed body and its JSON come back redacted', async () => {
    received.length = 0;
    const result = await runExecutor(
      {
        executor: 'http',
        method: 'GET',
        url: `${base}/x?a=1`,
        headers: { Authorization: { secret: 'TOKEN' } },
        query: { key: { secret: 'TOKEN' } },
        okStatuses: [],
      },
      { timeoutMs: 10_000, secrets: read },
    );
    expect(received).toHaveLength(1);
    expect(received[0]!.headers.authorization).toBe(VALUE);
    expect(received[0]!.url).toBe(`/x?a=1&key=${VALUE}`);
    expect(JSON.stringify(result)).not.toContain(VALUE);
    expect(result).toMatchObject({ ok: true, json: { echoed: 'secret:TOKEN', 'secret:TOKEN': true } });
  });

  it('http: an error that would quote the header value is redacted too', async () => {
    received.length = 0;
    const result = await runExecutor(
      { executor: 'http', method: 'GET', url: `${base}/x`, headers: { Authorization: { secret: 'BROKEN' } }, okStatuses: [] },
      { timeoutMs: 10_000, secrets: read },
    );
    expect(received).toHaveLength(0);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain(VALUE);
  });

  it('without a reader, a reference fails before anything runs, naming the secret', async () => {
    received.length = 0;
    await expect(
      runExecutor(
        { executor: 'http', method: 'GET', url: `${base}/x`, headers: { A: { secret: 'TOKEN' } }, okStatuses: [] },
        { timeoutMs: 10_000 },
      ),
    ).rejects.toThrow(SecretUnavailableError);
    expect(received).toHaveLength(0);
  });
});
