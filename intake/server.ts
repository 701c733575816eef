/**
 * `remediate serve`'s HTTP service (docs/intake.md): loopback by default, TLS optional. Each request
 * passes, in order: the route table (404/405), the source's bearer token (401), the source's routes
 * (403), its rate (429), the content type (415), the body limit (413, reading stops there), JSON
 * syntax (400); only then does the route's handler see it. Routes that authenticate on their own
 * (the approvals page's sessions, Slack's request signatures) answer their requests themselves.
 * Every request is counted by source and result.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { authenticate } from './auth';
import { readBodyWithin, SourceRateLimiter } from './limits';
import type { IntakeResponse, RouteHandler } from './types';
import type { IntakeRouteName, IntakeSourcePolicy } from '../worker/intake-policy';

/** What a request ended as, for counting. */
export type IntakeResult =
  | 'accepted'
  | 'ok'
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'unsupported_media_type'
  | 'too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'error';

/** Counts every request; helper H's telemetry backs it with a Prometheus counter. */
export interface IntakeEvents {
  received(source: string, route: string, result: IntakeResult): void;
}

export const NO_INTAKE_EVENTS: IntakeEvents = { received: () => undefined };
/** The source a request is counted under before (or without) authentication. */
export const UNAUTHENTICATED = '(unauthenticated)';

export interface IntakeRoute {
  name: IntakeRouteName;
  method: 'POST';
  path: string;
  handler: RouteHandler;
}

export type Readiness = { ready: true } | { ready: false; reason: string };

/**
 * A route that authenticates its requests itself, without a bearer token, and answers them itself:
 * the approvals page (a signed-in session) and Slack's interactions (a signed request). It reads any
 * body with `readBodyWithin` and `maxBodyBytes`.
 */
export interface SelfAuthenticatingRoute {
  /** Counted under this route name. */
  name: string;
  matches(path: string): boolean;
  /** Answers the request; says what it ended as, and who it authenticated (a user, a Slack workspace). */
  handle(request: IncomingMessage, response: ServerResponse): Promise<{ result: IntakeResult; source?: string }>;
}

export interface IntakeServerOptions {
  host: string;
  port: number;
  tls?: { cert: Buffer | string; key: Buffer | string };
  maxBodyBytes: number;
  sources: readonly IntakeSourcePolicy[];
  /** The authenticated POST routes (the incidents route; the Alertmanager route once merged). */
  routes: readonly IntakeRoute[];
  /** `POST /v1/alertmanager`, added to `routes` (helper G's alertmanagerRoute). */
  alertmanager?: RouteHandler;
  /** Checked before the bearer-token routes. */
  selfAuthenticating?: readonly SelfAuthenticatingRoute[];
  /** `GET /readyz`: the Temporal connection and the guardrail coordinator. */
  readiness: () => Promise<Readiness>;
  /** `GET /metrics` (helper H's renderMetrics); 404 without it. */
  metrics?: () => Promise<{ contentType: string; text: string }>;
  events?: IntakeEvents;
  now?: () => number;
}

export interface IntakeServer {
  url: string;
  close(): Promise<void>;
}

interface Answer extends IntakeResponse {
  result: IntakeResult;
  /** Stop the connection after answering: the body was not (wholly) read. */
  close?: boolean;
}

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]*\+)?json\s*(?:;.*)?$/i;

export async function startIntakeServer(options: IntakeServerOptions): Promise<IntakeServer> {
  const routes = [...options.routes];
  if (options.alertmanager) routes.push({ name: 'alertmanager', method: 'POST', path: '/v1/alertmanager', handler: options.alertmanager });
  const context: Context = { options, routes, limiter: new SourceRateLimiter(options.now), events: options.events ?? NO_INTAKE_EVENTS };
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    void handle(context, request, response);
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener)
    : createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface Context {
  options: IntakeServerOptions;
  routes: IntakeRoute[];
  limiter: SourceRateLimiter;
  events: IntakeEvents;
}

async function handle(context: Context, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  const own = context.options.selfAuthenticating?.find((r) => r.matches(path));
  if (own) return await handleOwn(context, own, request, response);
  let counted = { source: UNAUTHENTICATED, route: path };
  let answer: Answer;
  try {
    const routed = await route(context, request, path);
    counted = { source: routed.source ?? UNAUTHENTICATED, route: routed.route };
    answer = routed.answer;
  } catch (error) {
    console.error(`[serve] ${request.method} ${path}: ${error instanceof Error ? error.message : String(error)}`);
    answer = { status: 500, body: { error: 'internal error; see the server log' }, result: 'error' };
  }
  context.events.received(counted.source, counted.route, answer.result);
  send(response, answer);
}

async function handleOwn(context: Context, own: SelfAuthenticatingRoute, request: IncomingMessage, response: ServerResponse) {
  let outcome: { result: IntakeResult; source?: string };
  try {
    outcome = await own.handle(request, response);
  } catch (error) {
    console.error(`[serve] ${request.method} ${own.name}: ${error instanceof Error ? error.message : String(error)}`);
    if (!response.headersSent) send(response, { status: 500, body: { error: 'internal error; see the server log' }, result: 'error' });
    else response.destroy();
    outcome = { result: 'error' };
  }
  context.events.received(outcome.source ?? UNAUTHENTICATED, own.name, outcome.result);
}

type Routed = { source?: string; route: string; answer: Answer };

async function route(context: Context, request: IncomingMessage, path: string): Promise<Routed> {
  const method = request.method ?? 'GET';
  const open = openRoute(path);
  if (open) {
    if (method !== 'GET' && method !== 'HEAD') return { route: open, answer: notAllowed('GET') };
    return { route: open, answer: await openAnswer(context.options, open) };
  }
  const match = context.routes.find((r) => r.path === path);
  if (!match) return { route: 'unknown', answer: { status: 404, body: { error: `no route ${path}` }, result: 'not_found', close: true } };
  if (method !== match.method) return { route: match.name, answer: notAllowed(match.method) };
  return await authenticated(context, request, match);
}

function openRoute(path: string): 'healthz' | 'readyz' | 'metrics' | undefined {
  if (path === '/healthz') return 'healthz';
  if (path === '/readyz') return 'readyz';
  if (path === '/metrics') return 'metrics';
  return undefined;
}

async function openAnswer(options: IntakeServerOptions, route: 'healthz' | 'readyz' | 'metrics'): Promise<Answer> {
  switch (route) {
    case 'healthz':
      return { status: 200, body: { status: 'ok' }, result: 'ok' };
    case 'readyz': {
      const readiness = await options.readiness();
      return readiness.ready
        ? { status: 200, body: { ready: true }, result: 'ok' }
        : { status: 503, body: { ready: false, reason: readiness.reason }, result: 'unavailable' };
    }
    case 'metrics': {
      if (!options.metrics) return { status: 404, body: { error: 'metrics are not enabled' }, result: 'not_found' };
      const { contentType, text } = await options.metrics();
      return { status: 200, body: text, headers: { 'content-type': contentType }, result: 'ok' };
    }
  }
}

async function authenticated(context: Context, request: IncomingMessage, match: IntakeRoute): Promise<Routed> {
  const refuse = (answer: Omit<Answer, 'close'>, source?: string): Routed => ({
    route: match.name,
    ...(source === undefined ? {} : { source }),
    answer: { ...answer, close: true },
  });
  const auth = authenticate(request.headers.authorization, context.options.sources);
  if (auth.kind !== 'ok') {
    const error = auth.kind === 'missing' ? 'a bearer token is required' : 'the bearer token is not valid';
    const challenge = auth.kind === 'missing' ? 'Bearer realm="remediate"' : 'Bearer realm="remediate", error="invalid_token"';
    return refuse({ status: 401, body: { error }, headers: { 'www-authenticate': challenge }, result: 'unauthorized' });
  }
  const source = auth.source;
  if (!source.routes.has(match.name))
    return refuse({ status: 403, body: { error: `source "${source.name}" may not use ${match.path}` }, result: 'forbidden' }, source.name);
  const retryAfter = context.limiter.take(source.name, source.ratePerMinute);
  if (retryAfter !== undefined) {
    const body = { error: `source "${source.name}" is over its rate of ${source.ratePerMinute} requests a minute` };
    return refuse({ status: 429, body, headers: { 'retry-after': String(retryAfter) }, result: 'rate_limited' }, source.name);
  }
  const type = request.headers['content-type'];
  if (type === undefined || !JSON_TYPE.test(type))
    return refuse(
      { status: 415, body: { error: 'expected Content-Type: application/json' }, result: 'unsupported_media_type' },
      source.name,
    );
  const read = await readBodyWithin(request, context.options.maxBodyBytes);
  if (read.kind !== 'ok') {
    const body = { error: `the body is larger than ${context.options.maxBodyBytes} bytes` };
    return refuse({ status: 413, body, result: read.kind === 'too_large' ? 'too_large' : 'invalid' }, source.name);
  }
  const parsed = parseJson(read.body);
  if (!parsed.ok)
    return { route: match.name, source: source.name, answer: { status: 400, body: { error: parsed.error }, result: 'invalid' } };
  const response = await match.handler({ source: source.name, body: parsed.value, rawBody: read.body });
  return { route: match.name, source: source.name, answer: { ...response, result: resultOf(response.status) } };
}

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) as unknown };
  } catch (error) {
    return { ok: false, error: `invalid JSON: ${(error as Error).message}` };
  }
}

function notAllowed(allow: string): Answer {
  return {
    status: 405,
    body: { error: `method not allowed; use ${allow}` },
    headers: { allow },
    result: 'method_not_allowed',
    close: true,
  };
}

function resultOf(status: number): IntakeResult {
  if (status === 202) return 'accepted';
  if (status < 300) return 'ok';
  if (status === 400 || status === 422) return 'invalid';
  if (status === 503) return 'unavailable';
  return 'error';
}

function send(response: ServerResponse, answer: Answer): void {
  const text = typeof answer.body === 'string' ? answer.body : `${JSON.stringify(answer.body)}\n`;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...answer.headers };
  // The body was not (wholly) read: close rather than let the client keep sending on this connection.
  if (answer.close) headers.connection = 'close';
  response.writeHead(answer.status, headers);
  response.end(text);
}
