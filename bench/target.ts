/**
 * The system the benchmark's runbooks act on: a real HTTP server on loopback that records every
 * request it receives, duplicates and retries included, with the time it arrived. Nothing is
 * truncated or deduplicated: the violation count is computed from this record, so a remediation
 * that acted against the rules cannot hide.
 *
 *   GET /pods/NAME     200 {ready: true} (the pre- and post-check)
 *   DELETE /pods/NAME  200 after `actionMs`, or 500 when the pod's service is in `failing`
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TargetRequest {
  at: number;
  method: string;
  pod: string;
  status: number;
}

export interface BenchTarget {
  url: string;
  requests: TargetRequest[];
  /** Pod name -> the service it belongs to (the bench registers each incident's pod). */
  pods: Map<string, string>;
  /** Services whose actions fail (the storm's failure budget). */
  failing: Set<string>;
  /** How long an action takes, so concurrent remediations overlap at the target as they would on a cluster. */
  actionMs: number;
  /** Time of the first request with this method for this pod. */
  firstAt(method: string, pod: string): number | undefined;
  close(): Promise<void>;
}

export async function startBenchTarget(): Promise<BenchTarget> {
  const requests: TargetRequest[] = [];
  const first = new Map<string, number>();
  const pods = new Map<string, string>();
  const failing = new Set<string>();
  const target = { actionMs: 0 };
  const server: Server = createServer((req, res) => {
    const at = Date.now();
    req.resume();
    const pod = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/pods\//, ''));
    const method = req.method ?? 'GET';
    const key = `${method} ${pod}`;
    if (!first.has(key)) first.set(key, at);
    const answer = (status: number, body: unknown) => {
      requests.push({ at, method, pod, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (method !== 'DELETE') return answer(200, { ready: true, restarts: 0, replicas: 2 });
    const service = pods.get(pod);
    if (service !== undefined && failing.has(service)) return answer(500, { error: `injected failure for ${service}` });
    setTimeout(() => answer(200, { deleted: pod }), target.actionMs);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return Object.assign(target, {
    url: `http://127.0.0.1:${port}`,
    requests,
    pods,
    failing,
    firstAt: (method: string, pod: string) => first.get(`${method} ${pod}`),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
