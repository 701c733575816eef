/**
 * The worker-side source of the remediation metrics (telemetry/metrics.ts). Workflows are sandboxed and
 * cannot touch prom-client: telemetry/workflow-interceptors.ts reports each remediation's first action
 * and its ending through the `remediateMetrics` sink, which lands here, in the worker process. Approvals
 * pending are read from the notify activity (its input says when a remediation asks for approval and
 * when that request is answered), through an activity interceptor.
 */
import type { ActivityInterceptorsFactory, InjectedSinks, WorkerOptions } from '@temporalio/worker';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngineMetrics, type DecisionLabel, type EngineMetrics, type EngineMetricsOptions } from './metrics';
import type { RemediationEnding, RemediationMetricsSinks } from './workflow-interceptors';

/** The workflow interceptor module (its source, or its JavaScript when the CLI runs compiled). */
export const METRICS_WORKFLOW_MODULE = fileURLToPath(new URL(`./workflow-interceptors${extname(import.meta.url)}`, import.meta.url));

const DECISIONS: Readonly<Record<string, DecisionLabel>> = {
  auto: 'auto',
  approval_required: 'approval',
  manual: 'manual',
  blocked: 'blocked',
};
const OUTCOMES = new Set(['remediated', 'rolled_back', 'failed', 'aborted', 'manual', 'blocked', 'rejected', 'expired']);
/** Blocked events that are the guardrails' doing (INPUT_REFUSED is admission, not a guardrail). */
const GUARDRAIL_EVENTS = new Set([
  'CIRCUIT_OPEN',
  'RATE_LIMITED',
  'BLAST_LIMITED',
  'FROZEN',
  'FAILURE_BUDGET_EXHAUSTED',
  'GUARDRAILS_UNAVAILABLE',
]);
/** Notification kinds that answer an approval request. */
const APPROVAL_ANSWERS = new Set(['approved', 'rejected', 'expired']);

/** What the worker's metrics are recorded in and how the worker wires them. */
export interface WorkerMetrics {
  metrics: EngineMetrics;
  interceptors: { workflowModules: string[]; activity: ActivityInterceptorsFactory[] };
  sinks: InjectedSinks<RemediationMetricsSinks>;
}

export interface WorkerMetricsOptions extends Pick<EngineMetricsOptions, 'runtimeMetricsUrl'> {
  /** Runbook ids that may be label values (the compiled catalogue's); any other is counted as "other". */
  runbookIds: Iterable<string>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

export function createWorkerMetrics(options: WorkerMetricsOptions): WorkerMetrics {
  const runbooks = new Set(options.runbookIds);
  const awaitingApproval = new Set<string>();
  const metrics = createEngineMetrics({ pendingApprovals: () => awaitingApproval.size, runtimeMetricsUrl: options.runtimeMetricsUrl });
  const runbookLabel = (id: string | null) => (id === null ? 'none' : runbooks.has(id) ? id : 'other');
  const ended = (workflowId: string, ending: RemediationEnding) => {
    awaitingApproval.delete(workflowId);
    metrics.decisions.inc({ decision: DECISIONS[ending.decision] ?? 'manual' });
    metrics.remediations.inc({ outcome: OUTCOMES.has(ending.outcome) ? ending.outcome : 'other', runbook: runbookLabel(ending.runbook) });
    if (ending.decision === 'blocked' && GUARDRAIL_EVENTS.has(ending.event))
      metrics.guardrailDenials.inc({ reason: ending.event.toLowerCase() });
    if (ending.outcome === 'remediated') metrics.timeToVerifiedOutcome.observe(ending.seconds);
  };
  const sinks: InjectedSinks<RemediationMetricsSinks> = {
    remediateMetrics: {
      firstAction: { fn: (_info, seconds) => metrics.timeToFirstAction.observe(seconds) },
      ended: { fn: (info, ending) => ended(info.workflowId, ending) },
      threw: {
        fn: (info) => {
          awaitingApproval.delete(info.workflowId);
          metrics.remediations.inc({ outcome: 'workflow_error', runbook: 'none' });
        },
      },
    },
  };
  const activity: ActivityInterceptorsFactory = (ctx) => ({
    inbound: {
      async execute(input, next) {
        const notification: unknown = input.args[0];
        if (ctx.info.activityType === 'notify' && isRecord(notification) && ctx.info.workflowExecution) {
          const workflowId = ctx.info.workflowExecution.workflowId;
          if (notification.kind === 'approval_needed') awaitingApproval.add(workflowId);
          else if (typeof notification.kind === 'string' && APPROVAL_ANSWERS.has(notification.kind)) awaitingApproval.delete(workflowId);
        }
        return await next(input);
      },
    },
  });
  return { metrics, interceptors: { workflowModules: [METRICS_WORKFLOW_MODULE], activity: [activity] }, sinks };
}

/** Telemetry pieces merged into one worker's options: interceptor lists concatenated, sinks side by side. */
export interface WorkerTelemetry {
  interceptors: { workflowModules: string[]; activity: ActivityInterceptorsFactory[] };
  sinks: NonNullable<WorkerOptions['sinks']>;
}

export function mergeWorkerTelemetry(parts: readonly (WorkerTelemetry | null | undefined)[]): WorkerTelemetry {
  const present = parts.filter((part): part is WorkerTelemetry => !!part);
  return {
    interceptors: {
      workflowModules: present.flatMap((part) => part.interceptors.workflowModules),
      activity: present.flatMap((part) => part.interceptors.activity),
    },
    sinks: present.reduce<WorkerTelemetry['sinks']>((all, part) => ({ ...all, ...part.sinks }), {}),
  };
}
