/**
 * The engine's own Prometheus metrics, on a registry of their own (a factory, never prom-client's global
 * one, so tests and processes stay separate). Labels are bounded: sources from the operator policy,
 * runbook ids from the compiled catalogue, decisions, outcomes and denial reasons from fixed vocabularies;
 * incident data never becomes a label value. Where each number comes from: docs/observability.md.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The decision a remediation ended with, as a label. */
export type DecisionLabel = 'auto' | 'approval' | 'manual' | 'blocked';

/** Seconds: a fix that acts within a second up to one that waited a day for approval. */
const DURATION_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600];

export interface EngineMetrics {
  registry: Registry;
  incidentsReceived: Counter<'source' | 'result'>;
  decisions: Counter<'decision'>;
  remediations: Counter<'outcome' | 'runbook'>;
  timeToFirstAction: Histogram;
  timeToVerifiedOutcome: Histogram;
  pendingApprovals: Gauge;
  guardrailDenials: Counter<'reason'>;
  /** The Temporal SDK runtime's own Prometheus endpoint (telemetry/runtime.ts), appended to the text; none: not scraped. */
  runtimeMetricsUrl?: string;
}

export interface EngineMetricsOptions {
  /** Called when /metrics is read: the number of remediations waiting for approval. */
  pendingApprovals?: () => number;
  /** See EngineMetrics.runtimeMetricsUrl. */
  runtimeMetricsUrl?: string;
}

export function createEngineMetrics(options: EngineMetricsOptions = {}): EngineMetrics {
  const registry = new Registry();
  const registers = [registry];
  const pending = options.pendingApprovals;
  return {
    registry,
    incidentsReceived: new Counter({
      name: 'remediate_incidents_received_total',
      help: 'Incidents received by the intake service, by authenticated source and result.',
      labelNames: ['source', 'result'],
      registers,
    }),
    decisions: new Counter({
      name: 'remediate_decisions_total',
      help: 'Remediations finished, by the decision they ended with (auto, approval, manual, blocked).',
      labelNames: ['decision'],
      registers,
    }),
    remediations: new Counter({
      name: 'remediate_remediations_total',
      help: 'Remediations finished, by outcome and runbook (a catalogue id, or "none").',
      labelNames: ['outcome', 'runbook'],
      registers,
    }),
    timeToFirstAction: new Histogram({
      name: 'remediate_time_to_first_action_seconds',
      help: 'From the remediation workflow start to the scheduling of its first action step.',
      buckets: DURATION_BUCKETS,
      registers,
    }),
    timeToVerifiedOutcome: new Histogram({
      name: 'remediate_time_to_verified_outcome_seconds',
      help: 'From the remediation workflow start to its end as remediated (actions ran and verification passed).',
      buckets: DURATION_BUCKETS,
      registers,
    }),
    pendingApprovals: new Gauge({
      name: 'remediate_pending_approvals',
      help: 'Remediations this worker process has seen ask for approval and not yet approved, rejected, expired or ended.',
      registers,
      ...(pending ? { collect: collectFrom(pending) } : {}),
    }),
    guardrailDenials: new Counter({
      name: 'remediate_guardrail_denials_total',
      help: 'Remediations the guardrails stopped, by reason (the guardrail event, lower case).',
      labelNames: ['reason'],
      registers,
    }),
    ...(options.runtimeMetricsUrl ? { runtimeMetricsUrl: options.runtimeMetricsUrl } : {}),
  };
}

function collectFrom(count: () => number) {
  return function (this: Gauge) {
    this.set(count());
  };
}

/** What the intake service reports for every request that names an incident source (helper F's interface). */
export interface IntakeEvents {
  received(source: string, route: string, result: string): void;
}

/** Label values must stay few: anything outside a short identifier is counted under "other". */
const BOUNDED_LABEL = /^[A-Za-z0-9_.-]{1,64}$/;
export const boundedLabel = (value: string): string => (BOUNDED_LABEL.test(value) ? value : 'other');

/**
 * IntakeEvents on `remediate_incidents_received_total`. `source` is the authenticated source name
 * (from the operator policy, or the intake's own word for an unauthenticated one); the route is not
 * a label: the source already says which door it came through.
 */
export function intakeEvents(metrics: Pick<EngineMetrics, 'incidentsReceived'>): IntakeEvents {
  return {
    received(source, _route, result) {
      metrics.incidentsReceived.inc({ source: boundedLabel(source), result: boundedLabel(result) });
    },
  };
}

/** The Prometheus text of the registry, then the Temporal runtime's metrics when it exports them. */
export async function renderMetrics(
  metrics: Pick<EngineMetrics, 'registry' | 'runtimeMetricsUrl'>,
): Promise<{ contentType: string; text: string }> {
  const own = await metrics.registry.metrics();
  const runtime = metrics.runtimeMetricsUrl ? await scrapeRuntime(metrics.runtimeMetricsUrl) : '';
  return { contentType: metrics.registry.contentType, text: runtime ? `${own}\n${runtime}` : own };
}

/** A runtime that does not answer must not break /metrics: its absence is a comment and a gauge of 0. */
async function scrapeRuntime(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const text = await response.text();
    return `# HELP remediate_temporal_runtime_up Whether the Temporal SDK runtime's metrics could be read.\n# TYPE remediate_temporal_runtime_up gauge\nremediate_temporal_runtime_up 1\n${text}`;
  } catch {
    return "# HELP remediate_temporal_runtime_up Whether the Temporal SDK runtime's metrics could be read.\n# TYPE remediate_temporal_runtime_up gauge\nremediate_temporal_runtime_up 0\n";
  }
}
