/**
 * `npm run bench [-- --quick]`: throughput against bare Temporal, latency at fixed arrival rates,
 * an alert storm, replay/decision/compile speed and peak memory, in one process so the figures are
 * comparable. Prints a table and writes the same figures to bench/results/<timestamp>.json.
 * A missed target is reported, never a failure: the exit code is non-zero only when the run broke.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBenchEnv } from './env';
import { compileTime, decisions, replay } from './offline';
import { latency, storm, throughput } from './scenarios';
import { rssSampler } from './stats';
import { describeStuck } from './stuck';

const quick = process.argv.includes('--quick');
const full = !quick && process.argv.includes('--full');
const root = fileURLToPath(new URL('..', import.meta.url));

const CONFIG = quick
  ? { incidents: 100, services: 20, window: 64, throughputDeadlineMs: 150_000, latencyDrainMs: 60_000, latency: [{ rate: 10, seconds: 3 }], storm: { incidents: 200, services: 20, seconds: 10, drainMs: 120_000 }, replayRepeat: 2, decideMs: 500, compileRuns: 5 }
  : full
    ? { incidents: 2000, services: 200, window: 64, throughputDeadlineMs: 900_000, latencyDrainMs: 180_000, latency: [{ rate: 20, seconds: 15 }, { rate: 50, seconds: 15 }], storm: { incidents: 5000, services: 20, seconds: 60, drainMs: 600_000 }, replayRepeat: 10, decideMs: 3000, compileRuns: 20 }
    : // Reduced from the issue's sizes (2000 incidents, a 5000-incident storm: `--full`), which do not fit in 15 minutes on a 2-core machine.
      { incidents: 1000, services: 200, window: 64, throughputDeadlineMs: 420_000, latencyDrainMs: 120_000, latency: [{ rate: 5, seconds: 10 }, { rate: 20, seconds: 10 }, { rate: 50, seconds: 10 }], storm: { incidents: 2000, services: 20, seconds: 60, drainMs: 300_000 }, replayRepeat: 10, decideMs: 3000, compileRuns: 20 };
const MODE = quick ? 'quick' : full ? 'full' : 'default';
const REDUCED_NOTE = MODE === 'default' ? 'default sizes reduced from the issue\'s (2000 incidents, 5000-incident storm) to fit 15 minutes on 2 cores; --full runs those' : undefined;

const TARGETS = { throughputRatio: 0.8, firstActionP99Ms: 200, firstActionP99AtRate: 20, guardrailViolations: 0, lost: 0 };

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const version = (pkg: string) => (JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

async function main() {
  const rss = rssSampler();
  const began = Date.now();
  const loadAtStart = loadavg()[0]!;
  const loads: number[] = [];
  const loadTimer = setInterval(() => loads.push(loadavg()[0]!), 5000);
  loadTimer.unref();
  log(`mode ${MODE}; load average ${loadAtStart.toFixed(2)} on ${cpus().length} cores; starting dev server, bundle and workers`);
  if (REDUCED_NOTE) log(REDUCED_NOTE);
  const env = await startBenchEnv(log);
  // Interrupted: stop the dev server this process started before exiting.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void env.close().finally(() => process.exit(130)));
  try {
    log(`1/5 throughput: ${CONFIG.incidents} incidents across ${CONFIG.services} services, and as many bare workflows, ${CONFIG.window} in flight`);
    const tp = await throughput(env, CONFIG.incidents, CONFIG.services, CONFIG.window, CONFIG.throughputDeadlineMs);
    const lat = [];
    for (const { rate, seconds } of CONFIG.latency) {
      log(`2/5 latency at ${rate}/s for ${seconds} s`);
      lat.push(await latency(env, rate, seconds, CONFIG.services, CONFIG.latencyDrainMs));
    }
    log(`3/5 storm: ${CONFIG.storm.incidents} incidents for ${CONFIG.storm.services} services within ${CONFIG.storm.seconds} s`);
    const st = await storm(env, CONFIG.storm.incidents, CONFIG.storm.services, CONFIG.storm.seconds, CONFIG.storm.drainMs);
    if (st.leftRunning > 0) await describeStuck(env, log);
    log('4/5 replay, decisions, compile');
    const cmp = await compileTime(CONFIG.compileRuns);
    const dec = decisions(cmp.catalogue, CONFIG.decideMs);
    const rep = await replay(env.engineBundleCode, CONFIG.replayRepeat);
    const peakRss = rss.peak();
    rss.stop();
    clearInterval(loadTimer);

    const at20 = lat.find((l) => l.ratePerSecond === TARGETS.firstActionP99AtRate);
    const report = {
      when: new Date(began).toISOString(),
      mode: MODE,
      note: REDUCED_NOTE,
      machine: { cores: cpus().length, node: process.version, temporalio: version('@temporalio/worker'), temporalCli: env.temporalCliVersion },
      /** Other processes compete for the cores; a load average above the core count depresses every figure. */
      load: { atStart: Number(loadAtStart.toFixed(2)), meanDuring: loads.length ? Number((loads.reduce((a, b) => a + b, 0) / loads.length).toFixed(2)) : null },
      setup: { workflowBundleMs: Math.round(env.bundleMs) },
      throughput: tp,
      latency: lat,
      storm: st,
      replay: { replay: rep, decide: dec, compile: { files: cmp.files, runbooks: cmp.runbooks, runs: cmp.runs, ms: cmp.ms } },
      memory: { peakRssMb: Math.round(peakRss / 1048576) },
      targets: {
        throughputRatio: { target: `>= ${TARGETS.throughputRatio}`, value: tp.ratio, met: tp.ratio >= TARGETS.throughputRatio },
        firstActionP99At20: {
          target: `< ${TARGETS.firstActionP99Ms} ms at ${TARGETS.firstActionP99AtRate}/s`,
          value: at20?.firstActionMs.p99 ?? null,
          met: at20 ? (at20.firstActionMs.p99 ?? Infinity) < TARGETS.firstActionP99Ms : null,
          note: at20 ? undefined : `not measured at ${TARGETS.firstActionP99AtRate}/s in this mode`,
        },
        guardrailViolations: { target: 0, value: st.guardrailViolations, met: st.guardrailViolations === 0 && st.violationsAtTarget === 0 },
        lostIncidents: { target: 0, value: st.lost, met: st.lost === 0 },
      },
      totalSeconds: Math.round((Date.now() - began) / 1000),
    };
    print(report);
    const dir = join(root, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${report.when.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nfigures written to ${file}`);
  } finally {
    await env.close();
  }
}

type Report = {
  mode: string;
  note?: string;
  load: { atStart: number; meanDuring: number | null };
  machine: Record<string, unknown>;
  throughput: Awaited<ReturnType<typeof throughput>>;
  latency: Awaited<ReturnType<typeof latency>>[];
  storm: Awaited<ReturnType<typeof storm>>;
  replay: { replay: Awaited<ReturnType<typeof replay>>; decide: ReturnType<typeof decisions>; compile: { files: number; runbooks: number; ms: { p50: number | null } } };
  memory: { peakRssMb: number };
  targets: Record<string, { target: unknown; value: unknown; met: boolean | null }>;
  totalSeconds: number;
};

function print(r: Report) {
  const rows: Array<[string, string, string]> = [];
  const mark = (met: boolean | null) => (met === null ? 'n/a' : met ? 'met' : 'MISSED');
  const t = r.targets;
  const ms = (v: number | null) => (v === null ? '-' : `${Math.round(v)} ms`);
  rows.push(['1. throughput: engine', `${r.throughput.engine.perSecond} wf/s (${r.throughput.incidents} in ${r.throughput.engine.seconds} s, ${r.throughput.window} in flight, ${r.throughput.engine.remediated} remediated${Object.keys(r.throughput.engine.otherOutcomes).length ? `; ${Object.entries(r.throughput.engine.otherOutcomes).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''})`, '']);
  rows.push(['   throughput: baseline', `${r.throughput.baseline.perSecond} wf/s (${r.throughput.baseline.activitiesPerWorkflow} activities each)`, '']);
  const a = r.throughput.anatomy;
  rows.push(['   per workflow (events/wf tasks/activities)', `engine ${a.engine.events}/${a.engine.workflowTasks}/${a.engine.activities}, baseline ${a.baseline.events}/${a.baseline.workflowTasks}/${a.baseline.activities} (+ coordinator tasks)`, '']);
  rows.push(['   engine / baseline', `${r.throughput.ratio}`, `>= 0.8 ${mark(t.throughputRatio!.met)}`]);
  for (const l of r.latency) {
    const target = l.ratePerSecond === 20 ? `p99 < 200 ms ${mark(t.firstActionP99At20!.met)}` : '';
    rows.push([`2. latency ${l.ratePerSecond}/s: first action`, `p50 ${ms(l.firstActionMs.p50)}, p95 ${ms(l.firstActionMs.p95)}, p99 ${ms(l.firstActionMs.p99)} (n=${l.firstActionMs.count})`, target]);
    rows.push([`   latency ${l.ratePerSecond}/s: verified outcome`, `p50 ${ms(l.verifiedOutcomeMs.p50)}, p95 ${ms(l.verifiedOutcomeMs.p95)}, p99 ${ms(l.verifiedOutcomeMs.p99)} (not remediated: ${l.notRemediated}, of which unfinished in time: ${l.timedOut})`, '']);
    for (const [stage, p50] of Object.entries(l.stagesP50Ms)) rows.push([`     p50 ${stage.split(' (')[0]}`, ms(p50), '']);
    const b = l.baseline;
    rows.push([`   bare Temporal ${l.ratePerSecond}/s: first activity`, `p50 ${ms(b.firstActivityMs.p50)}, p95 ${ms(b.firstActivityMs.p95)}, p99 ${ms(b.firstActivityMs.p99)} (n=${b.firstActivityMs.count})`, '']);
    rows.push([`   bare Temporal ${l.ratePerSecond}/s: completed`, `p50 ${ms(b.completedMs.p50)}, p95 ${ms(b.completedMs.p95)}, p99 ${ms(b.completedMs.p99)} (unfinished in time: ${b.unfinished})`, '']);
  }
  if (!r.latency.some((l) => l.ratePerSecond === 20)) rows.push(['   (20/s not run in this mode)', '', `p99 < 200 ms n/a`]);
  const s = r.storm;
  rows.push(['3. storm', `${s.incidents} incidents, ${s.services} services, ${s.withinSeconds} s; drained in ${s.drainSeconds} s`, '']);
  rows.push(['   outcomes', Object.entries(s.outcomes).map(([k, v]) => `${k} ${v}`).join(', '), '']);
  rows.push(['   duplicates attached', `${s.duplicatesAttached} / ${s.duplicatesSubmitted}`, '']);
  rows.push(['   executions (max_per_hour ' + s.maxPerHour + ')', `${s.executions}`, '']);
  rows.push(['   guardrail violations', `${s.guardrailViolations} (at the target: ${s.violationsAtTarget} over ${s.actionsAtTarget} actions)`, `0 ${mark(t.guardrailViolations!.met)}`]);
  rows.push(['   lost incidents', `${s.lost} (left running ${s.leftRunning})`, `0 ${mark(t.lostIncidents!.met)}`]);
  rows.push(['   approval signal -> first action', ms(s.approvalToFirstActionMs), '']);
  const rp = r.replay;
  rows.push(['4. replay', `${rp.replay.perSecond} histories/s (${rp.replay.replayed} replayed, ${rp.replay.failed} failed)`, '']);
  rows.push(['   decide (pure)', `${rp.decide.perSecond} decisions/s`, '']);
  rows.push(['   compile runbooks/', `p50 ${rp.compile.ms.p50} ms (${rp.compile.files} files, ${rp.compile.runbooks} runbooks)`, '']);
  rows.push(['5. peak RSS (workers + client)', `${r.memory.peakRssMb} MB`, '']);
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  console.log(`\nremediate benchmark (${r.mode}) — ${Object.entries(r.machine).map(([k, v]) => `${k} ${v}`).join(', ')}; ${r.totalSeconds} s`);
  console.log(`load average ${r.load.atStart} at start, ${r.load.meanDuring ?? '-'} during (other processes share the cores)`);
  if (r.note) console.log(`note: ${r.note}`);
  console.log(`${'figure'.padEnd(w[0]!)}  ${'measured'.padEnd(w[1]!)}  target`);
  for (const row of rows) console.log(`${row[0].padEnd(w[0]!)}  ${row[1].padEnd(w[1]!)}  ${row[2]}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
