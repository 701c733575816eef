/**
 * Replays every recorded history under test/histories with the current workflow code.
 * A change to workflow logic that is not guarded by `patched()` makes this fail.
 */
import { trace } from '@opentelemetry/api';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { replayWorkflowId } from '../../client/replay';
import { renderMetrics } from '../../telemetry/metrics';
import { workerTracing, WORKFLOW_TRACING_MODULE } from '../../telemetry/tracing';
import { createWorkerMetrics, mergeWorkerTelemetry, METRICS_WORKFLOW_MODULE } from '../../telemetry/worker-metrics';
import { WORKFLOWS_PATH } from '../../worker/build-worker';
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

describe("the same histories replay with telemetry's workflow interceptors (metrics and tracing) in the bundle", () => {
  let codePath: string;
  const metrics = createWorkerMetrics({ runbookIds: [] });
  const tracing = workerTracing(new SimpleSpanProcessor(new InMemorySpanExporter()), new Resource({}), trace.getTracer('replay'));
  const telemetry = mergeWorkerTelemetry([metrics, tracing]);

  beforeAll(async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      workflowInterceptorModules: [METRICS_WORKFLOW_MODULE, WORKFLOW_TRACING_MODULE],
      logger: {
        log: () => undefined,
        trace: () => undefined,
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: console.error,
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'remediate-replay-telemetry-'));
    codePath = join(dir, 'workflows.js');
    writeFileSync(codePath, code);
  }, 120_000);

  it.each(files)('%s', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')));
    await Worker.runReplayHistory(
      { workflowBundle: { codePath }, sinks: telemetry.sinks },
      history,
      replayWorkflowId(history, file.replace(/\.json$/, '')),
    );
  });

  it('counted nothing: sinks are not called during replay', async () => {
    const { text } = await renderMetrics(metrics.metrics);
    expect(text).not.toMatch(/^remediate_(decisions|remediations)_total\{/m);
    expect(text).toMatch(/^remediate_time_to_first_action_seconds_count 0$/m);
  });
});
