/**
 * `npm run bench [-- --quick | --tuning] [-- --reference]`: throughput against bare Temporal,
 * latency at a ladder of arrival rates, an alert storm on in-process workers and one on two worker
 * processes (one killed), replay/decision/compile speed and peak memory. Prints every target beside
 * its figure and writes the figures to bench/results/<timestamp>.json; `--reference` also makes them
 * the committed reference (bench/results/reference.json) that the figures in README.md and
 * docs/benchmarks.md are generated from.
 * `--tuning` measures each dev-server setting against the plain server instead; `--closed-loop` runs
 * the closed loop (bad metric, Prometheus alert, Alertmanager, intake, remediation, live verification)
 * a few times and puts its time beside the seed's MTTR ladder (reference: reference-closed-loop.json).
 * It always exits by itself: a watchdog stops every worker, process and server at its deadline.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPEN_POLICY, startBenchEnv, type BenchEnv } from './env';
import { baselineLatency, engineLatency, type BaselineLatency } from './latency';
import { compileTime, decisions, replay } from './offline';
import { closedLoopBench } from './closed-loop';
import { ladderMarkdown, renderReport, writeBenchmarksDoc, type BenchReport, type ClosedLoopReport } from './report';
import { rssSampler } from './stats';
import { storm } from './storm';
import { highestBoundedRate, judge } from './targets';
import { throughput } from './throughput';
import { tuningComparison } from './tuning';

const args = new Set(process.argv.slice(2));
const MODE = args.has('--quick') ? 'quick' : args.has('--tuning') ? 'tuning' : args.has('--closed-loop') ? 'closed-loop' : 'default';
/** Closed-loop mode: loops one after another, and the deadline its watchdog stops everything at. */
const CLOSED_LOOP = { loops: 5, watchdogMs: 5 * 60_000 };
const root = fileURLToPath(new URL('..', import.meta.url));

const SIZES = {
  quick: {
    throughput: { incidents: 100, services: 10, window: 32, deadlineMs: 150_000 },
    ladder: { rates: [5, 10], seconds: 3, drainMs: 30_000 },
    storm: { incidents: 200, services: 20, seconds: 10, finishWithinMs: 120_000, approvals: 3, failingServices: 2 },
    processStorm: { incidents: 100, services: 10, seconds: 10, finishWithinMs: 120_000, approvals: 0, failingServices: 1, processes: 2 },
    replayRepeat: 2,
    decideMs: 500,
    compileRuns: 5,
    watchdogMs: 12 * 60_000,
  },
  default: {
    throughput: { incidents: 1000, services: 200, window: 64, deadlineMs: 600_000 },
    ladder: { rates: [5, 10, 15, 20, 30], seconds: 10, drainMs: 60_000 },
    storm: { incidents: 5000, services: 20, seconds: 60, finishWithinMs: 300_000, approvals: 10, failingServices: 2 },
    processStorm: { incidents: 2000, services: 20, seconds: 60, finishWithinMs: 300_000, approvals: 0, failingServices: 2, processes: 2 },
    replayRepeat: 10,
    decideMs: 3000,
    compileRuns: 20,
    watchdogMs: 60 * 60_000,
  },
} as const;

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const version = (pkg: string) =>
  (JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

async function main(): Promise<number> {
  const began = Date.now();
  const loads: number[] = [];
  const loadTimer = setInterval(() => loads.push(loadavg()[0]!), 5000);
  loadTimer.unref();
  const loadAtStart = loadavg()[0]!;
  log(`mode ${MODE}; load average ${loadAtStart.toFixed(2)} on ${cpus().length} cores`);
  const machine = () => ({
    cores: cpus().length,
    node: process.version,
    temporalio: version('@temporalio/worker'),
    load: {
      atStart: Number(loadAtStart.toFixed(2)),
      meanDuring: loads.length ? Number((loads.reduce((a, b) => a + b, 0) / loads.length).toFixed(2)) : null,
    },
  });
  if (MODE === 'tuning') {
    const comparison = await tuningComparison(log);
    return save({
      when: new Date(began).toISOString(),
      mode: MODE,
      machine: machine(),
      tuning: comparison,
      totalSeconds: Math.round((Date.now() - began) / 1000),
    });
  }
  if (MODE === 'closed-loop') {
    const watchdog = setTimeout(() => {
      log(`watchdog: the closed-loop run exceeded ${CLOSED_LOOP.watchdogMs / 60_000} min; stopping`);
      process.exit(1);
    }, CLOSED_LOOP.watchdogMs);
    watchdog.unref();
    const measured = await closedLoopBench(log, CLOSED_LOOP.loops);
    clearTimeout(watchdog);
    const report: ClosedLoopReport = {
      when: new Date(began).toISOString(),
      mode: MODE,
      machine: { ...machine(), temporalCli: measured.temporalCli, prometheus: measured.prometheus, alertmanager: measured.alertmanager },
      closedLoop: measured.figures,
      totalSeconds: Math.round((Date.now() - began) / 1000),
    };
    console.log(`\nremediate closed loop\n\n${ladderMarkdown(report, readReference())}`);
    return save({ ...report });
  }
  const sizes = SIZES[MODE];
  const rss = rssSampler();
  const env = await startBenchEnv(log);
  const watchdog = setTimeout(() => {
    log(`watchdog: the run exceeded ${sizes.watchdogMs / 60_000} min; stopping everything`);
    void env.close().finally(() => process.exit(1));
  }, sizes.watchdogMs);
  watchdog.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void env.close().finally(() => process.exit(130)));
  try {
    const figures = await measure(env, sizes);
    const report = {
      when: new Date(began).toISOString(),
      mode: MODE,
      machine: { ...machine(), temporalCli: env.temporalCliVersion, server: env.serverProfile },
      setup: { workflowBundleMs: Math.round(env.bundleMs) },
      ...figures,
      memory: { peakRssMb: Math.round(rss.peak() / 1048576) },
      targets: judge(figures, sizes.storm.finishWithinMs / 1000),
      totalSeconds: Math.round((Date.now() - began) / 1000),
    };
    console.log(renderReport(report));
    return save(report);
  } finally {
    clearTimeout(watchdog);
    rss.stop();
    await env.close();
  }
}

async function measure(env: BenchEnv, sizes: (typeof SIZES)['quick' | 'default']) {
  const engine = await env.startEngine('throughput', OPEN_POLICY);
  log(`1/5 throughput: ${sizes.throughput.incidents} incidents and as many bare workflows, ${sizes.throughput.window} in flight`);
  const tp = await throughput(env, engine, { ...sizes.throughput, eager: true });
  log(`2/5 latency: bare Temporal at ${sizes.ladder.rates.join(', ')}/s, then the engine at the highest rate bare Temporal sustains`);
  const baselineLadder: BaselineLatency[] = [];
  for (const rate of sizes.ladder.rates) {
    const point = await baselineLatency(env, rate, sizes.ladder.seconds, sizes.ladder.drainMs, true);
    baselineLadder.push(point);
    log(`  bare ${rate}/s: first activity p99 ${point.firstActivityMs.p99} ms${point.bounded ? '' : ' (unbounded)'}`);
    if (!point.bounded) break;
  }
  const bounded = highestBoundedRate(baselineLadder);
  const lat = bounded
    ? await engineLatency(env, engine, bounded.ratePerSecond, sizes.ladder.seconds, 20, sizes.ladder.drainMs, true)
    : null;
  log(
    `3/5 storm: ${sizes.storm.incidents} incidents for ${sizes.storm.services} services within ${sizes.storm.seconds} s, ${sizes.storm.approvals} approved mid-storm`,
  );
  const st = await storm(env, sizes.storm, log);
  log(
    `    storm on ${sizes.processStorm.processes} worker processes, one killed: ${sizes.processStorm.incidents} incidents within ${sizes.processStorm.seconds} s`,
  );
  const processStorm = await storm(env, sizes.processStorm, log);
  log('4/5 replay, decisions, compile');
  const cmp = await compileTime(sizes.compileRuns);
  return {
    throughput: tp,
    baselineLadder,
    engineLatency: lat,
    storm: st,
    processStorm,
    offline: {
      replay: await replay(env.engineBundleCode, sizes.replayRepeat),
      decide: decisions(cmp.catalogue, sizes.decideMs),
      compile: { files: cmp.files, runbooks: cmp.runbooks, runs: cmp.runs, ms: cmp.ms },
    },
  };
}

const REFERENCE_FILES: Record<string, string> = { tuning: 'reference-tuning.json', 'closed-loop': 'reference-closed-loop.json' };

function readReference(): BenchReport | undefined {
  const file = join(root, 'bench/results/reference.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BenchReport) : undefined;
}

function save(report: { when: string; mode: string } & Record<string, unknown>): number {
  const dir = join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${report.when.replace(/[:.]/g, '-')}-${report.mode}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nfigures written to ${file}`);
  if (args.has('--reference')) {
    const reference = join(dir, REFERENCE_FILES[report.mode] ?? 'reference.json');
    copyFileSync(file, reference);
    writeBenchmarksDoc(root);
    console.log(`reference updated: ${reference}, the figures in README.md and docs/benchmarks.md regenerated`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
