/** The bare-Temporal baseline: a workflow that runs the same number of trivial activities and nothing else. */
import { proxyActivities } from '@temporalio/workflow';
import type { BaselineActivities } from './baseline-activities';

const { trivial } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '30s' });

export async function baselineWorkflow(input: { id: string; activities: number }): Promise<string> {
  for (let i = 0; i < input.activities; i++) await trivial(input.id, i);
  return 'done';
}
