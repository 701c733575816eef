/**
 * A client connection from the operator's settings. A server that does not answer becomes one
 * typed error (the CLI turns it into exit 3 and a hint), whichever layer noticed: the client's
 * connect deadline, a gRPC UNAVAILABLE later on, or the worker's native transport.
 */
import { Client, Connection, isGrpcServiceError, type WorkflowClientInterceptor } from '@temporalio/client';
import type { TemporalSettings } from './settings';
import { EXIT, UserFacingError } from '../dsl/user-facing-error';
import { tracingFromEnvironment } from '../telemetry/tracing';
import { dataConverterFromEnvironment, dataConverterOption } from '../codec/data-converter';

/** Long enough for a cloud endpoint, short enough that a typo does not hang a terminal. */
const CONNECT_TIMEOUT_MS = 5_000;
const GRPC_UNAVAILABLE = 14;

export class ServerUnreachableError extends UserFacingError {
  override readonly name = 'ServerUnreachableError';
  readonly exitCode = EXIT.UNREACHABLE;
  constructor(
    readonly address: string,
    readonly namespace: string,
  ) {
    super(
      `cannot reach the Temporal server at ${address} (namespace ${namespace}). ` +
        'Start one with `remediate dev` (or `npm run demo`), or set TEMPORAL_ADDRESS to a running server.',
    );
  }
}

export function isUnreachable(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof ServerUnreachableError || cause.name === 'TransportError') return true;
    if (/Failed to connect before the deadline/.test(cause.message)) return true;
    if (isGrpcServiceError(cause) && cause.code === GRPC_UNAVAILABLE) return true;
  }
  return false;
}

/** Rethrows a transport failure as ServerUnreachableError naming where we looked; anything else unchanged. */
export function explainUnreachable(error: unknown, settings: Pick<TemporalSettings, 'address' | 'namespace'>): unknown {
  return isUnreachable(error) && !(error instanceof ServerUnreachableError)
    ? new ServerUnreachableError(settings.address, settings.namespace)
    : error;
}

export interface Session {
  client: Client;
  connection: Connection;
  settings: TemporalSettings;
  close(): Promise<void>;
}

/** The OpenTelemetry client interceptors when OTEL_EXPORTER_OTLP_*ENDPOINT is set (telemetry/tracing.ts); otherwise nothing. */
function clientTracing(): { interceptors?: { workflow: WorkflowClientInterceptor[] } } {
  const tracing = tracingFromEnvironment();
  return tracing ? { interceptors: { workflow: tracing.clientInterceptors } } : {};
}

export async function connectClient(settings: TemporalSettings): Promise<Session> {
  // The key file first: a bad one is the operator's to fix, whether or not the server answers.
  const dataConverter = dataConverterFromEnvironment();
  let connection: Connection;
  try {
    connection = await Connection.connect({ connectTimeout: CONNECT_TIMEOUT_MS, ...settings.connectionOptions });
  } catch (error) {
    throw explainUnreachable(error, settings);
  }
  return {
    client: new Client({ connection, namespace: settings.namespace, ...clientTracing(), ...dataConverterOption(dataConverter) }),
    connection,
    settings,
    close: () => connection.close(),
  };
}
