/**
 * The Temporal OpenTelemetry workflow interceptors (they run in the workflow sandbox), for remediation
 * workflows only. Replaying the recorded histories with them showed that they are not command-neutral
 * for every workflow: the first guardrail protocol's coordinator histories (v1-coordinator-*, which
 * answer updates) fail to replay with them ("Timer machine does not handle this event:
 * WorkflowExecutionUpdateCompleted"), while every remediation history replays. The coordinator runs
 * on a worker without telemetry, but its workflow is in the same bundle: this keeps it untraced anywhere.
 */
import { interceptors as openTelemetryInterceptors } from '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors';
import { workflowInfo, type WorkflowInterceptors } from '@temporalio/workflow';
import { REMEDIATION_WORKFLOW_TYPE } from './workflow-interceptors';

export const interceptors = (): WorkflowInterceptors =>
  workflowInfo().workflowType === REMEDIATION_WORKFLOW_TYPE ? openTelemetryInterceptors() : {};
