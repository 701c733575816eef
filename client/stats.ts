/**
 * Per-runbook track record from recorded outcomes, and where the record says the runbook should sit
 * on the seed's trust spectrum (suggest → approval → auto). The seed's rule of thumb: move right when
 * the success rate is above 90% over enough runs; we also move left when it is below.
 * A run is a remediation whose actions ran (remediated, rolled back or failed); pre-check aborts
 * changed nothing and are counted apart.
 */
import type { AutomationMode, CompiledRunbook, Outcome } from '../dsl/types';
import type { StoredRemediation } from './records';

export interface StatsRule {
  /** Runs needed before the record says anything. */
  minRuns: number;
  /** Success rate to beat to move right; below it moves left. */
  threshold: number;
}

export const DEFAULT_RULE: StatsRule = { minRuns: 10, threshold: 0.9 };

const CONFIDENCE_BANDS = [
  { label: '<0.8', min: 0, max: 0.8 },
  { label: '0.8-0.9', min: 0.8, max: 0.9 },
  { label: '>=0.9', min: 0.9, max: Number.POSITIVE_INFINITY },
] as const;

export interface BandStats {
  band: string;
  runs: number;
  remediated: number;
  successRate: number | null;
}

export interface Recommendation {
  move: 'right' | 'left' | 'stay';
  from: AutomationMode;
  to: AutomationMode;
  why: string;
}

export interface RunbookStats {
  runbook: string;
  /** Incidents this runbook was chosen for, whatever happened. */
  matched: number;
  runs: number;
  remediated: number;
  rolledBack: number;
  failed: number;
  aborted: number;
  successRate: number | null;
  bands: BandStats[];
  recommendation: Recommendation;
}

const RAN: ReadonlySet<Outcome> = new Set(['remediated', 'rolled_back', 'failed']);
const SPECTRUM: AutomationMode[] = ['suggest', 'approval', 'auto'];

/** Where a runbook sits today: HIGH risk always asks a human, whatever its mode says. */
export function trustPosition(runbook: Pick<CompiledRunbook, 'mode' | 'risk'>): AutomationMode {
  if (runbook.mode === 'suggest') return 'suggest';
  return runbook.risk === 'HIGH' || runbook.mode === 'approval' ? 'approval' : 'auto';
}

const rate = (remediated: number, runs: number) => (runs === 0 ? null : remediated / runs);
const percent = (value: number) => `${Math.round(value * 1000) / 10}%`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function recommend(
  position: AutomationMode,
  runs: number,
  successRate: number | null,
  risk: CompiledRunbook['risk'],
  rule: StatsRule,
): Recommendation {
  const stay = (why: string): Recommendation => ({ move: 'stay', from: position, to: position, why });
  if (successRate === null || runs < rule.minRuns) return stay(`${plural(runs, 'run')}; the rule needs at least ${rule.minRuns}`);
  const index = SPECTRUM.indexOf(position);
  const measured = `success ${percent(successRate)} over ${plural(runs, 'run')}`;
  if (successRate > rule.threshold) {
    if (index === SPECTRUM.length - 1) return stay(`${measured}; already fully automatic`);
    const to = SPECTRUM[index + 1]!;
    const how =
      to === 'auto' && risk === 'HIGH' ? ' (set mode: auto and a risk below HIGH: HIGH always asks a human)' : ` (set mode: ${to})`;
    return { move: 'right', from: position, to, why: `${measured} > ${percent(rule.threshold)}: move right${how}` };
  }
  if (successRate < rule.threshold) {
    if (index === 0) return stay(`${measured} < ${percent(rule.threshold)}; already only suggested`);
    const to = SPECTRUM[index - 1]!;
    return { move: 'left', from: position, to, why: `${measured} < ${percent(rule.threshold)}: move left (set mode: ${to})` };
  }
  return stay(`${measured} = ${percent(rule.threshold)}: hold`);
}

export function runbookStats(stored: readonly StoredRemediation[], rule: StatsRule = DEFAULT_RULE): RunbookStats[] {
  // Oldest first, so the latest catalogue seen for a runbook is the one its position comes from.
  const byTime = [...stored].sort((a, b) => a.record.startedAtMs - b.record.startedAtMs);
  const groups = new Map<string, { latest: CompiledRunbook; outcomes: { outcome: Outcome; confidence: number }[] }>();
  for (const { record } of byTime) {
    const result = record.closed?.result;
    const runbook = result?.runbook ? record.catalogue.runbooks.find((r) => r.id === result.runbook) : undefined;
    if (!result || !runbook) continue;
    const group = groups.get(runbook.id) ?? { latest: runbook, outcomes: [] };
    group.latest = runbook;
    group.outcomes.push({ outcome: result.outcome, confidence: record.input.incident.confidence });
    groups.set(runbook.id, group);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([id, { latest, outcomes }]) => {
      const count = (outcome: Outcome) => outcomes.filter((o) => o.outcome === outcome).length;
      const ran = outcomes.filter((o) => RAN.has(o.outcome));
      const remediated = count('remediated');
      const bands = CONFIDENCE_BANDS.map((band) => {
        const inBand = ran.filter((o) => o.confidence >= band.min && o.confidence < band.max);
        const ok = inBand.filter((o) => o.outcome === 'remediated').length;
        return { band: band.label, runs: inBand.length, remediated: ok, successRate: rate(ok, inBand.length) };
      });
      const successRate = rate(remediated, ran.length);
      return {
        runbook: id,
        matched: outcomes.length,
        runs: ran.length,
        remediated,
        rolledBack: count('rolled_back'),
        failed: count('failed'),
        aborted: count('aborted'),
        successRate,
        bands,
        recommendation: recommend(trustPosition(latest), ran.length, successRate, latest.risk, rule),
      };
    });
}
