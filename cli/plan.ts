/** `remediate plan INCIDENT.json`: the decision and the steps that would run, without running anything. */
import type { Command } from 'commander';
import { decide } from '../dsl/decide';
import { renderPlan, validateIncidentContext } from '../dsl/render-plan';
import { parseSnapshot } from '../dsl/snapshot';
import { describePlannedStep } from '../dsl/steps/describe';
import type { CompiledRunbook, Decision, PlannedStep } from '../dsl/types';
import { loadOperatorPolicy, operatorPolicyFile } from '../worker/operator-policy';
import { compileOptions } from '../worker/operator-config';
import { planFor } from '../workflows/plan';
import { EXIT, InvalidInputError } from './errors';
import { processIo, type Io } from './output';
import { inputName, readCatalogue, readIncident, readJson } from './read-input';

export interface PlanOptions {
  runbooks: string;
  /** The operator policy file, whose compile options (allowed programs, check queries) the worker applies too. */
  policy?: string;
  state?: string;
  json?: boolean;
}

export interface PlanReport {
  incident: string;
  decision: Decision['decision'];
  event: Decision['event'];
  runbook: string | null;
  /** The matched runbook's version (content hash), or null. */
  version: string | null;
  reason: string;
  steps: PlannedStep[];
  rollback: CompiledRunbook['rollback']['kind'] | null;
  /** What an approval binds to; null without a runbook. */
  planHash: string | null;
  catalogueVersion: string;
}

export async function runPlan(incidentPath: string, options: PlanOptions, io: Io = processIo): Promise<number> {
  const incidentName = inputName(incidentPath);
  const incident = await readIncident(incidentPath);
  // As the worker compiles it: with the operator policy's launchers, Prometheus servers and queries of standard checks.
  const policy = loadOperatorPolicy(options.policy ?? operatorPolicyFile());
  const catalogue = await readCatalogue(options.runbooks, compileOptions(policy));
  const snapshot = options.state === undefined ? parseSnapshot({}, Date.now()) : parseSnapshot(await readJson(options.state), Date.now());
  if (!snapshot.ok) throw new InvalidInputError(snapshot.errors.map((e) => `${options.state}: ${e.field || 'state'}: ${e.message}`));

  const decision = decide(incident, catalogue, snapshot.snapshot);
  const runbook = catalogue.runbooks.find((r) => r.id === decision.runbook);
  let steps: PlannedStep[] = [];
  if (runbook) {
    const problems = validateIncidentContext(runbook, incident);
    if (problems.length > 0) {
      throw new InvalidInputError(problems.map((p) => `${incidentName}: ${p.message} [runbook ${runbook.id}]`));
    }
    steps = renderPlan(runbook, incident);
  }
  const report: PlanReport = {
    incident: incident.id,
    decision: decision.decision,
    event: decision.event,
    runbook: decision.runbook,
    version: runbook?.version ?? null,
    reason: decision.reason,
    steps,
    rollback: runbook?.rollback.kind ?? null,
    // The workflow's own hash (runbook, version and steps), so `approve --plan` accepts it.
    planHash: runbook ? planFor(runbook, incident).hash : null,
    catalogueVersion: catalogue.version,
  };
  io.out(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
  return EXIT.OK;
}

const ROLLBACK_TEXT: Record<CompiledRunbook['rollback']['kind'], string> = {
  self_healing: 'rollback: none needed (the action heals itself)',
  undeclared: 'rollback: none declared (a human approves each run)',
  steps: '',
};

function formatReport(report: PlanReport): string {
  const lines = [
    `${report.incident}: ${report.decision} (${report.event})${report.runbook ? ` with ${report.runbook} ${report.version!.slice(0, 12)}` : ''}`,
    report.reason,
  ];
  if (report.runbook) {
    lines.push('', `plan ${report.planHash!.slice(0, 12)}:`);
    report.steps.forEach((step, i) => lines.push(`  ${i + 1}. ${describePlannedStep(step)}`));
    const rollback = ROLLBACK_TEXT[report.rollback!];
    if (rollback) lines.push(`  ${rollback}`);
    const deferred = [...new Set(report.steps.flatMap((s) => s.deferred))];
    if (deferred.length > 0) lines.push(`  (filled in at run time: ${deferred.map((d) => `{${d}}`).join(', ')})`);
  }
  return lines.join('\n');
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('Show the decision for an incident and the steps that would run, without running anything.')
    .argument('<incident>', 'incident JSON file, or - for stdin')
    .option('--runbooks <path>', 'runbook file or folder', './runbooks')
    .option(
      '--state <file>',
      'guardrail state snapshot (JSON, as `remediate guardrails --snapshot` prints it, with any freeze, failure budget and change windows); default: nothing running, nothing recorded',
    )
    .option(
      '--policy <file>',
      "the operator policy file, for the worker's compile options (default: REMEDIATE_POLICY_FILE; none: built-in defaults)",
    )
    .option('--json', 'print one JSON object: decision, runbook, version, event, reason, steps, planHash')
    .action(async (incident: string, options: PlanOptions) => {
      process.exitCode = await runPlan(incident, options);
    });
}
