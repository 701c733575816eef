/**
 * A real HTTP server on loopback standing in for the system a runbook acts on (a Kubernetes
 * cluster cannot run in this test; the Kubernetes executor is tested against a real API server
 * separately). It keeps pods and deployments in memory, records every request, and can be told
 * to fail, so tests observe what the engine really sent.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
  idempotencyKey: string | undefined;
}

export interface TargetState {
  pods: Record<string, { ready: boolean; restarts: number; replicas: number }>;
  deployments: Record<string, { replicas: number; revision: number; errorRate: number }>;
  /** Paths (METHOD /path) that answer 500. */
  failing: Set<string>;
  /** When false, a deleted pod never comes back ready (verification fails). */
  podsRecover: boolean;
  /** When true, scale requests answer 200 but change nothing (verification fails). */
  ignoreScale: boolean;
}

export interface TargetServer {
  url: string;
  state: TargetState;
  requests: RecordedRequest[];
  close(): Promise<void>;
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

export async function startTargetServer(initial: Partial<TargetState> = {}): Promise<TargetServer> {
  const state: TargetState = { pods: {}, deployments: {}, failing: new Set(), podsRecover: true, ignoreScale: false, ...initial };
  const requests: RecordedRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push({ method: req.method ?? 'GET', path, body, idempotencyKey: req.headers['idempotency-key'] as string | undefined });
    const reply = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (state.failing.has(`${req.method} ${path}`)) return reply(500, { error: 'injected failure' });
    const [, kind, name, verb] = path.split('/');
    if (kind === 'pods' && name) {
      if (req.method === 'DELETE') {
        // Deleting a pod replaces it: a new one that is ready if the fault is gone.
        state.pods[name] = { ready: state.podsRecover, restarts: 0, replicas: state.pods[name]?.replicas ?? 1 };
        return reply(200, { deleted: name });
      }
      const pod = state.pods[name];
      return pod ? reply(200, pod) : reply(404, { error: `no pod ${name}` });
    }
    if (kind === 'deployments' && name) {
      const deployment = state.deployments[name];
      if (!deployment) return reply(404, { error: `no deployment ${name}` });
      if (req.method === 'PUT' && verb === 'scale') {
        if (!state.ignoreScale) deployment.replicas = Number((body as { replicas: unknown }).replicas);
        return reply(200, deployment);
      }
      if (req.method === 'POST' && verb === 'undo') {
        deployment.revision = Math.max(1, deployment.revision - 1);
        deployment.errorRate = 0.01;
        return reply(200, deployment);
      }
      return reply(200, deployment);
    }
    reply(404, { error: `unknown path ${path}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
