/**
 * Starting the guardrail coordinator is the operator's act (a worker at start, or
 * `remediate guardrails init`), never a remediation's. A coordinator that was terminated or failed
 * comes back from its last recorded state: the closed run is queried (a worker replays its history
 * to answer), so a freeze, open breakers, budgets and leases survive. If that state cannot be read,
 * nothing is started unless the operator explicitly asks for a fresh, empty one.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { GuardrailPolicy, GuardrailState } from '../dsl/guardrail-state';
import type { guardrailCoordinator } from '../workflows/coordinator/coordinator';
import { guardrailStateQuery, type GuardrailLogEntry } from '../contracts/guardrail-messages';
import { EXIT, UserFacingError } from '../dsl/user-facing-error';

export interface CoordinatorSettings {
  workflowId: string;
  /** The coordinator's own task queue, served by a worker of its own. */
  taskQueue: string;
  policy: GuardrailPolicy;
  /** History events before it continues as new (tests lower it). */
  historyLimit?: number;
}

export type CoordinatorStart =
  | { kind: 'running'; runId: string }
  | { kind: 'started'; runId: string }
  | { kind: 'recovered'; runId: string; from: { runId: string; status: string } }
  | { kind: 'started_fresh'; runId: string; discarded?: { runId: string; status: string } };

/** The coordinator was closed and its last state could not be read: starting empty would forget freezes and breakers. */
export class CoordinatorRecoveryError extends UserFacingError {
  override readonly name = 'CoordinatorRecoveryError';
  readonly exitCode = EXIT.FAILED;
  constructor(workflowId: string, status: string, cause: unknown) {
    super(
      `the guardrail coordinator ${workflowId} is ${status.toLowerCase()} and its last state could not be read ` +
        `(${cause instanceof Error ? cause.message : String(cause)}). Nothing was started, so remediations stay blocked. ` +
        'A worker must be running to replay its history; if its state is truly gone, `remediate guardrails init --fresh` starts an empty one.',
    );
  }
}

export async function ensureCoordinator(
  client: Client,
  settings: CoordinatorSettings,
  options: { fresh?: boolean; now?: () => number } = {},
): Promise<CoordinatorStart> {
  const handle = client.workflow.getHandle<typeof guardrailCoordinator>(settings.workflowId);
  let previous: { runId: string; status: string } | undefined;
  try {
    const described = await handle.describe();
    if (described.status.name === 'RUNNING') return { kind: 'running', runId: described.runId };
    previous = { runId: described.runId, status: described.status.name };
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  if (!previous) return { kind: 'started', runId: await start(client, settings, {}) };
  if (options.fresh) {
    const log: GuardrailLogEntry[] = [
      {
        at: iso(options),
        kind: 'recovered',
        detail: `started empty by the operator; run ${previous.runId} (${previous.status}) discarded`,
      },
    ];
    return { kind: 'started_fresh', runId: await start(client, settings, { log }), discarded: previous };
  }
  let recovered: { state: GuardrailState; log: GuardrailLogEntry[] };
  try {
    const view = await client.workflow
      .getHandle<typeof guardrailCoordinator>(settings.workflowId, previous.runId)
      .query(guardrailStateQuery);
    recovered = { state: view.state, log: view.log };
  } catch (error) {
    throw new CoordinatorRecoveryError(settings.workflowId, previous.status, error);
  }
  const log = [
    ...recovered.log,
    { at: iso(options), kind: 'recovered' as const, detail: `state recovered from run ${previous.runId} (${previous.status})` },
  ];
  return { kind: 'recovered', runId: await start(client, settings, { state: recovered.state, log }), from: previous };
}

async function start(
  client: Client,
  settings: CoordinatorSettings,
  carried: { state?: GuardrailState; log?: GuardrailLogEntry[] },
): Promise<string> {
  const handle = await client.workflow.start<typeof guardrailCoordinator>('guardrailCoordinator', {
    workflowId: settings.workflowId,
    taskQueue: settings.taskQueue,
    args: [{ policy: settings.policy, historyLimit: settings.historyLimit, ...carried }],
    // Two workers starting at once: the second finds the first one's run and uses it.
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return handle.firstExecutionRunId;
}

function iso(options: { now?: () => number }): string {
  return new Date((options.now ?? Date.now)()).toISOString();
}
