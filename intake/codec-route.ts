/**
 * The codec server of `remediate serve` (docs/encryption.md): POST /codec/encode and /codec/decode
 * as Temporal's codec-server protocol has them, so the Web UI and `temporal --codec-endpoint` show
 * decrypted payloads. The body and the answer are `{"payloads": [{"metadata": {KEY: BASE64},
 * "data": BASE64}]}` (proto3 JSON: every bytes field base64).
 *
 * Only an intake source allowed the `codec` route may use it (a bearer token: 401 without, 403
 * without the route): decoding hands out plaintext. CORS answers only the Web UI's origin (the
 * policy's web_ui_url); with none configured, no CORS headers at all, and a browser cannot call it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { isUserFacingError } from '../dsl/user-facing-error';
import type { IntakeSourcePolicy } from '../worker/intake-policy';
import { authenticate } from './auth';
import { readBodyWithin } from './limits';
import type { IntakeResult, SelfAuthenticatingRoute } from './server';

export const CODEC_PATH = '/codec';
/** Payloads in one request: the Web UI sends one event's worth at a time. */
const MAX_PAYLOADS = 1000;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const JSON_TYPE = /^application\/(?:[a-z0-9.+-]*\+)?json\s*(?:;.*)?$/i;
/** What the Web UI and the Temporal CLI send (the UI: Content-Type and X-Namespace; Authorization when configured). */
const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Namespace';

export interface CodecRouteOptions {
  codec: PayloadCodec;
  sources: readonly IntakeSourcePolicy[];
  maxBodyBytes: number;
  /** The Web UI's origin (scheme://host:port), the only one CORS allows; none: no CORS. */
  webUiOrigin?: string;
  /**
   * The principal of the approvals page session a request without Authorization carries, if any: a
   * person signed in there decodes from the Web UI with "include credentials" on (approvals/web).
   */
  signedIn?: (request: IncomingMessage) => string | undefined;
}

type Operation = 'encode' | 'decode';
type Outcome = { result: IntakeResult; source?: string };

export function codecRoute(options: CodecRouteOptions): SelfAuthenticatingRoute {
  return {
    name: 'codec',
    matches: (path) => path === `${CODEC_PATH}/encode` || path === `${CODEC_PATH}/decode`,
    handle: async (request, response) => await handleCodec(options, request, response),
  };
}

async function handleCodec(options: CodecRouteOptions, request: IncomingMessage, response: ServerResponse): Promise<Outcome> {
  const path = (request.url ?? '').split('?')[0] ?? '';
  const operation: Operation = path.endsWith('/encode') ? 'encode' : 'decode';
  const origin = request.headers.origin;
  const allowed = origin !== undefined && options.webUiOrigin !== undefined && origin === options.webUiOrigin;
  const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      ...(allowed ? corsHeaders(origin) : {}),
      ...(status >= 400 ? { connection: 'close' } : {}),
      ...headers,
    });
    response.end(`${JSON.stringify(body)}\n`);
  };
  // A browser on another origin is refused outright, preflight or not: no CORS headers, no answer to read.
  if (origin !== undefined && !allowed) {
    reply(403, { error: `origin ${origin} may not use the codec server` });
    return { result: 'forbidden' };
  }
  if (request.method === 'OPTIONS') {
    if (!allowed) {
      reply(403, { error: 'a CORS preflight needs the Web UI origin' });
      return { result: 'forbidden' };
    }
    response.writeHead(204, { ...corsHeaders(origin), 'access-control-max-age': '600' });
    response.end();
    return { result: 'ok' };
  }
  if (request.method !== 'POST') {
    reply(405, { error: 'method not allowed; use POST' }, { allow: 'POST, OPTIONS' });
    return { result: 'method_not_allowed' };
  }
  const caller = authorise(options, request);
  if (caller.kind === 'refused') {
    reply(caller.status, { error: caller.error }, caller.headers);
    return { result: caller.status === 401 ? 'unauthorized' : 'forbidden', ...(caller.source ? { source: caller.source } : {}) };
  }
  const source = caller.source;
  const type = request.headers['content-type'];
  if (type === undefined || !JSON_TYPE.test(type)) {
    reply(415, { error: 'expected Content-Type: application/json' });
    return { result: 'unsupported_media_type', source };
  }
  const read = await readBodyWithin(request, options.maxBodyBytes);
  if (read.kind !== 'ok') {
    reply(413, { error: `the body is larger than ${options.maxBodyBytes} bytes` });
    return { result: read.kind === 'too_large' ? 'too_large' : 'invalid', source };
  }
  const parsed = parsePayloads(read.body);
  if (!parsed.ok) {
    reply(400, { error: parsed.error });
    return { result: 'invalid', source };
  }
  let payloads: Payload[];
  try {
    payloads = await options.codec[operation](parsed.payloads);
  } catch (error) {
    // A key problem is the operator's to see (it names the key id, never a key); anything else is a bug.
    if (!isUserFacingError(error)) throw error;
    reply(422, { error: error.message });
    return { result: 'invalid', source };
  }
  reply(200, { payloads: payloads.map(toJson) });
  return { result: 'ok', source };
}

type Caller =
  { kind: 'ok'; source: string } | { kind: 'refused'; status: 401 | 403; error: string; headers?: Record<string, string>; source?: string };

/** A bearer token of a source with the codec route, or (with no Authorization at all) an approvals page session. */
function authorise(options: CodecRouteOptions, request: IncomingMessage): Caller {
  const header = request.headers.authorization;
  if (header === undefined) {
    const principal = options.signedIn?.(request);
    if (principal !== undefined) return { kind: 'ok', source: `approvals-page:${principal}` };
  }
  const auth = authenticate(header, options.sources);
  if (auth.kind !== 'ok') {
    const missing = auth.kind === 'missing';
    return {
      kind: 'refused',
      status: 401,
      error: missing ? 'a bearer token (or a signed-in approvals page session) is required' : 'the bearer token is not valid',
      headers: { 'www-authenticate': missing ? 'Bearer realm="remediate"' : 'Bearer realm="remediate", error="invalid_token"' },
    };
  }
  const source = auth.source.name;
  if (!auth.source.routes.has('codec'))
    return {
      kind: 'refused',
      status: 403,
      error: `source "${source}" may not use the codec server (its routes do not include codec)`,
      source,
    };
  return { kind: 'ok', source };
}

function corsHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': ALLOWED_HEADERS,
    'access-control-allow-credentials': 'true',
    vary: 'Origin',
  };
}

type Parsed = { ok: true; payloads: Payload[] } | { ok: false; error: string };

/** `{payloads: [...]}`, every bytes field strict base64; anything else is a 400 naming where. */
export function parsePayloads(body: Buffer): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return { ok: false, error: `invalid JSON: ${(error as Error).message}` };
  }
  const list = isObject(value) ? Reflect.get(value, 'payloads') : undefined;
  if (!Array.isArray(list)) return { ok: false, error: 'expected {"payloads": [...]}' };
  if (list.length > MAX_PAYLOADS) return { ok: false, error: `at most ${MAX_PAYLOADS} payloads a request` };
  const payloads: Payload[] = [];
  for (const [index, item] of list.entries()) {
    const where = `payloads[${index}]`;
    if (!isObject(item)) return { ok: false, error: `${where}: expected an object` };
    const metadata: Record<string, Uint8Array> = Object.create(null) as Record<string, Uint8Array>;
    const rawMetadata: unknown = Reflect.get(item, 'metadata') ?? {};
    if (!isObject(rawMetadata)) return { ok: false, error: `${where}.metadata: expected an object of base64 values` };
    for (const [key, text] of Object.entries(rawMetadata)) {
      if (typeof text !== 'string' || !BASE64.test(text))
        return { ok: false, error: `${where}.metadata.${JSON.stringify(key).slice(0, 80)}: expected base64` };
      metadata[key] = Buffer.from(text, 'base64');
    }
    const data: unknown = Reflect.get(item, 'data') ?? '';
    if (typeof data !== 'string' || !BASE64.test(data)) return { ok: false, error: `${where}.data: expected base64` };
    payloads.push({ metadata, data: Buffer.from(data, 'base64') });
  }
  return { ok: true, payloads };
}

function toJson(payload: Payload): { metadata: Record<string, string>; data: string } {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) if (value) metadata[key] = Buffer.from(value).toString('base64');
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
