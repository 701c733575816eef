/**
 * Replays every recorded history under test/histories with the current workflow code.
 * A change to workflow logic that is not guarded by `patched()` makes this fail.
 */
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayWorkflowId } from '../../client/replay';
import { HISTORIES_DIR } from '../harness/histories';
import { workflowBundle } from '../harness/temporal';

const files = readdirSync(HISTORIES_DIR)
  .filter((name) => name.endsWith('.json'))
  .sort();

describe('recorded histories replay with the current workflow code', () => {
  it('has recorded histories of the main paths', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
  });

  it.each(files)('%s', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')));
    await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, replayWorkflowId(history, file.replace(/\.json$/, '')));
  });
});
