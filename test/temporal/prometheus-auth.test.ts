/**
 * Prometheus credentials from the operator policy reach the server, and the server requires them:
 * the provisioned Prometheus runs with a web config that demands basic auth, behind a counting
 * proxy on loopback (every request seen, refused ones included); a second proxy is a Bearer gateway
 * in front of it (Prometheus itself has no Bearer users). The servers come from a real policy file
 * whose secrets sit in a file next to it and in an environment variable.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { runExecutor } from '../../activities/executors';
import { submitIncident } from '../../client/submit';
import { compileCatalogue } from '../../dsl/compile';
import type { PrometheusServers } from '../../activities/prometheus-servers';
import type { ExecutorResult } from '../../dsl/types';
import { compileOptions } from '../../worker/operator-config';
import { loadOperatorPolicy, type LoadedOperatorPolicy } from '../../worker/operator-policy';
import { startPrometheus, type PrometheusServer } from '../../toolchain/prometheus-server';
import { incident, startWorker } from '../harness/engine';
import { startMetricsExporter, type MetricsExporter } from '../../toolchain/metrics-exporter';
import { connectDevServer } from '../harness/temporal';

const USER = 'remediate';
const PASSWORD = 'remediate-test-password';
/**
 * bcrypt (cost 10) of PASSWORD, made once with golang.org/x/crypto/bcrypt, which Prometheus uses to
 * check it: Node has no bcrypt, and a fixed hash of a fixed test password is a fixture like any other.
 */
const PASSWORD_BCRYPT = '$2a$10$15CqIA5KD3aFd7lM35gsZuYTrCH4uQEBMxrmfC0WkyyB.louFR3we';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const TOKEN = 'gateway-bearer-token-for-tests';

interface Seen {
  path: string;
  authorization: string | undefined;
  status: number;
}

interface CountingProxy {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

/**
 * Forwards each request to `upstream` and answers with its reply, recording what came in and the
 * status that went out. With `bearer`, it is a gateway: a request without `Bearer <bearer>` gets
 * 401 here, an accepted one goes upstream with `upstreamAuthorization` instead.
 */
async function startProxy(upstream: string, gate?: { bearer: string; upstreamAuthorization: string }): Promise<CountingProxy> {
  const seen: Seen[] = [];
  const server: Server = createServer((request, response) => {
    const authorization = request.headers.authorization;
    const record = (status: number) => seen.push({ path: request.url ?? '', authorization, status });
    if (gate && request.url?.includes('echo_the_request')) {
      // A misbehaving upstream that quotes the request in an error the probe would otherwise keep.
      record(500);
      response.writeHead(500, { 'content-type': 'text/plain' }).end(`internal error handling a request with ${authorization ?? 'nothing'}`);
      return;
    }
    if (gate && authorization !== `Bearer ${gate.bearer}`) {
      record(401);
      response.writeHead(401, { 'content-type': 'text/plain' }).end(`unauthorized; you sent ${authorization ?? 'nothing'}`);
      return;
    }
    const headers: Record<string, string> = {};
    const forwarded = gate ? gate.upstreamAuthorization : authorization;
    if (forwarded !== undefined) headers.authorization = forwarded;
    fetch(`${upstream}${request.url ?? '/'}`, { headers }).then(
      async (reply) => {
        record(reply.status);
        response.writeHead(reply.status, { 'content-type': reply.headers.get('content-type') ?? 'text/plain' }).end(await reply.text());
      },
      () => {
        record(502);
        response.writeHead(502).end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let exporter: MetricsExporter;
let prometheus: PrometheusServer;
let front: CountingProxy;
let gateway: CountingProxy;
let dir: string;

beforeAll(async () => {
  exporter = await startMetricsExporter();
  exporter.set('remediate_auth_error_rate', 0.02, { service: 'checkout' });
  prometheus = await startPrometheus({
    binary: inject('prometheusPath'),
    targets: [exporter.target],
    scrapeIntervalSeconds: 1,
    basicAuthUsers: { [USER]: PASSWORD_BCRYPT },
    readinessAuthorization: BASIC,
  });
  front = await startProxy(prometheus.url);
  gateway = await startProxy(prometheus.url, { bearer: TOKEN, upstreamAuthorization: BASIC });
  dir = mkdtempSync(join(tmpdir(), 'remediate-prom-auth-'));
});
afterAll(async () => {
  await gateway?.close();
  await front?.close();
  await prometheus?.stop();
  await exporter?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The servers of a real policy file in `dir`: `basic` and `open` behind the counting proxy, `gateway` behind the Bearer gate. */
function policyWith(secrets: { password: string; token: string }): LoadedOperatorPolicy {
  writeFileSync(join(dir, 'gateway-token'), `${secrets.token}\n`);
  const policy = join(dir, 'policy.yaml');
  writeFileSync(
    policy,
    `prometheus:
  default: basic
  servers:
    basic:
      url: ${front.url}
      basic_auth: { username: ${USER}, password_env: TEST_PROM_PASSWORD }
    open:
      url: ${front.url}
    gateway:
      url: ${gateway.url}
      authorization: { credentials_file: ./gateway-token }
      timeout: 5s
`,
  );
  return loadOperatorPolicy(policy, { TEST_PROM_PASSWORD: secrets.password });
}

function servers(secrets: { password: string; token: string }): PrometheusServers {
  return policyWith(secrets).prometheus;
}

type PrometheusResult = Extract<ExecutorResult, { executor: 'prometheus' }>;

const SERIES = 'remediate_auth_error_rate{service="checkout"}';

async function probe(configured: PrometheusServers, server?: string, query = SERIES): Promise<PrometheusResult> {
  const spec = { executor: 'prometheus' as const, query, allowEmpty: false, ...(server ? { server } : {}) };
  const result = await runExecutor(spec, { timeoutMs: 10_000, prometheus: configured });
  if (result.executor !== 'prometheus') throw new Error('expected a prometheus result');
  return result;
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const GOOD = { password: PASSWORD, token: TOKEN };

describe('Prometheus credentials from the operator policy, on a real Prometheus that requires them', () => {
  it('the server itself refuses a query without credentials', async () => {
    expect((await fetch(`${prometheus.url}/api/v1/query?query=up`)).status).toBe(401);
    expect((await fetch(`${prometheus.url}/api/v1/query?query=up`, { headers: { authorization: BASIC } })).status).toBe(200);
  });

  it('basic auth reaches the server (the default server), and the result names the server', async () => {
    const configured = servers(GOOD);
    await eventually(async () => (await probe(configured)).ok);
    const before = front.seen.length;
    const result = await probe(configured);
    expect(result).toMatchObject({ ok: true, server: 'basic', value: '0.02', message: '' });
    expect(front.seen.slice(before)).toEqual([{ path: expect.stringContaining('/api/v1/query?'), authorization: BASIC, status: 200 }]);
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
    expect(JSON.stringify(result)).not.toContain(BASIC.slice('Basic '.length));
  });

  it('a wrong password is refused by the server: the probe fails naming the server and the status, not the secret', async () => {
    const before = front.seen.length;
    const result = await probe(servers({ ...GOOD, password: 'wrong-password-123' }));
    expect(result).toMatchObject({
      ok: false,
      server: 'basic',
      resultType: 'none',
      message: 'Prometheus server "basic" refused the credentials of the operator policy (HTTP 401)',
    });
    expect(front.seen.slice(before).map((s) => s.status)).toEqual([401]);
    expect(JSON.stringify(result)).not.toContain('wrong-password-123');
  });

  it('a server configured without credentials is refused too', async () => {
    const before = front.seen.length;
    const result = await probe(servers(GOOD), 'open');
    expect(result).toMatchObject({
      ok: false,
      server: 'open',
      message: 'Prometheus server "open" requires credentials, and the operator policy gives none (HTTP 401)',
    });
    expect(front.seen.slice(before)).toEqual([{ path: expect.any(String), authorization: undefined, status: 401 }]);
  });

  it('a Bearer token from a file next to the policy reaches the gateway, a wrong one is refused there', async () => {
    const before = gateway.seen.length;
    expect(await probe(servers(GOOD), 'gateway')).toMatchObject({ ok: true, server: 'gateway', value: '0.02' });
    const refused = await probe(servers({ ...GOOD, token: 'not-the-token' }), 'gateway');
    expect(refused).toMatchObject({ ok: false, server: 'gateway' });
    expect(refused.message).toBe('Prometheus server "gateway" refused the credentials of the operator policy (HTTP 401)');
    // The gateway echoes what it was sent; none of it reaches the result.
    expect(JSON.stringify(refused)).not.toContain('not-the-token');
    expect(gateway.seen.slice(before)).toEqual([
      { path: expect.any(String), authorization: `Bearer ${TOKEN}`, status: 200 },
      { path: expect.any(String), authorization: 'Bearer not-the-token', status: 401 },
    ]);
    // The server's timeout (5s in the policy) caps the query, and Prometheus is told so.
    expect(new URL(gateway.seen.at(-1)!.path, gateway.url).searchParams.get('timeout')).toBe('5');
  });

  it('an error text quoting the request does not carry the credential into the result', async () => {
    const result = await probe(servers(GOOD), 'gateway', 'echo_the_request');
    expect(result).toMatchObject({ ok: false, server: 'gateway' });
    expect(result.message).toBe('HTTP 500: not a Prometheus answer: internal error handling a request with [redacted]');
    expect(JSON.stringify(result)).not.toContain(TOKEN);
    expect(gateway.seen.at(-1)).toMatchObject({ authorization: `Bearer ${TOKEN}`, status: 500 });
  });

  it('an unknown server fails closed, and no request is made', async () => {
    const configured = servers(GOOD);
    const counts = [front.seen.length, gateway.seen.length];
    const result = await probe(configured, 'elsewhere');
    expect(result).toMatchObject({
      ok: false,
      server: 'elsewhere',
      message: 'Prometheus server "elsewhere" is not configured for this worker (servers: basic, open, gateway)',
    });
    expect(await probe({ servers: new Map() }, 'basic')).toMatchObject({
      ok: false,
      message: expect.stringContaining('no Prometheus is configured'),
    });
    expect([front.seen.length, gateway.seen.length]).toEqual(counts);
  });
});

const RUNBOOKS = `
runbooks:
  rollback-checkout:
    risk: LOW
    root_causes: [error_rate_spike_after_deploy]
    min_confidence: 0.5
    pre_checks:
      - id: gateway_reads
        probe: { prometheus: { server: gateway, query: 'remediate_auth_error_rate{service="checkout"}' } }
        condition: result.value > 0.0
    actions: [{ id: undo, exec: { argv: ['true'] } }]
    post_checks:
      - id: error_rate_ok
        probe: { prometheus: { query: 'remediate_auth_error_rate{service="checkout"}' } }
        condition: result.value < 0.05
        deadline: 3s
        interval: 1s
    rollback: null
`;

/** Every string of a history, payloads decoded: what anyone reading the audit trail could see. */
function historyText(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) for (const item of value) historyText(item, out);
  else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) historyText(item, out);
  return out;
}

describe('through the worker: the policy names the servers, the audit names them, never their credentials', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await connectDevServer();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  async function run(secrets: { password: string; token: string }, id: string) {
    const configured = servers(secrets);
    const compiled = compileCatalogue([{ file: 'auth.yaml', text: RUNBOOKS }], { prometheusServers: [...configured.servers.keys()] });
    if (!compiled.ok) throw new Error(compiled.errors.map((e) => e.message).join('\n'));
    const worker = await startWorker(env, { catalogue: compiled.catalogue, config: { prometheus: configured } });
    try {
      const incidentId = `INC-PROM-AUTH-${id}-${Date.now()}`;
      const { handle } = await submitIncident(env.client, {
        incident: incident({ id: incidentId, root_cause: 'error_rate_spike_after_deploy', confidence: 0.9, service: 'checkout' }),
        taskQueue: worker.taskQueue,
      });
      const result = await handle.result();
      return { result, text: historyText(await handle.fetchHistory()).join('\n') };
    } finally {
      await worker.stop();
    }
  }

  it('remediates reading both servers with their credentials; each check records its server', async () => {
    const { result, text } = await run(GOOD, 'good');
    expect(result.outcome).toBe('remediated');
    const pre = result.events.find((event) => event.step === 'gateway_reads' && event.type === 'STEP_SUCCEEDED');
    expect(pre?.data).toMatchObject({
      probe: 'PromQL remediate_auth_error_rate{service="checkout"} (server gateway)',
      result: { server: 'gateway' },
    });
    const post = result.events.find((event) => event.step === 'error_rate_ok' && event.type === 'STEP_SUCCEEDED');
    expect(post?.data).toMatchObject({ result: { server: 'basic', value: '0.02' } });
    expect(text).toContain('"server":"gateway"');
    for (const secret of [TOKEN, PASSWORD, BASIC.slice('Basic '.length)]) expect(text).not.toContain(secret);
  });

  it('a refused credential fails verification with the server and the status, and the history holds no secret', async () => {
    const wrong = 'wrong-password-in-history';
    const { result, text } = await run({ ...GOOD, password: wrong }, 'wrong');
    expect(result.outcome).not.toBe('remediated');
    const polls = result.events.filter((event) => event.step === 'error_rate_ok' && event.type === 'STEP_FAILED');
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.at(-1)?.message).toContain('Prometheus server "basic" refused the credentials of the operator policy (HTTP 401)');
    const basicWrong = Buffer.from(`${USER}:${wrong}`).toString('base64');
    for (const secret of [TOKEN, wrong, basicWrong]) expect(text).not.toContain(secret);
  });

  it('compiling the catalogue against the policy refuses a server it does not define', () => {
    const options = compileOptions(policyWith(GOOD));
    const result = compileCatalogue([{ file: 'auth.yaml', text: RUNBOOKS.replace('server: gateway', 'server: gatway') }], options);
    expect(!result.ok && result.errors.map((e) => e.message)).toEqual([
      'unknown Prometheus server "gatway" (did you mean "gateway"?); servers: basic, open, gateway',
    ]);
  });
});
