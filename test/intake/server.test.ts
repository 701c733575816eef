/**
 * The intake server over real HTTP with a recording route: every refusal happens before the route
 * runs (so nothing half-valid reaches a submission), the body limit stops reading, and every request
 * is counted by source and result. The route's submissions against Temporal: test/temporal/intake.test.ts.
 */
import type { Client } from '@temporalio/client';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIntakeServer, type IntakeEvents, type IntakeResult, type IntakeServer, type Readiness } from '../../intake/server';
import type { IntakeRequest } from '../../intake/types';
import { parseOperatorPolicy } from '../../worker/operator-policy';

const TOKENS = { alertmanager: 'a'.repeat(64), oncall: 'token-of-oncall', limited: 'token-of-limited' };
const sha = (token: string) => createHash('sha256').update(token).digest('hex');
const POLICY = `
intake:
  max_body_bytes: 2048
  sources:
    alertmanager: { token_sha256: ${sha(TOKENS.alertmanager)}, routes: [alertmanager] }
    oncall: { token_sha256: ${sha(TOKENS.oncall)}, rate_per_minute: 600 }
    limited: { token_sha256: ${sha(TOKENS.limited)}, rate_per_minute: 2 }
`;

const counted: { source: string; route: string; result: IntakeResult }[] = [];
const events: IntakeEvents = { received: (source, route, result) => counted.push({ source, route, result }) };
const seen: IntakeRequest[] = [];
let readiness: Readiness = { ready: true };
let server: IntakeServer;

beforeAll(async () => {
  const policy = parseOperatorPolicy('policy.yaml', POLICY, () => '', {});
  server = await startIntakeServer({
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: policy.intake.maxBodyBytes,
    sources: policy.intake.sources,
    routes: [
      {
        name: 'incidents',
        method: 'POST',
        path: '/v1/incidents',
        handler: async (request) => {
          seen.push(request);
          return { status: 202, body: { workflowId: 'wf' } };
        },
      },
    ],
    alertmanager: async () => ({ status: 200, body: {} }),
    readiness: async () => readiness,
    metrics: async () => ({ contentType: 'text/plain; version=0.0.4', text: 'x 1\n' }),
    events,
  });
});
afterAll(() => server.close());

async function post(body: string, headers: Record<string, string> = {}, path = '/v1/incidents') {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function lastCount() {
  return counted.at(-1);
}

describe('the intake server', () => {
  it('hands an authenticated JSON body to the route, with the source named', async () => {
    const before = seen.length;
    const answer = await post('{"id":"x"}', bearer(TOKENS.oncall));
    expect(answer.status).toBe(202);
    expect(seen.length).toBe(before + 1);
    expect(seen.at(-1)).toMatchObject({ source: 'oncall', body: { id: 'x' } });
    expect(lastCount()).toEqual({ source: 'oncall', route: 'incidents', result: 'accepted' });
  });

  it('refuses a request without a token (401, WWW-Authenticate: Bearer) before the route runs', async () => {
    const before = seen.length;
    const answer = await post('{"id":"x"}');
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(seen.length).toBe(before);
    expect(lastCount()).toEqual({ source: '(unauthenticated)', route: 'incidents', result: 'unauthorized' });
  });

  it('refuses a wrong token, another scheme and a token that differs by one character', async () => {
    const before = seen.length;
    for (const authorization of ['Bearer wrong', `Basic ${TOKENS.oncall}`, `Bearer ${TOKENS.oncall}x`, `Bearer ${'a'.repeat(63)}b`]) {
      const answer = await post('{"id":"x"}', { authorization });
      expect(answer.status, authorization).toBe(401);
      expect(answer.headers.get('www-authenticate')).toContain('invalid_token');
    }
    expect(seen.length).toBe(before);
  });

  it('refuses a source the route is not allowed (403)', async () => {
    const answer = await post('{"id":"x"}', bearer(TOKENS.alertmanager));
    expect(answer.status).toBe(403);
    expect(lastCount()).toEqual({ source: 'alertmanager', route: 'incidents', result: 'forbidden' });
    expect((await post('{}', bearer(TOKENS.alertmanager), '/v1/alertmanager')).status).toBe(200);
  });

  it('answers 429 with Retry-After past the source rate, and only for that source', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 4; i++) {
      const answer = await post('{"id":"x"}', bearer(TOKENS.limited));
      statuses.push(answer.status);
      if (answer.status === 429) retryAfter = answer.headers.get('retry-after');
    }
    expect(statuses).toEqual([202, 202, 429, 429]);
    // 2 a minute: the next one in about 30 s.
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(25);
    expect(Number(retryAfter)).toBeLessThanOrEqual(30);
    expect(lastCount()).toEqual({ source: 'limited', route: 'incidents', result: 'rate_limited' });
    expect((await post('{"id":"x"}', bearer(TOKENS.oncall))).status).toBe(202);
  });

  it('refuses a non-JSON content type (415)', async () => {
    const answer = await post('id=x', { ...bearer(TOKENS.oncall), 'content-type': 'application/x-www-form-urlencoded' });
    expect(answer.status).toBe(415);
  });

  it('answers malformed JSON with 400 and where the syntax error is', async () => {
    const before = seen.length;
    const answer = await post('{"id": "x",, }', bearer(TOKENS.oncall));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/invalid JSON: .*position 11/);
    expect(seen.length).toBe(before);
    expect(lastCount()).toEqual({ source: 'oncall', route: 'incidents', result: 'invalid' });
  });

  it('refuses a body over the limit (413) by its declared length or as it arrives', async () => {
    const before = seen.length;
    expect((await post('x'.repeat(3000), bearer(TOKENS.oncall))).status).toBe(413);
    expect(seen.length).toBe(before);
    expect(lastCount()).toEqual({ source: 'oncall', route: 'incidents', result: 'too_large' });
  });

  it('stops reading an oversize chunked body: the answer arrives while the client is still sending', async () => {
    const url = new URL(`${server.url}/v1/incidents`);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const limit = 256 * 1024 * 1024;
    let written = 0;
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...bearer(TOKENS.oncall) },
        },
        (response) => {
          resolve(response.statusCode ?? 0);
          response.resume();
          request.destroy();
        },
      );
      request.on('error', (error) => (written > 0 ? undefined : reject(error)));
      const pump = () => {
        while (written < limit && !request.destroyed) {
          written += chunk.length;
          if (!request.write(chunk)) return void request.once('drain', pump);
        }
        if (!request.destroyed) request.end();
      };
      pump();
    });
    expect(status).toBe(413);
    // The server read about 2 KiB and answered; the client never got to send its 256 MiB.
    expect(written).toBeLessThan(limit / 4);
  });

  it('answers 404 and 405 as fitting, and serves health, readiness and metrics without a token', async () => {
    expect((await post('{}', bearer(TOKENS.oncall), '/v1/nothing')).status).toBe(404);
    const get = await fetch(`${server.url}/v1/incidents`, { headers: bearer(TOKENS.oncall) });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    readiness = { ready: false, reason: 'the guardrail coordinator is gone' };
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, reason: 'the guardrail coordinator is gone' });
    readiness = { ready: true };
    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toBe('x 1\n');
  });

  it('counts every request it answered', () => {
    // One count per request made above (1 + 1 + 4 + 2 + 5 + 1 + 1 + 1 + 1 + 6).
    expect(counted.length).toBe(23);
  });
});

describe('the intake policy', () => {
  const parse = (text: string) => () => parseOperatorPolicy('policy.yaml', text, () => '', {});

  it('defaults to loopback and names a bad token hash where it is', () => {
    expect(parseOperatorPolicy('policy.yaml', '', () => '', {}).intake.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parse('intake:\n  sources:\n    a: { token_sha256: ABC }\n')).toThrow(
      /policy\.yaml:3:\d+: intake\.sources\.a\.token_sha256: .*sha256/,
    );
    expect(parse('intake:\n  listen: 0.0.0.0:99999\n')).toThrow(/policy\.yaml:2:\d+: intake\.listen: .*65535/);
    expect(parse('intake:\n  sources:\n    a: { token_sha256: ' + sha('t') + ', rout: [incidents] }\n')).toThrow(/intake\.sources\.a/);
    const twice = `intake:\n  sources:\n    a: { token_sha256: ${sha('t')} }\n    b: { token_sha256: ${sha('t')} }\n`;
    expect(parse(twice)).toThrow(/policy\.yaml:4:\d+: intake\.sources\.b\.token_sha256: the same token as source "a"/);
  });
});

describe('the incidents route', () => {
  it('answers 503 with Retry-After when Temporal does not answer, and 400 naming the field before it tries', async () => {
    const { incidentsRoute } = await import('../../intake/incidents-route');
    const { ServerUnreachableError } = await import('../../client/connect');
    let starts = 0;
    const client = {
      workflow: {
        start: async () => {
          starts += 1;
          throw new ServerUnreachableError('127.0.0.1:1', 'default');
        },
      },
    } as unknown as Client;
    const route = incidentsRoute({ client, taskQueue: 'q' });
    const incident = { id: 'INC1', root_cause: 'x', confidence: 0.5, service: 's' };
    expect(await route({ source: 'a', body: incident, rawBody: Buffer.alloc(0) })).toMatchObject({
      status: 503,
      headers: { 'retry-after': '30' },
    });
    expect(starts).toBe(1);
    const invalid = await route({ source: 'a', body: { ...incident, confidence: 'high' }, rawBody: Buffer.alloc(0) });
    expect(invalid).toMatchObject({ status: 400, body: { errors: [{ field: 'confidence' }] } });
    expect(starts).toBe(1);
  });
});
