/**
 * Everything the benchmark runs against, in this one process: the embedded dev server (headless,
 * free port, temp data dir), one workflow bundle built once, the engine worker and the baseline
 * worker (same settings, own task queues) and a simulated cluster whose requests are timestamped.
 */
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadActivitiesConfig } from '../activities/config';
import { startSimulatedCluster, type SimulatedCluster } from '../test/harness/simulated-cluster';
import { compileCatalogue } from '../dsl/compile';
import type { CompiledCatalogue } from '../dsl/types';
import { ensureTemporalCli } from '../toolchain';
import { startDevServer, type RunningDevServer } from '../toolchain/dev-server';
import { startWorkers } from '../worker/build';
import { DEFAULT_GUARDRAILS_REPLY_TIMEOUT_MS } from '../worker/config';
import { DEFAULT_GUARDRAIL_POLICY } from '../worker/guardrail-policy';
import { REMEDIATION_WORKER_TUNING } from '../worker/tuning';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import type { OperatorPolicy } from '../workflows/types';
import { createBaselineActivities } from './baseline-activities';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** High operator limits: the benchmark measures the engine, not the seed's "3 at once" default. */
export const BENCH_LIMITS = { maxConcurrent: 100_000, maxServices: 100_000 };

export const BENCH_POLICY: OperatorPolicy = {
  defaultApprovers: [],
  approverGroups: {},
  namespace: 'default',
  limits: BENCH_LIMITS,
};

/** The baseline worker runs with the engine's own tuning, so the comparison is like for like. */
const WORKER_SETTINGS: Partial<WorkerOptions> = REMEDIATION_WORKER_TUNING;

export interface TimedCluster extends SimulatedCluster {
  /** Time (ms since epoch) of the first request with this method and path. */
  firstAt(method: string, path: string): number | undefined;
}

export interface BenchEnv {
  client: Client;
  cluster: TimedCluster;
  catalogue: CompiledCatalogue;
  engineQueue: string;
  baselineQueue: string;
  /** When each baseline workflow's first activity started (ms since epoch). */
  baselineFirstActivity: Map<string, number>;
  engineBundleCode: string;
  temporalCliVersion: string;
  bundleMs: number;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function timedCluster(): Promise<TimedCluster> {
  const cluster = await startSimulatedCluster();
  const first = new Map<string, number>();
  const requests = cluster.requests;
  const push = requests.push.bind(requests);
  // The cluster records requests without a time: stamp each as it is recorded, and keep the array
  // short (thousands of incidents would otherwise keep every body in memory).
  requests.push = (...items) => {
    const now = Date.now();
    for (const item of items) {
      const key = `${item.method} ${item.path}`;
      if (!first.has(key)) first.set(key, now);
    }
    if (requests.length > 1000) requests.length = 0;
    return push(...items);
  };
  return Object.assign(cluster, { firstAt: (method: string, path: string) => first.get(`${method} ${path}`) });
}

export function compileBenchRunbooks(target: string): CompiledCatalogue {
  const file = here('./runbooks.yaml');
  const text = readFileSync(file, 'utf8').replaceAll('${TARGET}', target);
  const compiled = compileCatalogue([{ file, text }]);
  if (!compiled.ok) throw new Error(`bench/runbooks.yaml does not compile:\n${compiled.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('\n')}`);
  return compiled.catalogue;
}

export async function startBenchEnv(log: (line: string) => void): Promise<BenchEnv> {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  } catch {
    // Installed already.
  }
  const cleanups: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const cli = await ensureTemporalCli(log);
    const dataDir = mkdtempSync(join(tmpdir(), 'remediate-bench-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const server: RunningDevServer = await startDevServer({
      temporalCli: cli.path,
      dataDir,
      port: await freePort(),
      uiPort: false,
      searchAttributes: ALL_SEARCH_ATTRIBUTES.map((key) => `${key.name}=Keyword`),
      log,
    });
    cleanups.push(() => server.stop());

    const cluster = await timedCluster();
    cleanups.push(() => cluster.close());
    const catalogue = compileBenchRunbooks(cluster.url);

    const bundleStart = performance.now();
    const engineBundle = await bundleWorkflowCode({ workflowsPath: here('../workflows/index.ts'), logger: new DefaultLogger('ERROR') });
    const bundleMs = performance.now() - bundleStart;
    const baselineBundle = await bundleWorkflowCode({ workflowsPath: here('./baseline-workflow.ts'), logger: new DefaultLogger('ERROR') });

    const connection = await NativeConnection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const clientConnection = await Connection.connect({ address: server.address });
    cleanups.push(() => clientConnection.close());
    const client = new Client({ connection: clientConnection, namespace: 'default' });

    const tag = Date.now().toString(36);
    const engineQueue = `bench-engine-${tag}`;
    const baselineQueue = `bench-baseline-${tag}`;
    const engine = await startWorkers({
      connection,
      client,
      namespace: 'default',
      taskQueue: engineQueue,
      coordinator: {
        workflowId: `guardrails-${engineQueue}`,
        taskQueue: `${engineQueue}-guardrails`,
        policy: { ...DEFAULT_GUARDRAIL_POLICY, limits: BENCH_LIMITS, failureBudget: { maxFailures: 100_000, windowMs: 3_600_000 } },
        replyTimeoutMs: DEFAULT_GUARDRAILS_REPLY_TIMEOUT_MS,
      },
      activities: { ...loadActivitiesConfig({}), notifyLogPath: join(dataDir, 'notifications.jsonl') },
      workflows: { workflowBundle: engineBundle },
    });
    const baselineFirstActivity = new Map<string, number>();
    const baseline = await Worker.create({
      connection,
      taskQueue: baselineQueue,
      workflowBundle: baselineBundle,
      activities: createBaselineActivities(baselineFirstActivity),
      ...WORKER_SETTINGS,
    });
    const running = [engine.done, baseline.run()];
    cleanups.push(async () => {
      engine.shutdown();
      baseline.shutdown();
      await Promise.allSettled(running);
    });
    return {
      client,
      cluster,
      catalogue,
      engineQueue,
      baselineQueue,
      baselineFirstActivity,
      engineBundleCode: engineBundle.code,
      temporalCliVersion: cli.version,
      bundleMs,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
