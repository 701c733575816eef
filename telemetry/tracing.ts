/**
 * OpenTelemetry traces from intake through the remediation workflow to every activity, with the
 * Temporal OpenTelemetry interceptors: the client's start (and signals, updates, queries) carry the
 * trace context in headers; the workflow interceptors (in the sandbox) open the workflow's spans and
 * hand them to the worker through the `exporter` sink; the activity interceptor opens one span per
 * activity. Spans go to an OTLP/HTTP collector (JSON) only when the standard
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise nothing is
 * installed and no interceptor is added. Installed once per process (a process that is client and
 * worker shares one provider).
 */
import * as otel from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerTelemetry } from './worker-metrics';

const TRACER_NAME = 'remediate';

export interface Tracing {
  /** Where spans go (the traces URL, /v1/traces included). */
  endpoint: string;
  /** For `new Client({ interceptors: { workflow } })`. */
  clientInterceptors: WorkflowClientInterceptor[];
  /** For the remediation worker: the sandbox's interceptor module, the activity interceptors and the span sink. */
  worker: WorkerTelemetry;
  /** Exports what is buffered; call before the process exits. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The traces URL from the standard variables: the traces-specific one as given, else the base one plus /v1/traces. */
export function otlpTracesEndpoint(env: NodeJS.ProcessEnv = process.env): string | null {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : null;
}

let installed: Tracing | null = null;

/**
 * Tracing as the environment asks: null when no OTLP endpoint is set (nothing installed). The first
 * call in a process installs the provider globally (W3C trace context propagation, as the Temporal
 * interceptors need); later calls return the same.
 */
export function tracingFromEnvironment(env: NodeJS.ProcessEnv = process.env, serviceName = 'remediate'): Tracing | null {
  if (installed) return installed;
  const endpoint = otlpTracesEndpoint(env);
  if (!endpoint) return null;
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME?.trim() || serviceName });
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  installed = {
    endpoint,
    clientInterceptors: [new OpenTelemetryWorkflowClientInterceptor({ tracer: provider.getTracer(TRACER_NAME) })],
    worker: workerTracing(processor, resource, provider.getTracer(TRACER_NAME)),
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown();
      installed = null;
    },
  };
  return installed;
}

/** The sandbox module: the package's workflow interceptors, for remediation workflows only (see the module). */
export const WORKFLOW_TRACING_MODULE = fileURLToPath(new URL(`./workflow-tracing${extname(import.meta.url)}`, import.meta.url));

/** The worker's tracing pieces on a given processor (the replay test's, in memory; otherwise the OTLP exporter's). */
export function workerTracing(processor: SpanProcessor, resource: Resource, tracer: otel.Tracer): WorkerTelemetry {
  return {
    interceptors: {
      workflowModules: [WORKFLOW_TRACING_MODULE],
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(processor, resource) },
  };
}

/**
 * Runs `work` in a span of its own (the intake's request, say), so the workflow start it makes is its
 * child. Without tracing installed the API is a no-op and this only calls `work`.
 */
export async function inSpan<T>(name: string, work: () => Promise<T>): Promise<T> {
  return await otel.trace.getTracer(TRACER_NAME).startActiveSpan(name, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.setStatus({ code: otel.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}
