/**
 * `npm run bench -- --closed-loop`: the closed loop of test/temporal/closed-loop.test.ts (the same rig,
 * bench/closed-loop-rig.ts) run a few times on the bench's own dev server, real Prometheus and real
 * Alertmanager, one loop after another, each on a deployment of its own. Reports each stage's p50 and
 * max and the total from the metric going bad to the verified fix, with the settings that bound it.
 */
import { ensureAlertmanager, ensurePrometheus } from '../toolchain';
import {
  CLOSED_LOOP_TIMING,
  FIRING_POLL_MS,
  startClosedLoop,
  type ClosedLoopTiming,
  type LoopRun,
  type LoopStage,
} from './closed-loop-rig';
import { OPEN_POLICY, startBenchEnv } from './env';
import { percentiles } from './stats';

export const CLOSED_LOOP_STAGES: ReadonlyArray<{ from: LoopStage; to: LoopStage; name: string }> = [
  { from: 'metricBad', to: 'scraped', name: 'metric bad -> scraped (scrape interval)' },
  { from: 'scraped', to: 'pending', name: 'scraped -> alert pending (rule evaluation interval)' },
  { from: 'pending', to: 'firing', name: 'pending -> firing (`for`; seen by a poll)' },
  { from: 'firing', to: 'delivered', name: 'firing -> delivered to the intake (group_wait)' },
  { from: 'delivered', to: 'started', name: 'delivered -> remediation started (mapping, submission)' },
  { from: 'started', to: 'firstAction', name: 'started -> first action (decision, pre-check)' },
  { from: 'firstAction', to: 'verified', name: 'first action -> verified fix (scrape, hold_for)' },
  // The alert resolves while hold_for still runs: this stage starts at the action, not at the verified fix.
  {
    from: 'firstAction',
    to: 'resolvedDelivered',
    name: 'first action -> resolved delivered (scrape, evaluation, group_interval; alongside hold_for)',
  },
];

export interface StageFigure {
  stage: string;
  p50Ms: number | null;
  maxMs: number | null;
}

export interface ClosedLoopFigures {
  loops: number;
  remediated: number;
  timing: ClosedLoopTiming;
  firingPollMs: number;
  stages: StageFigure[];
  metricBadToFirstAction: StageFigure;
  metricBadToVerifiedFix: StageFigure;
  deliveredToVerifiedFix: StageFigure;
  metricBadToResolved: StageFigure;
  /** for + group_wait + hold_for: what the settings alone put on every loop, before any scrape or evaluation wait. */
  settingsFloorMs: number;
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
const seconds = (d: string) => {
  const [, value, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d) ?? [];
  return Number(value) * (UNIT_SECONDS[unit ?? ''] ?? Number.NaN);
};

export async function closedLoopBench(log: (line: string) => void, loops: number) {
  const [prometheus, alertmanager] = [await ensurePrometheus(log), await ensureAlertmanager(log)];
  const env = await startBenchEnv(log);
  try {
    const rig = await startClosedLoop({
      client: env.client,
      prometheusBinary: prometheus.path,
      alertmanagerBinary: alertmanager.path,
      startWorker: async (catalogue, activities) => {
        const engine = await env.startEngine('closed-loop', OPEN_POLICY, { catalogue, activities });
        return { taskQueue: engine.taskQueue, stop: async () => undefined };
      },
    });
    const runs: LoopRun[] = [];
    try {
      const tag = Date.now().toString(36);
      for (let i = 0; i < loops; i++) {
        const run = await rig.runLoop(`loop-${tag}-${i}`);
        log(`loop ${i + 1}/${loops}: ${run.result.outcome}, metric bad to verified fix ${run.stamps.verified - run.stamps.metricBad} ms`);
        runs.push(run);
      }
    } finally {
      await rig.close();
    }
    const figure = (stage: string, from: LoopStage, to: LoopStage): StageFigure => {
      const p = percentiles(runs.map((r) => r.stamps[to] - r.stamps[from]).filter(Number.isFinite));
      return { stage, p50Ms: p.p50, maxMs: p.max };
    };
    const t = CLOSED_LOOP_TIMING;
    const figures: ClosedLoopFigures = {
      loops,
      remediated: runs.filter((r) => r.result.outcome === 'remediated').length,
      timing: t,
      firingPollMs: FIRING_POLL_MS,
      stages: CLOSED_LOOP_STAGES.map((s) => figure(s.name, s.from, s.to)),
      metricBadToFirstAction: figure('metric bad -> first action', 'metricBad', 'firstAction'),
      metricBadToVerifiedFix: figure('metric bad -> verified fix', 'metricBad', 'verified'),
      deliveredToVerifiedFix: figure('delivered to the intake -> verified fix (the engine)', 'delivered', 'verified'),
      metricBadToResolved: figure('metric bad -> resolved delivered', 'metricBad', 'resolvedDelivered'),
      settingsFloorMs: Math.round((seconds(t.for) + seconds(t.groupWait) + seconds(t.holdFor)) * 1000),
    };
    return { figures, temporalCli: env.temporalCliVersion, prometheus: prometheus.version, alertmanager: alertmanager.version };
  } finally {
    await env.close();
  }
}
