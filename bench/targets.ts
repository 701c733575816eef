/**
 * The benchmark's targets, each judged from the figures of one run. A missed target is reported,
 * never a failure of the run; a storm in which nothing ran is a failed storm, not "0 violations".
 */
import type { BaselineLatency, EngineLatency } from './latency';
import type { StormFigures } from './storm';
import type { ThroughputFigures } from './throughput';

export interface TargetResult {
  name: string;
  target: string;
  value: string;
  met: boolean | null;
}

export interface Judged {
  throughput: ThroughputFigures;
  baselineLadder: BaselineLatency[];
  engineLatency: EngineLatency | null;
  storm: StormFigures;
  processStorm: StormFigures | null;
}

const ms = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${Math.round(v)} ms`);

export function highestBoundedRate(ladder: BaselineLatency[]): BaselineLatency | undefined {
  return [...ladder].filter((l) => l.bounded).sort((a, b) => b.ratePerSecond - a.ratePerSecond)[0];
}

function stormTargets(name: string, s: StormFigures, finishWithinS: number): TargetResult[] {
  const ran = !s.nothingRan;
  const v = s.atTarget.violations;
  return [
    { name: `${name}: something ran`, target: 'at least one action', value: `${s.atTarget.acted} incidents acted`, met: ran },
    {
      name: `${name}: guardrail violations`,
      target: '0',
      value: `${v.total} (rate ${v.rate}, concurrency ${v.concurrency}, services ${v.services}, budget ${v.budget})`,
      met: ran && v.total === 0,
    },
    {
      name: `${name}: the judge finds an injected violation`,
      target: 'yes',
      value: s.selfTestDetected ? 'yes' : 'no',
      met: s.selfTestDetected,
    },
    { name: `${name}: lost incidents`, target: '0', value: String(s.lost), met: ran && s.lost === 0 },
    { name: `${name}: duplicated actions`, target: '0', value: String(s.atTarget.duplicates), met: ran && s.atTarget.duplicates === 0 },
    {
      name: `${name}: every incident finished after the storm`,
      target: `within ${finishWithinS} s`,
      value: s.finishedWithinSeconds === null ? `${s.lost} unfinished` : `${s.finishedWithinSeconds} s`,
      met: s.finishedWithinSeconds !== null && s.finishedWithinSeconds <= finishWithinS,
    },
    {
      name: `${name}: coordinator task failures`,
      target: '0',
      value: coordinatorTasks(s.coordinator),
      met: s.coordinator.workflowTaskFailures + s.coordinator.workflowTaskTimeouts - (s.coordinator.timeoutsOnKilledWorkers ?? 0) === 0,
    },
  ];
}

/** Failed and timed-out coordinator tasks; a task that died with a killed worker is its expected cost and named apart. */
function coordinatorTasks(c: StormFigures['coordinator']): string {
  const onKilled = c.timeoutsOnKilledWorkers ?? 0;
  const others = c.workflowTaskTimeouts - onKilled;
  const causes = [...c.failureCauses, ...(c.timeoutCauses ?? [])];
  return [
    `${c.workflowTaskFailures} failed, ${others} timed out`,
    onKilled ? `, ${onKilled} lost with the killed worker` : '',
    ` (${c.runs} runs, ${c.events} events)`,
    causes.length ? `: ${causes.join('; ')}` : '',
  ].join('');
}

export function judge(j: Judged, finishWithinS: number): TargetResult[] {
  const bounded = highestBoundedRate(j.baselineLadder);
  const results: TargetResult[] = [
    { name: 'throughput: engine / bare Temporal', target: '>= 0.8', value: `${j.throughput.ratio}`, met: j.throughput.ratio >= 0.8 },
    {
      name: 'first action p99 at the highest bounded rate',
      target: bounded ? `<= 1.5 x bare (${ms(bounded.firstActivityMs.p99)}) at ${bounded.ratePerSecond}/s` : 'no bounded rate found',
      value: j.engineLatency ? ms(j.engineLatency.firstActionMs.p99) : '-',
      met: bounded && j.engineLatency ? (j.engineLatency.firstActionMs.p99 ?? Infinity) <= 1.5 * (bounded.firstActivityMs.p99 ?? 0) : null,
    },
    {
      name: 'storm: approval signal -> first action p99',
      target: '<= 2000 ms',
      value: `${ms(j.storm.approvalToFirstActionMs.p99)} (n=${j.storm.approvalToFirstActionMs.count})`,
      met: j.storm.approvalToFirstActionMs.count > 0 && (j.storm.approvalToFirstActionMs.p99 ?? Infinity) <= 2000,
    },
    ...stormTargets('storm', j.storm, finishWithinS),
  ];
  if (j.processStorm) results.push(...stormTargets('storm on 2 processes, one killed', j.processStorm, finishWithinS));
  return results;
}
