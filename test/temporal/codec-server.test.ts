/**
 * The codec server `remediate serve` runs when encryption is on, over real HTTP against the intake
 * service as serve assembles it: decode and encode for a source allowed the `codec` route, 401
 * without a token, 403 for a source without the route, CORS for the Web UI's origin and no other.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AesGcmCodec } from '../../codec/aes-gcm-codec';
import { KeyRing } from '../../codec/key-ring';
import type { IntakeServer } from '../../intake/server';
import { startIntakeService, type IntakeServiceOptions } from '../../intake/service';
import { createEngineMetrics } from '../../telemetry/metrics';
import { parseOperatorPolicy } from '../../worker/operator-policy';
import { hashPassword } from '../../approvals/web/passwords';
import { connectDevServer } from '../harness/temporal';

const UI_ORIGIN = 'http://localhost:8233';
const TOKENS = { ui: 'codec-token-for-the-web-ui', submitter: 'submitter-token-no-codec' };
const sha = (token: string) => createHash('sha256').update(token).digest('hex');
const ring = new KeyRing('k1', new Map([['k1', Buffer.alloc(32, 9)]]), '/etc/remediate/keys.yaml');
const codec = new AesGcmCodec(ring);
const VALUE = { incident: 'INC-codec-1', context: { customer: 'ACME' } };

let env: TestWorkflowEnvironment;
let server: IntakeServer;
let plainServer: IntakeServer;
let requests = 0;

async function startWith(extra: Partial<IntakeServiceOptions>): Promise<IntakeServer> {
  const policy = parseOperatorPolicy(
    '/etc/remediate/policy.yaml',
    [
      `web_ui_url: ${UI_ORIGIN}/namespaces/default`,
      'intake:',
      '  max_body_bytes: 4096',
      '  sources:',
      `    web-ui: { token_sha256: "${sha(TOKENS.ui)}", routes: [codec] }`,
      `    submitter: { token_sha256: "${sha(TOKENS.submitter)}" }`,
    ].join('\n'),
    () => '',
    {},
  );
  return await startIntakeService({
    client: env.client,
    taskQueue: 'codec-server-test',
    coordinatorId: 'guardrails-codec-server-test',
    policy: policy.intake,
    alertmanagerRules: [],
    listen: { host: '127.0.0.1', port: 0 },
    metrics: createEngineMetrics(),
    log: () => undefined,
    ...extra,
  });
}

beforeAll(async () => {
  env = await connectDevServer();
  server = await startWith({ codec: { codec, webUiOrigin: UI_ORIGIN } });
  plainServer = await startWith({});
});

afterAll(async () => {
  await server?.close();
  await plainServer?.close();
});

// Each test says how many requests it made, every one answered and checked: none left out, none extra.
beforeEach(() => {
  requests = 0;
});

async function call(
  path: string,
  init: { method?: string; token?: string; origin?: string; body?: string; headers?: Record<string, string> },
  on = server,
) {
  requests += 1;
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.origin) headers.origin = init.origin;
  if (init.body !== undefined) headers['content-type'] ??= 'application/json';
  return await fetch(`${on.url}${path}`, {
    method: init.method ?? 'POST',
    headers,
    redirect: 'manual',
    ...(init.body === undefined ? {} : { body: init.body }),
  });
}

const asJson = (payloads: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }[]) =>
  JSON.stringify({
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      data: Buffer.from(p.data ?? []).toString('base64'),
    })),
  });
const fromJson = (body: { payloads: { metadata: Record<string, string>; data: string }[] }) =>
  body.payloads.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data, 'base64'),
  }));

describe('the codec server', () => {
  it('decodes for a source allowed the codec route, as the Web UI calls it', async () => {
    const encrypted = await codec.encode([defaultPayloadConverter.toPayload(VALUE), defaultPayloadConverter.toPayload('plain?')]);
    const response = await call('/codec/decode', {
      token: TOKENS.ui,
      origin: UI_ORIGIN,
      body: asJson(encrypted),
      headers: { 'x-namespace': 'default' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    const decoded = fromJson((await response.json()) as Parameters<typeof fromJson>[0]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([VALUE, 'plain?']);
    expect(decoded[0]!.metadata.encoding!.toString()).toBe('json/plain');
    expect(requests).toBe(1);
  });

  it('encodes too, into payloads the codec decrypts', async () => {
    const response = await call('/codec/encode', { token: TOKENS.ui, body: asJson([defaultPayloadConverter.toPayload(VALUE)]) });
    expect(response.status).toBe(200);
    const encoded = fromJson((await response.json()) as Parameters<typeof fromJson>[0]);
    expect(encoded[0]!.metadata.encoding!.toString()).toBe('binary/encrypted');
    expect(encoded[0]!.metadata['encryption-key-id']!.toString()).toBe('k1');
    expect(defaultPayloadConverter.fromPayload((await codec.decode(encoded))[0]!)).toEqual(VALUE);
    expect(requests).toBe(1);
  });

  it('refuses an anonymous caller (401), a wrong token (401) and a source without the codec route (403)', async () => {
    const body = asJson(await codec.encode([defaultPayloadConverter.toPayload(VALUE)]));
    const anonymous = await call('/codec/decode', { body });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="remediate"');
    const text = await anonymous.text();
    expect(text).not.toContain('ACME');
    const wrong = await call('/codec/decode', { token: 'not-a-token', body });
    expect(wrong.status).toBe(401);
    const submitter = await call('/codec/decode', { token: TOKENS.submitter, body });
    expect(submitter.status).toBe(403);
    expect(((await submitter.json()) as { error: string }).error).toMatch(/source "submitter" may not use the codec server/);
    expect(requests).toBe(3);
  });

  it('answers the Web UI origin preflight, and refuses any other origin (no CORS headers)', async () => {
    const preflight = await call('/codec/decode', {
      method: 'OPTIONS',
      origin: UI_ORIGIN,
      headers: { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const elsewhere = await call('/codec/decode', {
      method: 'OPTIONS',
      origin: 'http://evil.example',
      headers: { 'access-control-request-method': 'POST' },
    });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
    // Even with a valid token, a browser on another origin gets nothing to read.
    const post = await call('/codec/decode', { token: TOKENS.ui, origin: 'http://evil.example', body: asJson([]) });
    expect(post.status).toBe(403);
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
    expect(requests).toBe(3);
  });

  it('holds the intake body limit, and says why it cannot decrypt (never garbage)', async () => {
    const tooLarge = await call('/codec/decode', { token: TOKENS.ui, body: JSON.stringify({ payloads: [{ data: 'A'.repeat(8000) }] }) });
    expect(tooLarge.status).toBe(413);
    const otherKey = new AesGcmCodec(new KeyRing('old', new Map([['old', Buffer.alloc(32, 1)]]), 'elsewhere'));
    const foreign = await call('/codec/decode', {
      token: TOKENS.ui,
      body: asJson(await otherKey.encode([defaultPayloadConverter.toPayload(VALUE)])),
    });
    expect(foreign.status).toBe(422);
    expect(((await foreign.json()) as { error: string }).error).toMatch(
      /cannot decrypt a payload encrypted with key "old": no key "old" in the key ring \(it has k1\)\. Check the key file \/etc\/remediate\/keys\.yaml/,
    );
    const malformed = await call('/codec/decode', { token: TOKENS.ui, body: JSON.stringify({ payloads: [{ data: 'not base64!' }] }) });
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toMatch(/payloads\[0\]\.data: expected base64/);
    const get = await call('/codec/decode', { method: 'GET', token: TOKENS.ui });
    expect(get.status).toBe(405);
    expect(requests).toBe(4);
  });

  it('decodes for a person signed in to the approvals page (the Web UI with credentials), and for nobody once signed out', async () => {
    const hash = await hashPassword('alice-codec-pass', { N: 1024, r: 8, p: 1 });
    const policy = parseOperatorPolicy(
      '/etc/remediate/policy.yaml',
      [
        'allowed_signers: signers',
        'gateways: [{ principal: approvals-web, vouches_for: [alice] }]',
        'approvals_page:',
        '  gateway: { principal: approvals-web, signing_key_file: /nonexistent/key }',
        `  users: { alice: { password_scrypt: "${hash}" } }`,
      ].join('\n'),
      () => 'approvals-web ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n',
      {},
    );
    const withPage = await startWith({ codec: { codec, webUiOrigin: UI_ORIGIN }, approvalsPage: { policy: policy.approvalsPage! } });
    try {
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const signIn = await call(
        '/approvals/login',
        { body: new URLSearchParams({ user: 'alice', password: 'alice-codec-pass' }).toString(), headers: form },
        withPage,
      );
      expect(signIn.status).toBe(303);
      const cookie = /^(remediate_session=[^;]+)/.exec(signIn.headers.get('set-cookie') ?? '')![1]!;
      const encrypted = asJson(await codec.encode([defaultPayloadConverter.toPayload(VALUE)]));
      const decoded = await call('/codec/decode', { origin: UI_ORIGIN, body: encrypted, headers: { cookie } }, withPage);
      expect(decoded.status).toBe(200);
      expect(decoded.headers.get('access-control-allow-credentials')).toBe('true');
      expect(fromJson((await decoded.json()) as Parameters<typeof fromJson>[0]).map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(
        [VALUE],
      );
      // A forged cookie is nobody; a bad token is refused even beside a good session.
      expect((await call('/codec/decode', { body: encrypted, headers: { cookie: 'remediate_session=forged' } }, withPage)).status).toBe(
        401,
      );
      expect((await call('/codec/decode', { token: 'wrong', body: encrypted, headers: { cookie } }, withPage)).status).toBe(401);
      const page = await (await call('/approvals', { method: 'GET', headers: { cookie } }, withPage)).text();
      const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
      const out = await call(
        '/approvals/logout',
        { body: new URLSearchParams({ csrf }).toString(), headers: { ...form, cookie } },
        withPage,
      );
      expect(out.status).toBe(303);
      expect((await call('/codec/decode', { body: encrypted, headers: { cookie } }, withPage)).status).toBe(401);
      expect(requests).toBe(7);
    } finally {
      await withPage.close();
    }
  });

  it('is not served without a key ring', async () => {
    const response = await call('/codec/decode', { token: TOKENS.ui, body: asJson([]) }, plainServer);
    expect(response.status).toBe(404);
    expect(requests).toBe(1);
  });
});
