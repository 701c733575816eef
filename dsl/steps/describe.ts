/**
 * The one description of a step and the one of a result, for every place that shows them: plans
 * and approval requests, the audit trail and `status`, the timeline of `audit`, and activity
 * failure messages. Each kind's module says how its runs and results read.
 */
import type { ExecutorResult, PlannedStep, ResolvedExecutor } from '../types';
import { stepKind } from './index';

/** `kubectl delete pod p -n n`, `PUT https://.../scale {"replicas":3}`, `kubernetes scale production/web delta=1`. */
export function describeRun(run: ResolvedExecutor): string {
  return stepKind(run.executor)?.describe(run) ?? `unknown executor ${JSON.stringify(run.executor)}`;
}

/** `exit 1: the last lines of stderr`, `HTTP 503`, `failed (HTTP 404): get_pod production/x: not found`. */
export function describeResult(result: ExecutorResult): string {
  return stepKind(result.executor)?.describeResult(result) ?? `result of unknown executor ${JSON.stringify(result.executor)}`;
}

const PHASE_LABEL: Record<PlannedStep['phase'], string> = {
  pre_check: 'pre-check',
  action: 'action',
  post_check: 'post-check',
  rollback: 'rollback',
};

/** One line per step, for people (plan output, approval requests). */
export function describePlannedStep(step: PlannedStep): string {
  const label = PHASE_LABEL[step.phase];
  const guard = step.when ? ` (only when ${step.when})` : '';
  switch (step.kind) {
    case 'check': {
      const override = step.origin === 'file_override' ? ' [overrides the standard library]' : '';
      const probe = step.probe ? `probe ${describeRun(step.probe)}; ` : '';
      return `${label} ${step.check}${override}: ${probe}${step.condition}${checkTiming(step)}${guard}`;
    }
    case 'action':
      return `${label} ${step.id}: ${describeRun(step.run)}${guard}`;
    case 'wait':
      return `${label} ${step.id}: wait ${step.durationMs / 1000}s${guard}`;
  }
}

/** `, after 30s, held for 2m, polled every 10s for up to 5m`: when the check runs, as configured. */
function checkTiming(step: Extract<PlannedStep, { kind: 'check' }>): string {
  const settle = step.settleMs ? `, after ${step.settleMs / 1000}s` : '';
  const hold = step.holdForMs ? `, held for ${step.holdForMs / 1000}s` : '';
  const polling = step.deadlineMs > 0 ? `, polled every ${step.intervalMs / 1000}s for up to ${step.deadlineMs / 1000}s` : '';
  return `${settle}${hold}${polling}`;
}
