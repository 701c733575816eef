/**
 * `remediate guardrails`: the shared guardrail state held by the coordinator workflow (breakers,
 * rate-limit windows, cooldowns, leases, freeze), and the operator's levers on it: reset a breaker,
 * freeze and unfreeze automation. `--snapshot` prints the shape `remediate plan --state` accepts.
 */
import type { Command } from 'commander';
import type { GuardrailView } from '../contracts/guardrail-messages';
import { EXIT, UsageError } from './errors';
import { json } from './format';
import { processIo, type Io } from './output';
import { withSession } from './session';
import type { WorkflowHandle } from '@temporalio/client';

async function coordinatorId(): Promise<string> {
  const { guardrailSettings, temporalSettings } = await import('../worker/config');
  return guardrailSettings(temporalSettings().taskQueue).workflowId;
}

async function withCoordinator<T>(run: (handle: WorkflowHandle) => Promise<T>): Promise<T> {
  const { WorkflowNotFoundError } = await import('@temporalio/client');
  const id = await coordinatorId();
  return await withSession(async (session) => {
    const handle = session.client.workflow.getHandle(id);
    try {
      // A closed run still answers queries (a worker replays it), which would show a state nothing enforces.
      const { status } = await handle.describe();
      if (status.name !== 'RUNNING') {
        throw new UsageError(
          `the guardrail coordinator ${id} is ${status.name.toLowerCase()}: remediations do not act until \`remediate guardrails init\` starts it again from its last state`,
        );
      }
      return await run(handle);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        throw new UsageError(
          `no guardrail coordinator ${id} is running: a worker starts it when it starts, or run \`remediate guardrails init\``,
        );
      }
      throw error;
    }
  });
}

function formatView(view: GuardrailView): string {
  const { state, policy } = view;
  const t = (ms: number) => new Date(ms).toISOString();
  const lines = [
    `limits     ${policy.limits.maxConcurrent} remediations at once, ${policy.limits.maxServices} service(s) at once; failure budget ${policy.failureBudget.maxFailures} per service per ${policy.failureBudget.windowMs / 60000} min`,
    `freeze     ${state.freeze ? `by ${state.freeze.by} since ${t(state.freeze.sinceMs)}${state.freeze.untilMs ? ` until ${t(state.freeze.untilMs)}` : ''}: ${state.freeze.reason}` : 'none'}`,
    'breakers',
    ...Object.entries(state.breakers).map(
      ([id, b]) =>
        `  ${id}: ${b.state}, ${b.consecutiveFailures} consecutive failure(s)${b.openedAtMs ? `, opened ${t(b.openedAtMs)}` : ''}`,
    ),
    'active',
    ...Object.values(state.leases).map(
      (l) =>
        `  ${l.incidentId} ${l.runbook} on ${l.services.join(',')} since ${t(l.acquiredAtMs)} (lease until ${t(l.expiresAtMs)})${l.trial ? ' [trial]' : ''}`,
    ),
    'waiting for a slot (approved)',
    ...(state.waiting ?? []).map(
      (w) => `  ${w.request.incidentId} ${w.request.runbook.id} on ${w.request.incident.service} since ${t(w.queuedAtMs)}`,
    ),
    'runs in the last hour',
    ...Object.entries(state.executions).map(
      ([key, times]) => `  ${key}: ${times.length}${state.cooldowns[key] ? `, cooldown until ${t(state.cooldowns[key])}` : ''}`,
    ),
    'recent decisions',
    ...view.log
      .slice(-10)
      .map((e) => `  ${e.at} ${e.kind}${e.incidentId ? ` ${e.incidentId}` : ''}${e.runbook ? ` ${e.runbook}` : ''}: ${e.detail}`),
  ];
  return lines.join('\n');
}

export async function runShow(options: { json?: boolean; snapshot?: boolean }, io: Io = processIo): Promise<number> {
  const { guardrailStateQuery } = await import('../contracts/guardrail-messages');
  const view = await withCoordinator((handle) => handle.query(guardrailStateQuery));
  io.out(options.snapshot ? json(view.snapshot) : options.json ? json(view) : formatView(view));
  return EXIT.OK;
}

function requireActor(as: string | undefined): string {
  if (!as?.trim()) throw new UsageError('say who you are with --as NAME: guardrail changes are audited');
  return as.trim();
}

/** `guardrails init`: what a worker does at start, for an operator whose coordinator was terminated. */
export async function runInit(options: { fresh?: boolean }, io: Io = processIo): Promise<number> {
  const { guardrailSettings, temporalSettings } = await import('../worker/config');
  const { loadGuardrailPolicy } = await import('../worker/guardrail-policy');
  const { ensureCoordinator } = await import('../client/coordinator');
  const guardrails = guardrailSettings(temporalSettings().taskQueue);
  const policy = loadGuardrailPolicy();
  const started = await withSession((session) => ensureCoordinator(session.client, { ...guardrails, policy }, { fresh: options.fresh }));
  const what = {
    running: 'is already running',
    started: 'started',
    recovered: 'started again from its last recorded state',
    started_fresh: 'started empty; the previous state was discarded',
  }[started.kind];
  io.out(`guardrail coordinator ${guardrails.workflowId} ${what} (run ${started.runId}, task queue ${guardrails.taskQueue})`);
  return EXIT.OK;
}

export function registerGuardrails(program: Command): void {
  const guardrails = program
    .command('guardrails')
    .description(
      'Show the shared guardrail state (breakers, rate limits, cooldowns, active remediations, freeze); change it with the subcommands.',
    )
    .option('--json', 'print the whole state, policy and recent decisions as JSON')
    .option('--snapshot', 'print the snapshot that `remediate plan --state` accepts')
    .action(async (options: { json?: boolean; snapshot?: boolean }) => {
      process.exitCode = await runShow(options);
    });
  guardrails
    .command('init')
    .description(
      'Start the guardrail coordinator if it is not running; a terminated or failed one starts again from its last recorded state (a worker must be running to replay it)',
    )
    .option('--fresh', "discard a closed coordinator's last state and start an empty one (forgets freezes, breakers, budgets and leases)")
    .action(async (options: { fresh?: boolean }) => {
      process.exitCode = await runInit(options);
    });
  guardrails
    .command('reset-breaker')
    .description("Close a runbook's circuit breaker")
    .argument('<runbook>', 'runbook id')
    .requiredOption('--as <name>', 'who resets it (audited)')
    .action(async (runbook: string, options: { as: string }) => {
      const { resetBreakerSignal } = await import('../contracts/guardrail-messages');
      const by = requireActor(options.as);
      await withCoordinator((handle) => handle.signal(resetBreakerSignal, { runbook, by }));
      processIo.out(`breaker of ${runbook} reset by ${by}`);
    });
  guardrails
    .command('revoke')
    .description(
      'Take the guardrail slot back from a remediation (it is stuck, or must stop now): it stops before its next action or rollback step; counted as a failure',
    )
    .argument('<incident>', 'incident id whose remediation holds the slot')
    .requiredOption('--as <name>', 'who revokes it (audited)')
    .requiredOption('--reason <text>', 'why')
    .action(async (incidentId: string, options: { as: string; reason: string }) => {
      const { revokeLeaseSignal } = await import('../contracts/guardrail-messages');
      const by = requireActor(options.as);
      if (!options.reason.trim()) throw new UsageError('--reason: say why the slot is taken back');
      await withCoordinator((handle) => handle.signal(revokeLeaseSignal, { incidentId, by, reason: options.reason.trim() }));
      processIo.out(`slot of ${incidentId} revoked by ${by}: the remediation stops before its next step`);
    });
  guardrails
    .command('freeze')
    .description('Stop all automated execution until unfrozen or the duration passes; approval-mode work still queues for humans')
    .requiredOption('--as <name>', 'who freezes (audited)')
    .requiredOption('--reason <text>', 'why')
    .option('--for <minutes>', 'lift automatically after this many minutes')
    .action(async (options: { as: string; reason: string; for?: string }) => {
      const { freezeSignal } = await import('../contracts/guardrail-messages');
      const by = requireActor(options.as);
      const minutes = options.for === undefined ? undefined : Number(options.for);
      if (minutes !== undefined && !(minutes > 0))
        throw new UsageError(`--for: expected a positive number of minutes, found ${options.for}`);
      // The coordinator stamps the start with its own workflow time; the end is relative to now.
      const untilMs = minutes === undefined ? undefined : Date.now() + minutes * 60_000;
      await withCoordinator((handle) => handle.signal(freezeSignal, { by, reason: options.reason, untilMs }));
      processIo.out(`automation frozen by ${by}${minutes ? ` for ${minutes} min` : ''}`);
    });
  guardrails
    .command('unfreeze')
    .description('Lift a freeze')
    .requiredOption('--as <name>', 'who lifts it (audited)')
    .action(async (options: { as: string }) => {
      const { unfreezeSignal } = await import('../contracts/guardrail-messages');
      const by = requireActor(options.as);
      await withCoordinator((handle) => handle.signal(unfreezeSignal, { by }));
      processIo.out(`automation unfrozen by ${by}`);
    });
}
