/**
 * A pending plan's read-only pre-checks, run now in the serve process as the workflow will run them
 * after approval: the runbook the run decided with (from its history), the probe rendered with the
 * workflow's renderer, evaluated by the worker's own check code (activities/remediation.ts) with the
 * worker's activities configuration. Nothing here acts: pre-checks are read-only by construction.
 */
import type { ActivitiesConfig } from '../../activities/config';
import { evaluateCheck } from '../../activities/remediation';
import type { RemediationRecord } from '../../client/history';
import type { CompiledRunbook } from '../../dsl/types';
import { connectKubernetes, type KubernetesConnection } from '../../kubernetes/connection';
import { rendererFor } from '../../workflows/renderer';

export type PreCheckResult = { check: string; step: string; passed: boolean; reason: string; evidence: string };

export type PreChecks = { kind: 'unavailable'; why: string } | { kind: 'ran'; results: PreCheckResult[] };

const PRE_CHECKS_DEADLINE_MS = 10_000;

export async function runPreChecks(
  record: RemediationRecord,
  runbookId: string | null,
  config: ActivitiesConfig | undefined,
): Promise<PreChecks> {
  if (!config)
    return {
      kind: 'unavailable',
      why: 'this serve runs without a worker (--no-worker): it has no activities configuration to run them with',
    };
  const runbook: CompiledRunbook | undefined = record.catalogue.runbooks.find((r) => r.id === runbookId);
  if (!runbook) return { kind: 'unavailable', why: `runbook ${runbookId ?? '(none)'} is not in the catalogue this run decided with` };
  let connection: KubernetesConnection | undefined;
  const kubernetes = () => (connection ??= connectKubernetes(config.kubernetes));
  const incident = record.input.incident;
  const vars = { incident, context: incident.context, steps: {} };
  const results: PreCheckResult[] = [];
  for (const step of runbook.preChecks) {
    try {
      const probe = step.probe ? rendererFor(true).step(step.probe, vars, step.id, runbook.context) : undefined;
      const outcome = await evaluateCheck(
        {
          step: step.id,
          stage: 'pre',
          check: step.check,
          ...(probe ? { probe } : {}),
          condition: step.condition.cel,
          vars: { incident, steps: {} },
          contextTypes: runbook.context,
          timeoutMs: Math.min(step.timeoutMs, PRE_CHECKS_DEADLINE_MS),
        },
        config,
        kubernetes,
        AbortSignal.timeout(PRE_CHECKS_DEADLINE_MS),
      );
      results.push({
        check: step.check,
        step: step.id,
        passed: outcome.passed,
        reason: outcome.reason,
        evidence: outcome.evidence ?? 'live',
      });
    } catch (error) {
      const reason = `${step.check} could not be evaluated: ${error instanceof Error ? error.message : String(error)}`;
      results.push({ check: step.check, step: step.id, passed: false, reason, evidence: 'unreadable' });
    }
  }
  return { kind: 'ran', results };
}
