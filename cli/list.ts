/** `remediate list`: remediations by visibility query, filtered by outcome, runbook and service. */
import { Option, type Command } from 'commander';
import type { Outcome } from '../dsl/types';
import { EXIT } from './errors';
import { json, table } from './format';
import { positiveInt } from './options';
import { processIo, type Io } from './output';
import { withSession } from './session';

const OUTCOMES: Outcome[] = ['remediated', 'rolled_back', 'failed', 'aborted', 'manual', 'blocked', 'rejected', 'expired'];

export interface ListOptions {
  outcome?: Outcome;
  runbook?: string;
  service?: string;
  limit: number;
  json?: boolean;
}

export async function runList(options: ListOptions, io: Io = processIo): Promise<number> {
  const { listRemediations, remediationQuery } = await import('../client/records');
  const query = remediationQuery({ outcome: options.outcome, runbook: options.runbook, service: options.service });
  return await withSession(async ({ client }) => {
    const rows = await listRemediations(client, query, options.limit);
    if (options.json) {
      io.out(json(rows));
    } else if (rows.length === 0) {
      io.out('no remediations match');
    } else {
      const dash = (value: string | null) => value ?? '-';
      io.out(
        table(
          ['WORKFLOW', 'STATUS', 'STARTED', 'SERVICE', 'RUNBOOK', 'DECISION', 'OUTCOME'],
          rows.map((r) => [
            r.workflowId,
            r.status.toLowerCase(),
            r.startTime.slice(0, 19).replace('T', ' '),
            dash(r.service),
            dash(r.runbook),
            dash(r.decision),
            dash(r.outcome),
          ]),
        ),
      );
    }
    return EXIT.OK;
  });
}

export function registerList(program: Command): void {
  program
    .command('list')
    .description('List remediations, most recent first (through visibility: a just-finished one may take a moment to appear).')
    .addOption(new Option('--outcome <outcome>', 'only this outcome').choices(OUTCOMES))
    .option('--runbook <id>', 'only remediations by this runbook')
    .option('--service <name>', 'only remediations of this service')
    .option('--limit <n>', 'at most this many', positiveInt, 50)
    .option('--json', 'print an array of {workflowId, runId, status, startTime, closeTime, service, runbook, decision, outcome}')
    .action(async (options: ListOptions) => {
      process.exitCode = await runList(options);
    });
}
