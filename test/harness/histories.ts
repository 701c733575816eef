/**
 * Recorded workflow histories: `RECORD_HISTORIES=1 npx vitest run --project temporal` rewrites the
 * unprefixed ones from the main-path tests; every normal run replays all of them
 * (test/temporal/replay.test.ts), so a change that would break running workflows fails CI. Files of
 * older code paths are kept, never rewritten, while executions that started on them may be open:
 * - v1-*: remediations before guardrails were shared (no `durable-guardrails` patch);
 * - v2-*: remediations on the update-based guardrail protocol (`durable-guardrails`, before `batched-guardrails`);
 * - v3-*: remediations on the batched protocol with local checks (`batched-guardrails`, `local-checks`),
 *   before `operator-policy` (catalogue and policy in the input, unsigned approval signals);
 * - v4-*: the worker's catalogue and policy and signed approvals (`operator-policy`), before
 *   `incident-limits` and `check-when`;
 * - v1-coordinator-*: the coordinator before `batched-coordinator`;
 * - v2-coordinator-*: the batched coordinator before `bounded-handover`.
 * coordinator-* are the coordinator's own, from the storm and cooldown tests; verification-inconclusive
 * (a "no samples" post-check that does not roll back, `inconclusive-verification-no-rollback`) is from
 * test/temporal/prometheus-verification.test.ts, on the dev server; alert-resolved (an alert resolved while
 * its remediation waited for approval: the request withdrawn, `alert-resolved`) is from
 * test/temporal/alertmanager.test.ts, on the dev server.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const HISTORIES_DIR = join(import.meta.dirname, '../histories');

export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  writeFileSync(join(HISTORIES_DIR, `${name}.json`), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
}
