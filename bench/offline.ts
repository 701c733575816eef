/** Figures that need no server: replaying recorded histories, the pure decision engine, compiling the catalogue. */
import { replayWorkflowId } from '../client/replay';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRunbookFiles } from '../cli/load-runbooks';
import { compileCatalogue } from '../dsl/compile';
import { decide, emptySnapshot } from '../dsl/decide';
import type { CompiledCatalogue, Incident } from '../dsl/types';
import { percentiles, round } from './stats';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface ReplayFigures {
  histories: number;
  replayed: number;
  failed: number;
  seconds: number;
  perSecond: number;
}

export async function replay(bundleCode: string, repeat: number): Promise<ReplayFigures> {
  const dir = join(root, 'test/histories');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const parsed = files.map((f) => historyFromJSON(JSON.parse(readFileSync(join(dir, f), 'utf8'))));
  const histories = Array.from({ length: repeat }, (_, r) =>
    parsed.map((history, i) => ({ workflowId: replayWorkflowId(history, `${files[i]}#${r}`), history })),
  ).flat();
  let failed = 0;
  let replayed = 0;
  const start = performance.now();
  for await (const result of Worker.runReplayHistories({ workflowBundle: { code: bundleCode } }, histories)) {
    replayed += 1;
    if (result.error) failed += 1;
  }
  const seconds = (performance.now() - start) / 1000;
  return { histories: files.length, replayed, failed, seconds: round(seconds, 2)!, perSecond: round(replayed / seconds, 1)! };
}

export interface DecideFigures {
  decisions: number;
  seconds: number;
  perSecond: number;
}

export function decisions(catalogue: CompiledCatalogue, durationMs: number): DecideFigures {
  const causes = [...new Set(catalogue.runbooks.flatMap((r) => r.match.rootCauses))].concat(['unknown_cause']);
  const incidents: Incident[] = Array.from({ length: 1000 }, (_, i) => ({
    id: `d-${i}`,
    root_cause: causes[i % causes.length]!,
    confidence: (i % 10) / 10 + 0.05,
    service: `svc-${i % 50}`,
    services: [`svc-${i % 50}`],
    symptoms: [],
    context: { pod_name: `pod-${i}`, namespace: 'default' },
  }));
  const snapshot = emptySnapshot(Date.now());
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    for (const incident of incidents) decide(incident, catalogue, snapshot);
    count += incidents.length;
  }
  const seconds = (performance.now() - start) / 1000;
  return { decisions: count, seconds: round(seconds, 2)!, perSecond: Math.round(count / seconds) };
}

export interface CompileFigures {
  files: number;
  runbooks: number;
  runs: number;
  ms: { p50: number | null; max: number | null };
  catalogue: CompiledCatalogue;
}

export async function compileTime(runs: number): Promise<CompileFigures> {
  const files = await loadRunbookFiles([join(root, 'runbooks')]);
  const times: number[] = [];
  let catalogue: CompiledCatalogue | undefined;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const compiled = compileCatalogue(files);
    times.push(performance.now() - start);
    if (!compiled.ok) throw new Error(`runbooks/ does not compile: ${compiled.errors.map((e) => e.message).join('; ')}`);
    catalogue = compiled.catalogue;
  }
  const p = percentiles(times);
  return {
    files: files.length,
    runbooks: catalogue!.runbooks.length,
    runs,
    ms: { p50: round(p.p50, 2), max: round(p.max, 2) },
    catalogue: catalogue!,
  };
}
