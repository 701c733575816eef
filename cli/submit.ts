/**
 * `remediate submit INCIDENT.json|-`: validates the incident before anything starts, then starts
 * (or attaches to) the incident's remediation. The worker decides with its own catalogue and policy;
 * a submission carries the incident and, with --key, the submitter's signature (so they cannot
 * approve their own incident). `--wait` follows it step by step: exit 0 when remediated, 1 otherwise.
 */
import type { Command } from 'commander';
import { EXIT } from './errors';
import { formatEvent } from '../client/event-line';
import { json } from './format';
import { processIo, type Io } from './output';
import { readIncident } from './read-input';
import { withSession } from './session';

export interface SubmitOptions {
  key?: string;
  wait?: boolean;
  json?: boolean;
}

export async function runSubmit(incidentPath: string, options: SubmitOptions, io: Io = processIo): Promise<number> {
  const incident = await readIncident(incidentPath);
  const { submitIncident } = await import('../client/submit');
  const { signSubmission } = await import('../client/signing');
  const signed = options.key ? await signSubmission(options.key, incident) : undefined;
  return await withSession(async ({ client, settings }) => {
    const submission = await submitIncident(client, { incident, ...(signed ? { submission: signed } : {}), taskQueue: settings.taskQueue });
    const summary = { incidentId: incident.id, workflowId: submission.workflowId, attached: submission.attached };
    if (!options.json) {
      io.out(
        submission.attached
          ? `${submission.workflowId}: attached to the remediation already handling ${incident.id} (nothing new started)`
          : `${submission.workflowId}: started on task queue "${settings.taskQueue}"${signed ? ' (signed)' : ' (unsigned: no authenticated submitter)'}`,
      );
    }
    if (!options.wait) {
      if (options.json) io.out(json(summary));
      else io.out(`follow it with: remediate status ${incident.id}   (or submit --wait)`);
      return EXIT.OK;
    }
    const { followRemediation } = await import('../client/follow');
    const { ProgressDisplay } = await import('./progress');
    const display = options.json ? undefined : new ProgressDisplay(process.stdout);
    const result = await followRemediation(submission.handle, {
      onEvent: (event) => display?.line(formatEvent(event)),
      onStatus: (status) => display?.status(status),
      onNoAnswer: () =>
        display?.line(`no worker answered on task queue "${settings.taskQueue}" yet; start one with \`remediate worker\` (still waiting)`),
    }).finally(() => display?.done());
    // Following ends early only when its abort signal fires, and submit passes none.
    if (result === undefined) throw new Error('following the remediation stopped before its outcome');
    if (options.json) io.out(json({ ...summary, result }));
    else io.out(`outcome: ${result.outcome}`);
    return result.outcome === 'remediated' ? EXIT.OK : EXIT.FAILED;
  });
}

export function registerSubmit(program: Command): void {
  program
    .command('submit')
    .description('Start the remediation of an incident (or attach to the one already handling it); --wait follows it to its outcome.')
    .argument('<incident>', 'incident JSON file, or - for stdin')
    .option('--key <path>', 'your SSH private key: signs the submission, so the worker knows who submitted it')
    .option('--wait', 'follow the remediation step by step; exit 0 when remediated, 1 otherwise')
    .option('--json', 'print {incidentId, workflowId, attached} (with --wait: and the result) as JSON')
    .addHelpText(
      'after',
      "\nThe runbooks, approvers and limits are the worker's (remediate worker --runbooks DIR, REMEDIATE_POLICY_FILE), never the submitter's.",
    )
    .action(async (incident: string, options: SubmitOptions) => {
      process.exitCode = await runSubmit(incident, options);
    });
}
