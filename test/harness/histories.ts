/**
 * Recorded workflow histories: `RECORD_HISTORIES=1 npx vitest run --project temporal` rewrites them
 * (files named v1-* were recorded before durable guardrails and prove the `patched()` path)
 * from the main-path tests; every normal run replays them (test/temporal/replay.test.ts), so a change
 * that would break running workflows fails CI. coordinator-* are the guardrail coordinator's, from the
 * storm and cooldown tests.
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
