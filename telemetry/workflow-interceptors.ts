/**
 * Workflow interceptors (they run in the workflow sandbox) that report a remediation's timings and
 * ending to the worker through a sink (telemetry/worker-metrics.ts records them in prom-client). A sink
 * call is no command: histories are the same with and without this module, and the SDK does not call
 * sinks during replay, so a replayed run is not counted twice. Times are workflow time (Date.now() in a
 * workflow is the task's time), from the workflow's start.
 */
import {
  proxySinks,
  workflowInfo,
  type ActivityInput,
  type Next,
  type Sinks,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** What the worker learns when a remediation ends; labels are bounded on the worker side. */
export interface RemediationEnding {
  decision: string;
  event: string;
  outcome: string;
  runbook: string | null;
  seconds: number;
}

export interface RemediationMetricsSinks extends Sinks {
  remediateMetrics: {
    firstAction(seconds: number): void;
    ended(ending: RemediationEnding): void;
    threw(seconds: number): void;
  };
}

/** The one workflow type whose runs are remediations (workflows/remediation.ts). */
export const REMEDIATION_WORKFLOW_TYPE = 'remediateIncident';

const { remediateMetrics } = proxySinks<RemediationMetricsSinks>();

const secondsSinceStart = () => (Date.now() - workflowInfo().startTime.getTime()) / 1000;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** An action step (not a rollback): the runAction activity with stage "action". */
function isAction(input: ActivityInput): boolean {
  const request: unknown = input.args[0];
  return input.activityType === 'runAction' && isRecord(request) && request.stage === 'action';
}

function endingOf(result: unknown): Omit<RemediationEnding, 'seconds'> | null {
  if (!isRecord(result) || !isRecord(result.decision)) return null;
  const { outcome, runbook, decision } = result;
  const kind = decision.decision;
  const event = decision.event;
  if (typeof outcome !== 'string' || typeof kind !== 'string' || typeof event !== 'string') return null;
  return { outcome, decision: kind, event, runbook: typeof runbook === 'string' ? runbook : null };
}

class FirstActionTimer implements WorkflowOutboundCallsInterceptor {
  private acted = false;
  async scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>): Promise<unknown> {
    if (!this.acted && isAction(input)) {
      this.acted = true;
      remediateMetrics.firstAction(secondsSinceStart());
    }
    return await next(input);
  }
}

class EndingReporter implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    let result: unknown;
    try {
      result = await next(input);
    } catch (error) {
      remediateMetrics.threw(secondsSinceStart());
      throw error;
    }
    const ending = endingOf(result);
    if (ending) remediateMetrics.ended({ ...ending, seconds: secondsSinceStart() });
    return result;
  }
}

export const interceptors = (): WorkflowInterceptors =>
  workflowInfo().workflowType === REMEDIATION_WORKFLOW_TYPE ? { inbound: [new EndingReporter()], outbound: [new FirstActionTimer()] } : {};
