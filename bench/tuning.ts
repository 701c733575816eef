/**
 * `npm run bench -- --tuning`: each dev-server setting of the embedded default, added one at a time
 * to the plain server, measured by the same throughput run for bare Temporal and the engine.
 */
import { DEV_SERVER_TUNING } from '../toolchain/dev-server';
import { OPEN_POLICY, startBenchEnv } from './env';
import { throughput } from './throughput';

export interface TuningStep {
  settings: string;
  bareWorkflowsPerSecond: number;
  engineWorkflowsPerSecond: number;
  ratio: number;
}

const SIZE = { incidents: 300, services: 30, window: 32, deadlineMs: 300_000 };

export async function tuningComparison(log: (line: string) => void): Promise<TuningStep[]> {
  const steps: TuningStep[] = [];
  const args: string[] = [];
  for (const [i, setting] of [
    { name: 'plain (temporal server start-dev defaults)', args: [] as readonly string[] },
    ...DEV_SERVER_TUNING,
  ].entries()) {
    args.push(...setting.args);
    const name = i === 0 ? setting.name : `+ ${setting.name}`;
    log(`tuning ${i + 1}/${DEV_SERVER_TUNING.length + 1}: ${name}`);
    const env = await startBenchEnv(log, 'plain', args);
    try {
      const engine = await env.startEngine(`tuning-${i}`, OPEN_POLICY);
      // Eager workflow start only helps once the server allows it; asking before that is refused quietly.
      const figures = await throughput(env, engine, { ...SIZE, eager: args.includes('system.enableEagerWorkflowStart=true') });
      steps.push({
        settings: name,
        bareWorkflowsPerSecond: figures.baseline.perSecond,
        engineWorkflowsPerSecond: figures.engine.perSecond,
        ratio: figures.ratio,
      });
      log(`  bare ${figures.baseline.perSecond} wf/s, engine ${figures.engine.perSecond} wf/s`);
    } finally {
      await env.close();
    }
  }
  return steps;
}
