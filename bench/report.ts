/**
 * The benchmark's figures as text: the console table of a run, and the markdown that the README and
 * docs/benchmarks.md show, generated from the committed reference results (never typed by hand;
 * test/bench/report.test.ts fails when they drift apart).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClosedLoopFigures, StageFigure } from './closed-loop';
import type { BaselineLatency, EngineLatency } from './latency';
import type { StormFigures } from './storm';
import type { TargetResult } from './targets';
import type { ThroughputFigures } from './throughput';
import type { TuningStep } from './tuning';

export interface BenchReport {
  when: string;
  mode: string;
  machine: {
    cores: number;
    node: string;
    temporalio: string;
    temporalCli?: string;
    server?: string;
    load: { atStart: number; meanDuring: number | null };
  };
  throughput: ThroughputFigures;
  baselineLadder: BaselineLatency[];
  engineLatency: EngineLatency | null;
  storm: StormFigures;
  processStorm: StormFigures | null;
  offline: {
    replay: { perSecond: number; replayed: number; failed: number };
    decide: { perSecond: number };
    compile: { files: number; runbooks: number; ms: { p50: number | null } };
  };
  memory: { peakRssMb: number };
  targets: TargetResult[];
  totalSeconds: number;
}

export interface TuningReport {
  when: string;
  machine: BenchReport['machine'];
  tuning: TuningStep[];
}

const mark = (met: boolean | null) => (met === null ? 'n/a' : met ? 'met' : 'MISSED');
const ms = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${Math.round(v)} ms`);

function context(r: Pick<BenchReport, 'when' | 'mode' | 'machine' | 'totalSeconds'>): string {
  const m = r.machine;
  return `${r.mode} run of ${r.when.slice(0, 10)}, ${m.cores} cores, Node ${m.node}, Temporal SDK ${m.temporalio}, Temporal CLI ${m.temporalCli ?? '?'} (${m.server ?? 'tuned'} dev server), load average ${m.load.atStart} at start and ${m.load.meanDuring ?? '-'} during, ${r.totalSeconds} s`;
}

function detailRows(r: BenchReport): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  const t = r.throughput;
  rows.push([
    'throughput',
    `engine ${t.engine.perSecond} wf/s (${t.engine.remediated} remediated of ${t.incidents}), bare Temporal ${t.baseline.perSecond} wf/s, ${t.window} in flight`,
  ]);
  const a = t.anatomy;
  rows.push([
    'per workflow (events / workflow tasks / activities)',
    `engine ${a.engine.events} / ${a.engine.workflowTasks} / ${a.engine.activities}, bare ${a.baseline.events} / ${a.baseline.workflowTasks} / ${a.baseline.activities}`,
  ]);
  for (const b of r.baselineLadder)
    rows.push([
      `bare Temporal at ${b.ratePerSecond}/s`,
      `first activity p50 ${ms(b.firstActivityMs.p50)}, p99 ${ms(b.firstActivityMs.p99)}${b.bounded ? '' : ' (unbounded)'}`,
    ]);
  const l = r.engineLatency;
  if (l) {
    rows.push([
      `engine at ${l.ratePerSecond}/s`,
      `first action p50 ${ms(l.firstActionMs.p50)}, p99 ${ms(l.firstActionMs.p99)}; verified outcome p50 ${ms(l.verifiedOutcomeMs.p50)}, p99 ${ms(l.verifiedOutcomeMs.p99)}`,
    ]);
    for (const [stage, p50] of Object.entries(l.stagesP50Ms)) rows.push([`  p50 ${stage}`, ms(p50)]);
  }
  for (const s of [r.storm, r.processStorm]) {
    if (!s) continue;
    rows.push([
      `storm (${s.workers})`,
      `${s.incidents} incidents, ${s.services} services, ${s.withinSeconds} s; ${s.atTarget.acted} acted, ${s.atTarget.actions} actions at the target`,
    ]);
    rows.push([
      '  outcomes',
      Object.entries(s.outcomes)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ]);
    rows.push(['  repeats attached', `${s.duplicatesAttached} of ${s.duplicatesSubmitted}`]);
    if (s.stuck.running > 0)
      rows.push([
        '  still running, waiting on',
        Object.entries(s.stuck.byWaitingOn)
          .map(([k, v]) => `${v} ${k}`)
          .join(', '),
      ]);
  }
  const o = r.offline;
  rows.push([
    'replay / decide / compile',
    `${o.replay.perSecond} histories/s, ${o.decide.perSecond} decisions/s, compile ${o.compile.ms.p50} ms (${o.compile.runbooks} runbooks)`,
  ]);
  rows.push(['peak RSS', `${r.memory.peakRssMb} MB`]);
  return rows;
}

/** The console report of one run. */
export function renderReport(r: BenchReport): string {
  const width = Math.max(...r.targets.map((t) => t.name.length));
  const lines = [`\nremediate benchmark: ${context(r)}`, '', 'targets'];
  for (const t of r.targets) lines.push(`  ${t.name.padEnd(width)}  ${t.value}  (target ${t.target}: ${mark(t.met)})`);
  lines.push('', 'figures');
  for (const [name, value] of detailRows(r)) lines.push(`  ${name}: ${value}`);
  return lines.join('\n');
}

/** The markdown table of every target, one row each, as docs/benchmarks.md shows it. */
export function targetsMarkdown(r: BenchReport): string {
  return [
    `Reference figures: ${context(r)}.`,
    '',
    '| figure | measured | target | |',
    '|---|---|---|---|',
    ...r.targets.map((t) => `| ${t.name} | ${t.value} | ${t.target} | ${mark(t.met)} |`),
  ].join('\n');
}

/**
 * The README's summary of the targets: the run-wide ones, then each storm target once, with one column
 * per storm (a target is "SCENARIO: WHAT"; a WHAT judged in more than one scenario is a storm row).
 */
export function summaryMarkdown(r: BenchReport): string {
  const split = (t: TargetResult) => {
    const cut = t.name.indexOf(': ');
    return cut < 0 ? { scenario: '', what: t.name } : { scenario: t.name.slice(0, cut), what: t.name.slice(cut + 2) };
  };
  const scenariosOf = new Map<string, Set<string>>();
  for (const t of r.targets) {
    const { scenario, what } = split(t);
    scenariosOf.set(what, (scenariosOf.get(what) ?? new Set()).add(scenario));
  }
  const shared = (t: TargetResult) => (scenariosOf.get(split(t).what)?.size ?? 0) > 1;
  const scenarios = [...new Set(r.targets.filter(shared).map((t) => split(t).scenario))];
  const rows = new Map<string, { target: string; cells: Map<string, string> }>();
  for (const t of r.targets.filter(shared)) {
    const { scenario, what } = split(t);
    const row = rows.get(what) ?? { target: t.target, cells: new Map<string, string>() };
    row.cells.set(scenario, `${t.value} (${mark(t.met)})`);
    rows.set(what, row);
  }
  const lines = [
    `Reference figures: ${context(r)}.`,
    '',
    '| figure | measured | target | |',
    '|---|---|---|---|',
    ...r.targets.filter((t) => !shared(t)).map((t) => `| ${t.name} | ${t.value} | ${t.target} | ${mark(t.met)} |`),
  ];
  if (rows.size === 0) return lines.join('\n');
  lines.push(
    '',
    `| storm figure | target | ${scenarios.map((s) => (s === 'storm' ? 'storm in one process' : s)).join(' | ')} |`,
    `|---|---|${scenarios.map(() => '---|').join('')}`,
    ...[...rows].map(([what, row]) => `| ${what} | ${row.target} | ${scenarios.map((s) => row.cells.get(s) ?? '-').join(' | ')} |`),
  );
  return lines.join('\n');
}

export function tuningMarkdown(t: TuningReport): string {
  return [
    `Each setting added to the one above, the same throughput run each time (${t.when.slice(0, 10)}, ${t.machine.cores} cores, load average ${t.machine.load.atStart}):`,
    '',
    '| dev server | bare Temporal | engine | engine / bare |',
    '|---|---|---|---|',
    ...t.tuning.map((s) => `| ${s.settings} | ${s.bareWorkflowsPerSecond} wf/s | ${s.engineWorkflowsPerSecond} wf/s | ${s.ratio} |`),
  ].join('\n');
}

export function detailsMarkdown(r: BenchReport): string {
  return ['| figure | value |', '|---|---|', ...detailRows(r).map(([k, v]) => `| ${k.trim()} | ${v} |`)].join('\n');
}

const BEGIN = '<!-- generated from bench/results/reference.json by `npm run bench -- --reference`: do not edit -->';
const END = '<!-- end of generated figures -->';

function readJson<T>(file: string): T | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}

/** What each file's generated block should hold, from the committed reference results. */
export function expectedBlocks(root: string): Record<'README.md' | 'docs/benchmarks.md', string> | undefined {
  const reference = readJson<BenchReport>(join(root, 'bench/results/reference.json'));
  if (!reference) return undefined;
  const tuning = readJson<TuningReport>(join(root, 'bench/results/reference-tuning.json'));
  return {
    'README.md': [BEGIN, summaryMarkdown(reference), END].join('\n'),
    'docs/benchmarks.md': [
      BEGIN,
      targetsMarkdown(reference),
      '',
      detailsMarkdown(reference),
      ...(tuning ? ['', tuningMarkdown(tuning)] : []),
      END,
    ].join('\n'),
  };
}

export interface ClosedLoopReport {
  when: string;
  mode: string;
  machine: BenchReport['machine'] & { prometheus?: string; alertmanager?: string };
  closedLoop: ClosedLoopFigures;
  totalSeconds: number;
}

const secs = (v: number | null) => (v === null ? '-' : Math.abs(v) < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`);
const p50max = (f: StageFigure) => `p50 ${secs(f.p50Ms)}, max ${secs(f.maxMs)}`;

/** The seed's spectrum ("The Auto-Remediation Spectrum"), each rung beside what this bench measured of it, or "not measured". */
export function ladderMarkdown(c: ClosedLoopReport, reference: BenchReport | undefined): string {
  const f = c.closedLoop;
  const approval = reference?.storm.approvalToFirstActionMs;
  const approvalCell =
    approval && approval.count > 0
      ? `the engine's part only: approval signal -> first action p50 ${ms(approval.p50)}, p99 ${ms(approval.p99)} (n=${approval.count}), under the ${reference.storm.incidents}-incident storm of bench/results/reference.json; the human's time to decide is not included`
      : 'not measured';
  return [
    `The auto-remediation spectrum's MTTR ladder beside the closed loop measured here: ${f.loops} loops one after another (${f.remediated} remediated), ${c.when.slice(0, 10)}, ${c.machine.cores} cores, Prometheus ${c.machine.prometheus ?? '?'}, Alertmanager ${c.machine.alertmanager ?? '?'}, load average ${c.machine.load.atStart}, ${c.totalSeconds} s.`,
    '',
    '| rung | who does what | MTTR (spectrum) | measured here |',
    '|---|---|---|---|',
    '| runbook lookup | human finds runbook | 30+ min | not measured |',
    '| suggested actions | system suggests fix | 20 min | not measured |',
    '| one-click execution | human clicks to run | 10 min | not measured |',
    `| human approval | system proposes, human approves | 5 min | ${approvalCell} |`,
    `| auto execute | system executes, notifies human | 1 min | metric bad -> first action ${p50max(f.metricBadToFirstAction)} (the closed loop's loops, before verification) |`,
    `| closed loop | system detects, fixes, verifies | seconds | **metric bad -> verified fix ${p50max(f.metricBadToVerifiedFix)}** |`,
    '',
    `Most of the loop is configuration: scrape every ${f.timing.scrapeIntervalSeconds} s, rule evaluation every ${f.timing.evaluationIntervalSeconds} s, \`for: ${f.timing.for}\`, \`group_wait: ${f.timing.groupWait}\` (\`group_interval: ${f.timing.groupInterval}\`), the post-check's \`hold_for: ${f.timing.holdFor}\` read every ${f.timing.postCheckInterval}, alert resend delay ${f.timing.resendDelay}. \`for\` + \`group_wait\` + \`hold_for\` alone are ${secs(f.settingsFloorMs)} of every loop, and each scrape and evaluation adds up to its interval; the engine's own part, delivered to the intake -> verified fix, is ${p50max(f.deliveredToVerifiedFix)}, itself mostly \`hold_for\`. "Firing" is seen by polling Prometheus every ${f.firingPollMs} ms; "pending" is Prometheus's own \`activeAt\`.`,
    '',
    '| stage | p50 | max |',
    '|---|---|---|',
    ...f.stages.map((s) => `| ${s.stage} | ${secs(s.p50Ms)} | ${secs(s.maxMs)} |`),
    `| metric bad -> verified fix | ${secs(f.metricBadToVerifiedFix.p50Ms)} | ${secs(f.metricBadToVerifiedFix.maxMs)} |`,
    `| metric bad -> resolved delivered | ${secs(f.metricBadToResolved.p50Ms)} | ${secs(f.metricBadToResolved.maxMs)} |`,
  ].join('\n');
}

export const CLOSED_LOOP_BEGIN =
  '<!-- generated from bench/results/reference-closed-loop.json by `npm run bench -- --closed-loop --reference`: do not edit -->';

/** The closed-loop block both files show, from the committed closed-loop reference (and reference.json's approval figure). */
export function expectedClosedLoopBlock(root: string): string | undefined {
  const closedLoop = readJson<ClosedLoopReport>(join(root, 'bench/results/reference-closed-loop.json'));
  if (!closedLoop) return undefined;
  return [CLOSED_LOOP_BEGIN, ladderMarkdown(closedLoop, readJson<BenchReport>(join(root, 'bench/results/reference.json'))), END].join('\n');
}

/** The generated block (the one starting with `begin`) a file holds now. */
export function committedBlock(root: string, file: string, begin = BEGIN): string | undefined {
  const text = readFileSync(join(root, file), 'utf8');
  const start = text.indexOf(begin);
  const end = start < 0 ? -1 : text.indexOf(END, start);
  return start < 0 || end < 0 ? undefined : text.slice(start, end + END.length);
}

function replaceBlock(path: string, begin: string, block: string): void {
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(begin);
  const end = start < 0 ? -1 : text.indexOf(END, start);
  if (start < 0 || end < 0) throw new Error(`${path} has no generated block to replace`);
  writeFileSync(path, `${text.slice(0, start)}${block}${text.slice(end + END.length)}`);
}

/** Replaces the generated blocks of the README and docs/benchmarks.md with the references' figures. */
export function writeBenchmarksDoc(root: string): void {
  const blocks = expectedBlocks(root);
  if (blocks) for (const [file, block] of Object.entries(blocks)) replaceBlock(join(root, file), BEGIN, block);
  const closedLoop = expectedClosedLoopBlock(root);
  if (closedLoop) for (const file of ['README.md', 'docs/benchmarks.md']) replaceBlock(join(root, file), CLOSED_LOOP_BEGIN, closedLoop);
}
