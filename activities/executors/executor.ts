import type { KindResult, ResolvedExecutor } from '../../dsl/types';
import type { KubernetesConnection } from '../../kubernetes/connection';
import type { PrometheusServers } from '../prometheus-servers';

/** What every executor gets besides its spec; defaults already applied by `runExecutor`. */
export interface ExecutorContext {
  timeoutMs: number;
  /** Stable across retries of one step (workflow id + step), so the target can dedupe. */
  idempotencyKey?: string;
  /** Aborted on Temporal activity cancellation: the executor stops its work and rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Bound on each captured output (stdout, stderr, response body). */
  maxOutputBytes: number;
  /** exec only: time between SIGTERM and SIGKILL when a process must be stopped. */
  killGraceMs: number;
  /** kubernetes only: the worker's cluster connection, made on first use; absent when none is configured. */
  kubernetes?: () => KubernetesConnection;
  /** prometheus only: the operator policy's servers, by name; absent or empty when none is configured. */
  prometheus?: PrometheusServers;
}

/** The result variant an executor of spec `S` returns. */
export type ResultOf<S extends ResolvedExecutor> = KindResult<S['executor']>;

/**
 * One way of running a step. Failures of the target (non-zero exit, 5xx, refused
 * connection, timeout) are results with `ok: false`, never exceptions: the
 * workflow decides what a failed step means. Only cancellation rejects.
 */
export interface Executor<S extends ResolvedExecutor> {
  run(spec: S, ctx: ExecutorContext): Promise<ResultOf<S>>;
}
