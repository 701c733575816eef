/**
 * `remediate backtest --runbooks NEW_PATH [--since DURATION]`: how a policy change would have decided
 * the incidents already handled (client/backtest.ts), as a table of the decisions it changes.
 */
import type { Command } from 'commander';
import type { BacktestRow, DecisionView } from '../client/backtest';
import { EXIT } from './errors';
import { json, table } from './format';
import { duration, positiveInt } from './options';
import { processIo, type Io } from './output';
import { readCatalogue } from './read-input';
import { withSession } from './session';

export interface BacktestOptions {
  runbooks: string;
  since?: number;
  limit: number;
  json?: boolean;
}

export async function runBacktest(options: BacktestOptions, io: Io = processIo): Promise<number> {
  const proposed = await readCatalogue(options.runbooks);
  const { readRemediations, remediationQuery } = await import('../client/records');
  const { backtest } = await import('../client/backtest');
  const closedSince = options.since === undefined ? undefined : new Date(Date.now() - options.since);
  const query = remediationQuery({ closedOnly: true, closedSince });
  return await withSession(async ({ client }) => {
    const { records, skipped } = await readRemediations(client, query, options.limit);
    const rows = backtest(records, proposed);
    const changed = rows.filter((r) => r.changed);
    const versionChanged = rows.filter((r) => r.versionChanged).length;
    if (options.json) {
      io.out(
        json({ runbooks: options.runbooks, catalogueVersion: proposed.version, examined: rows.length, changed, versionChanged, skipped }),
      );
      return EXIT.OK;
    }
    const scope = closedSince ? ` closed since ${closedSince.toISOString()}` : '';
    io.out(
      `${options.runbooks} (catalogue ${proposed.version.slice(0, 12)}) against ${rows.length} recorded remediation${rows.length === 1 ? '' : 's'}${scope}: ${changed.length} decision${changed.length === 1 ? '' : 's'} would change`,
    );
    if (changed.length > 0) io.out(`\n${formatRows(changed)}`);
    if (versionChanged > 0) io.out(`\n${versionChanged} more would run the same runbook with changed content (a different plan).`);
    for (const skip of skipped) io.err(`skipped ${skip.workflowId}: ${skip.reason}`);
    return EXIT.OK;
  });
}

function describe(view: DecisionView): string {
  return view.runbook ? `${view.decision} ${view.runbook}` : view.decision;
}

function formatRows(rows: BacktestRow[]): string {
  return table(
    ['INCIDENT', 'STARTED', 'CONFIDENCE', 'OUTCOME', 'WAS', 'WOULD BE', 'WHY'],
    rows.map((r) => [
      r.incidentId,
      r.startedAt.slice(0, 19).replace('T', ' '),
      String(r.confidence),
      r.outcome ?? '-',
      describe(r.recorded),
      describe(r.proposed),
      r.proposed.reason,
    ]),
  );
}

export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description('Decide the recorded incidents again with new runbooks and show which decisions would change.')
    .requiredOption('--runbooks <path>', 'the proposed runbook file or folder')
    .option('--since <duration>', 'only remediations closed within this long ago, e.g. 12h or 7d', duration)
    .option('--limit <n>', 'examine at most this many remediations', positiveInt, 1000)
    .option('--json', 'print {examined, changed: [...], versionChanged, skipped} as JSON')
    .addHelpText(
      'after',
      '\nEach incident is decided twice with the same empty guardrail state at its start time: once with the\ncatalogue recorded in its history, once with the proposed one. Only the runbooks differ.',
    )
    .action(async (options: BacktestOptions) => {
      process.exitCode = await runBacktest(options);
    });
}
