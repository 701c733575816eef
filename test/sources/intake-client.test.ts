/**
 * The HTTP path out-of-process sources (`remediate watch`) submit through, against a real loopback
 * server that counts every request: the token goes in the Authorization header, 202/200 become
 * started/attached, a refusal is not retried, and what may succeed later is retried a bounded number
 * of times (429 after its Retry-After).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { IntakeRefusedError, IntakeUnavailableError, postIncident } from '../../sources/intake-client';
import { incident } from '../harness/engine';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A server answering each request with the next of `answers` (the last one repeats). */
async function intake(answers: { status: number; body?: unknown; headers?: Record<string, string> }[]) {
  const seen: Seen[] = [];
  server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', authorization: request.headers.authorization, body });
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!;
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const inc = incident({ id: 'k8s:staging:web-1:CrashLoopBackOff:r1', service: 'web', root_cause: 'CrashLoopBackOff', confidence: 0.95 });

describe('postIncident', () => {
  it('posts the incident with the bearer token; 202 is started, 200 attached', async () => {
    const { url, seen } = await intake([
      { status: 202, body: { workflowId: 'remediation-1' } },
      { status: 200, body: { workflowId: 'remediation-1' } },
    ]);
    expect(await postIncident({ url, token: 't0k' }, inc)).toEqual({ workflowId: 'remediation-1', attached: false });
    expect(await postIncident({ url, token: 't0k' }, inc)).toEqual({ workflowId: 'remediation-1', attached: true });
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/incidents', authorization: 'Bearer t0k' });
    expect(JSON.parse(seen[0]!.body)).toEqual(JSON.parse(JSON.stringify(inc)));
  });

  it('does not retry a refusal of the request itself, and says why', async () => {
    for (const status of [400, 401, 403, 413, 415]) {
      const { url, seen } = await intake([{ status, body: { error: `refused with ${status}` } }]);
      const error = await postIncident({ url, token: 'x', attempts: 5 }, inc).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IntakeRefusedError);
      expect((error as IntakeRefusedError).message).toContain(`answered ${status}: refused with ${status}`);
      expect(seen).toHaveLength(1);
      await new Promise((resolve) => server!.close(resolve));
      server = undefined;
    }
  });

  it('retries 429 after its Retry-After and 503, then succeeds; gives up after its attempts', async () => {
    const { url, seen } = await intake([
      { status: 429, headers: { 'retry-after': '0' }, body: { error: 'slow down' } },
      { status: 503, body: { error: 'not ready' } },
      { status: 202, body: { workflowId: 'w' } },
    ]);
    expect(await postIncident({ url, token: 'x', maxDelayMs: 50 }, inc)).toEqual({ workflowId: 'w', attached: false });
    expect(seen).toHaveLength(3);

    const down = await intake([{ status: 503, body: { error: 'not ready' } }]);
    const error = await postIncident({ url: down.url, token: 'x', attempts: 3, maxDelayMs: 20 }, inc).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntakeUnavailableError);
    expect((error as Error).message).toContain('after 3 attempts');
    expect(down.seen).toHaveLength(3);
  });

  it('an intake that cannot be reached is unavailable, not refused', async () => {
    const { url } = await intake([{ status: 202 }]);
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const error = await postIncident({ url, token: 'x', attempts: 2, maxDelayMs: 10 }, inc).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntakeUnavailableError);
    expect((error as Error).message).toMatch(/cannot reach/);
  });
});
