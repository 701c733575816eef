/** Calling the API server: typed errors for client-node's exceptions, and raw JSON where typed models would lose fields. */
import { ApiException } from '@kubernetes/client-node';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubernetesConnection } from './connection';

/**
 * An error's message plus its cause's (client-node's fetch hides ECONNREFUSED in `cause`); the same
 * rule as activities/executors/util.ts, kept here because the adapter depends on nothing in activities/.
 */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause !== undefined && cause !== error.message ? `${error.message}: ${cause}` : error.message;
}

/** The API server refused or failed a request; `status` 0 means no answer (connection refused, timeout, bad config). */
export class KubernetesApiError extends Error {
  override readonly name = 'KubernetesApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function isStatus(error: unknown, ...statuses: number[]): error is KubernetesApiError {
  return error instanceof KubernetesApiError && statuses.includes(error.status);
}

/** Runs a client-node call; its failures become KubernetesApiError with the server's own message. */
export async function api<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof KubernetesApiError) throw error;
    if (error instanceof ApiException)
      throw new KubernetesApiError(error.code, `${what}: ${statusMessage(error.body) ?? `HTTP ${error.code}`}`);
    throw new KubernetesApiError(0, `${what}: ${describeError(error)}`);
  }
}

/** The `message` of a Kubernetes Status body, which client-node hands over as text or parsed. */
function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim() || undefined;
    }
  }
  const message = (parsed as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : undefined;
}

/**
 * A request whose JSON is used as is. client-node's typed models are generated for one API version and
 * drop fields they do not know, so a pod template read through them and written back could lose fields
 * a newer API server has; rollout undo copies templates, so it reads and patches them raw.
 */
export async function requestJson(
  connection: KubernetesConnection,
  what: string,
  request: { method: 'GET' | 'PATCH'; path: string; body?: unknown; contentType?: string },
): Promise<unknown> {
  const cluster = connection.kubeConfig.getCurrentCluster();
  if (!cluster) throw new KubernetesApiError(0, `${what}: the kubeconfig has no current cluster`);
  const url = new URL(request.path, cluster.server);
  const options: RequestOptions = { method: request.method, headers: { accept: 'application/json' } };
  await connection.kubeConfig.applyToHTTPSOptions(options);
  const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
  if (payload !== undefined) options.headers = { ...options.headers, 'content-type': request.contentType ?? 'application/json' };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const noAnswer = (error: unknown) => new KubernetesApiError(0, `${what}: ${describeError(error)}`);
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = send(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error) => reject(noAnswer(error)));
    });
    req.on('error', (error) => reject(noAnswer(error)));
    req.end(payload);
  });
  if (status < 200 || status >= 300) throw new KubernetesApiError(status, `${what}: ${statusMessage(text) ?? `HTTP ${status}`}`);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new KubernetesApiError(status, `${what}: the answer is not JSON (${describeError(error)})`);
  }
}
