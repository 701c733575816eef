import type { ExecutorKind, ExecutorResult, KindResolved, ResolvedExecutor } from '../../dsl/types';
import { DEFAULT_MAX_OUTPUT_BYTES, MAX_OUTPUT_BYTES_LIMIT } from '../config';
import { execExecutor } from './exec';
import type { Executor, ExecutorContext } from './executor';
import { httpExecutor } from './http';
import { kubernetesExecutor } from './kubernetes';
import { prometheusExecutor } from './prometheus';
import type { KubernetesConnection } from '../../kubernetes/connection';
import type { PrometheusServers } from '../prometheus-servers';
import { redactDeep } from '../secrets/redact';
import { revealSecrets } from '../secrets/reveal';
import { SecretUnavailableError, type ReadSecret } from '../secrets/sources';

export type { Executor, ExecutorContext, ResultOf } from './executor';
export { SecretUnavailableError } from '../secrets/sources';
export { IDEMPOTENCY_ENV } from './exec';

export const DEFAULT_KILL_GRACE_MS = 5_000;

export interface RunExecutorOptions {
  timeoutMs: number;
  idempotencyKey?: string;
  signal?: AbortSignal;
  /** Bound on each captured output; default 64 KiB. */
  maxOutputBytes?: number;
  /** exec: SIGTERM-to-SIGKILL grace on timeout or cancellation; default 5 s. */
  killGraceMs?: number;
  /** kubernetes: the cluster connection, made on first use. */
  kubernetes?: () => KubernetesConnection;
  /** prometheus: the operator policy's servers, by name. */
  prometheus?: PrometheusServers;
  /** exec and http: reads the operator policy's secrets; absent: a step with a secret reference fails. */
  secrets?: ReadSecret;
}

/**
 * One module per step kind, as dsl/steps/ on the compiling side. The mapped type makes a new
 * kind (dsl/steps/index.ts registers its other pieces) a compile error here until its executor is registered.
 */
const executors: { [K in ExecutorKind]: Executor<KindResolved<K>> } = {
  exec: execExecutor,
  http: httpExecutor,
  kubernetes: kubernetesExecutor,
  prometheus: prometheusExecutor,
};

/** The spec names no registered executor: a contract violation, so it throws rather than returning a result. */
export class UnknownExecutorError extends Error {
  override readonly name = 'UnknownExecutorError';
  constructor(readonly executor: unknown) {
    super(`unknown executor: ${JSON.stringify(executor)}`);
  }
}

/** Options a caller (not a runbook) got wrong. */
export class InvalidExecutorOptionsError extends Error {
  override readonly name = 'InvalidExecutorOptionsError';
}

/**
 * Runs one resolved step. Target failures come back as `ok: false`; it rejects
 * only on cancellation (with the signal's reason, so Temporal sees its own
 * CancelledFailure), on the two errors above, and with SecretUnavailableError
 * when a secret the step references cannot be read (nothing ran).
 */
export async function runExecutor(spec: ResolvedExecutor, opts: RunExecutorOptions): Promise<ExecutorResult> {
  // Specs arrive as workflow payloads: check the tag at runtime, not only in the type.
  if (!Object.hasOwn(executors, spec.executor)) throw new UnknownExecutorError(spec.executor);
  // The mapped type pairs each kind with its executor; TypeScript cannot correlate that through the union.
  const executor = executors[spec.executor] as Executor<ResolvedExecutor>;
  const ctx = context(opts);
  // Throws SecretUnavailableError (naming the secret and its source, never a value) before anything runs.
  const revealed = await revealSecrets(spec, opts.secrets ?? noSecrets);
  // Whatever the target echoed (stdout, stderr, a body, an error naming a header) leaves with `secret:NAME` in place of a value.
  return redactDeep(await executor.run(revealed.spec, ctx), revealed.secrets);
}

const noSecrets: ReadSecret = (name) =>
  Promise.reject(new SecretUnavailableError(name, 'policy', 'this worker has no secrets configured (operator policy secrets:)'));

/** Node timers fire at once beyond this (about 24.8 days), which would turn a long timeout into none. */
const MAX_TIMER_MS = 2_147_483_647;

function context(opts: RunExecutorOptions): ExecutorContext {
  const maxOutputBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const killGraceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  if (!(opts.timeoutMs > 0 && opts.timeoutMs <= MAX_TIMER_MS)) {
    throw new InvalidExecutorOptionsError(`timeoutMs must be in 1..${MAX_TIMER_MS}, got ${opts.timeoutMs}`);
  }
  if (!(killGraceMs >= 0 && killGraceMs <= MAX_TIMER_MS)) {
    throw new InvalidExecutorOptionsError(`killGraceMs must be in 0..${MAX_TIMER_MS}, got ${killGraceMs}`);
  }
  if (!Number.isInteger(maxOutputBytes) || maxOutputBytes < 1 || maxOutputBytes > MAX_OUTPUT_BYTES_LIMIT) {
    throw new InvalidExecutorOptionsError(`maxOutputBytes must be an integer in 1..${MAX_OUTPUT_BYTES_LIMIT}, got ${maxOutputBytes}`);
  }
  return {
    timeoutMs: opts.timeoutMs,
    idempotencyKey: opts.idempotencyKey,
    signal: opts.signal,
    maxOutputBytes,
    killGraceMs,
    kubernetes: opts.kubernetes,
    prometheus: opts.prometheus,
  };
}
