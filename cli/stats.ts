/**
 * `remediate stats`: each runbook's record from the recorded outcomes, by confidence band, and
 * where the record says it should sit on the trust spectrum (client/stats.ts states the rule).
 */
import type { Command } from 'commander';
import { DEFAULT_RULE, runbookStats, type RunbookStats, type StatsRule } from '../client/stats';
import { EXIT } from './errors';
import { json, table } from './format';
import { duration, positiveInt, ratio } from './options';
import { processIo, type Io } from './output';
import { withSession } from './session';

export interface StatsOptions extends StatsRule {
  since?: number;
  limit: number;
  json?: boolean;
}

export async function runStats(options: StatsOptions, io: Io = processIo): Promise<number> {
  const { readRemediations, remediationQuery } = await import('../client/records');
  const closedSince = options.since === undefined ? undefined : new Date(Date.now() - options.since);
  const query = remediationQuery({ closedOnly: true, closedSince });
  return await withSession(async ({ client }) => {
    const { records } = await readRemediations(client, query, options.limit);
    const rule = { minRuns: options.minRuns, threshold: options.threshold };
    const stats = runbookStats(records, rule);
    if (options.json) {
      io.out(json({ rule, examined: records.length, runbooks: stats }));
      return EXIT.OK;
    }
    io.out(stats.length === 0 ? `no runbook has run yet (${records.length} remediations examined)` : formatStats(stats));
    const threshold = `${Math.round(rule.threshold * 100)}%`;
    io.out(
      `\nrule: move one step right (suggest → approval → auto) when the success rate is above ${threshold} over at least ${rule.minRuns} runs; ` +
        `move one step left when it is below ${threshold}. A run is a remediation whose actions ran (remediated, rolled back or failed).`,
    );
    return EXIT.OK;
  });
}

const pct = (value: number | null) => (value === null ? '-' : `${Math.round(value * 100)}%`);

function formatStats(stats: RunbookStats[]): string {
  const bands = stats[0]!.bands.map((b) => b.band);
  return table(
    [
      'RUNBOOK',
      'MATCHED',
      'RUNS',
      'REMEDIATED',
      'ROLLED BACK',
      'FAILED',
      'ABORTED',
      'SUCCESS',
      ...bands.map((b) => `CONF ${b}`),
      'RECOMMENDATION',
    ],
    stats.map((s) => [
      s.runbook,
      String(s.matched),
      String(s.runs),
      String(s.remediated),
      String(s.rolledBack),
      String(s.failed),
      String(s.aborted),
      pct(s.successRate),
      ...s.bands.map((b) => (b.runs === 0 ? '-' : `${pct(b.successRate)} of ${b.runs}`)),
      s.recommendation.move === 'stay'
        ? `stay ${s.recommendation.from}: ${s.recommendation.why}`
        : `${s.recommendation.from} → ${s.recommendation.to}: ${s.recommendation.why}`,
    ]),
  );
}

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description(
      'Per runbook: runs, remediated, rolled back, failed, success rate by confidence band, and a trust-spectrum recommendation.',
    )
    .option('--since <duration>', 'only remediations closed within this long ago, e.g. 7d', duration)
    .option('--min-runs <n>', 'runs needed before recommending a move', positiveInt, DEFAULT_RULE.minRuns)
    .option('--threshold <rate>', 'success rate to beat to move right; below it moves left', ratio, DEFAULT_RULE.threshold)
    .option('--limit <n>', 'examine at most this many remediations', positiveInt, 1000)
    .option('--json', 'print {rule, examined, runbooks: [...]} as JSON')
    .action(async (options: StatsOptions) => {
      process.exitCode = await runStats(options);
    });
}
