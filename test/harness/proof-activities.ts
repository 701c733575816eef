import { Context } from '@temporalio/activity';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export async function stamp(label: string): Promise<string> {
  return `${label}@attempt${Context.current().info.attempt}`;
}

/**
 * Marks its start on disk (so a test knows when to kill the worker), then heartbeats for 3 s.
 * The first attempt is the one the test kills; a later attempt runs on the restarted worker.
 */
export async function slowStep(markerDir: string): Promise<{ attempts: number }> {
  const { attempt } = Context.current().info;
  mkdirSync(markerDir, { recursive: true });
  writeFileSync(join(markerDir, `attempt-${attempt}-pid-${process.pid}`), '');
  for (let i = 0; i < 6; i++) {
    Context.current().heartbeat(i);
    await Context.current().sleep(500);
  }
  return { attempts: attempt };
}
