/**
 * A simulated cluster: a real HTTP server on loopback that stands in for the system a runbook acts
 * on, where no real one can run (the workflow tests, the benchmarks). It keeps pods and
 * deployments in memory, records every request, and can be told to fail, so what the engine really
 * sent can be observed.
 *
 *   GET /pods/NAME                  the pod                  DELETE /pods/NAME   replaces it
 *   GET /deployments/NAME           the deployment           PUT .../scale       {replicas}
 *   POST /deployments/NAME/undo     back to the revision before (as `kubectl rollout undo`: a second undo returns)
 *
 * A deployment's error rate is what the test says its live revision has (`errorRateByRevision`),
 * never a value the cluster makes up: an undo yields the older revision's rate, good or bad.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
  idempotencyKey: string | undefined;
  /** The Authorization header, as the target received it. */
  authorization: string | undefined;
  /** The query string, as received (`?a=b`, or ''). */
  search: string;
}

export interface Pod {
  ready: boolean;
  restarts: number;
  replicas: number;
}

export interface Deployment {
  replicas: number;
  /** The live revision. */
  revision: number;
  /** The revision that was live before the last undo; an undo returns to it (without one: revision - 1). */
  previousRevision?: number;
  /** The truth the test sets: each revision's error rate. GET reports the live one's as `errorRate` (absent if unset). */
  errorRateByRevision: Record<number, number>;
}

export interface ClusterState {
  pods: Record<string, Pod>;
  deployments: Record<string, Deployment>;
  /** Paths (METHOD /path) that answer 500. */
  failing: Set<string>;
  /** When false, a deleted pod never comes back ready (verification fails). */
  podsRecover: boolean;
  /** How long a replacement pod takes to become ready, as a real one would. */
  podStartMs: number;
  /** When true, scale requests answer 200 but change nothing (verification fails). */
  ignoreScale: boolean;
}

export interface SimulatedCluster {
  url: string;
  state: ClusterState;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** The deployment as its API reports it: the live revision's error rate, if the test gave one. */
function observed(deployment: Deployment) {
  const { errorRateByRevision, ...rest } = deployment;
  const errorRate = errorRateByRevision[deployment.revision];
  return errorRate === undefined ? rest : { ...rest, errorRate };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function startSimulatedCluster(initial: Partial<ClusterState> = {}): Promise<SimulatedCluster> {
  const state: ClusterState = {
    pods: {},
    deployments: {},
    failing: new Set(),
    podsRecover: true,
    podStartMs: 0,
    ignoreScale: false,
    ...initial,
  };
  const requests: RecordedRequest[] = [];
  // When each replacement pod becomes ready (only while it is starting).
  const readyAt = new Map<string, number>();
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    requests.push({
      method: req.method ?? 'GET',
      path,
      body,
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      authorization: req.headers.authorization,
      search: url.search,
    });
    const reply = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (state.failing.has(`${req.method} ${path}`)) return reply(500, { error: 'injected failure' });
    const [, kind, name, verb] = path.split('/');
    if (kind === 'pods' && name) {
      if (req.method === 'DELETE') {
        // Deleting a pod replaces it: a new one that is ready once started, if the fault is gone.
        const starting = state.podsRecover && state.podStartMs > 0;
        state.pods[name] = { ready: state.podsRecover && !starting, restarts: 0, replicas: state.pods[name]?.replicas ?? 1 };
        if (starting) readyAt.set(name, Date.now() + state.podStartMs);
        return reply(200, { deleted: name });
      }
      const pod = state.pods[name];
      if (pod && readyAt.has(name) && Date.now() >= readyAt.get(name)!) {
        pod.ready = true;
        readyAt.delete(name);
      }
      return pod ? reply(200, pod) : reply(404, { error: `no pod ${name}` });
    }
    if (kind === 'deployments' && name) {
      const deployment = state.deployments[name];
      if (!deployment) return reply(404, { error: `no deployment ${name}` });
      if (req.method === 'PUT' && verb === 'scale') {
        if (!state.ignoreScale) deployment.replicas = Number((body as { replicas: unknown }).replicas);
        return reply(200, observed(deployment));
      }
      if (req.method === 'POST' && verb === 'undo') {
        const from = deployment.revision;
        deployment.revision = deployment.previousRevision ?? Math.max(1, from - 1);
        deployment.previousRevision = from;
        return reply(200, observed(deployment));
      }
      return reply(200, observed(deployment));
    }
    reply(404, { error: `unknown path ${path}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    state,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
