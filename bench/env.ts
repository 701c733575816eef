/**
 * Everything the benchmark runs against: the embedded dev server (headless, free port, temporary
 * data folder, tuned or plain), one workflow bundle built once, the engine's workers exactly as
 * production assembles them (worker/build-worker.ts), the bare-Temporal baseline worker with the same
 * tuning on its own task queue, and the counting target. `close()` stops all of it.
 */
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadActivitiesConfig, type ActivitiesConfig } from '../activities/config';
import { compileCatalogue } from '../dsl/compile';
import type { GuardrailPolicy } from '../dsl/guardrail-state';
import { parseAllowedSigners } from '../dsl/trust/allowed-signers';
import type { TrustPolicy } from '../dsl/trust/types';
import { testKey } from '../toolchain/ssh-test-key';
import type { CompiledCatalogue } from '../dsl/types';
import { ensureTemporalCli } from '../toolchain';
import { startDevServer, type DevServerProfile, type RunningDevServer } from '../toolchain/dev-server';
import { freePort } from '../toolchain/ports';
import { startWorkers, type RunningWorkers } from '../worker/build-worker';
import { REMEDIATION_WORKER_TUNING } from '../worker/tuning';
import { ALL_SEARCH_ATTRIBUTES } from '../contracts/search-attributes';
import type { OperatorPolicy } from '../contracts/types';
import { createBaselineActivities } from './baseline-activities';
import { startBenchTarget, type BenchTarget } from './target';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Throughput and latency measure the engine, not the guardrails: limits no run reaches. */
export const OPEN_POLICY: GuardrailPolicy = {
  limits: { maxConcurrent: 100_000, maxServices: 100_000 },
  failureBudget: { maxFailures: 100_000, windowMs: 3_600_000 },
  changeWindows: [],
};

/** The storms' operator policy: the reference exercise's blast radius and a failure budget, so every global rule is exercised. */
export const STORM_POLICY: GuardrailPolicy = {
  limits: { maxConcurrent: 3, maxServices: 1 },
  failureBudget: { maxFailures: 2, windowMs: 3_600_000 },
  changeWindows: [],
};

/** The approver the storms sign as: an in-process key the bench's operator policy trusts. */
export const BENCH_APPROVER = testKey('bench-approver');

export const BENCH_TRUST: TrustPolicy = {
  allowedSigners: parseAllowedSigners(BENCH_APPROVER.allowedSignersLine).signers,
  gateways: [],
  statementMaxAgeMs: 15 * 60_000,
};

export const BENCH_OPERATOR_POLICY: OperatorPolicy = {
  defaultApprovers: [],
  approverGroups: {},
  namespace: 'default',
  limits: OPEN_POLICY.limits,
  trust: BENCH_TRUST,
  version: 'bench',
};

/** An engine with a catalogue and activity settings of its own (the closed loop's), not the bench's. */
export interface EngineOverrides {
  catalogue?: CompiledCatalogue;
  activities?: Partial<ActivitiesConfig>;
}

export interface EngineWorkers {
  taskQueue: string;
  coordinatorId: string;
  workers: RunningWorkers;
  policy: GuardrailPolicy;
}

export interface BenchEnv {
  client: Client;
  connection: NativeConnection;
  address: string;
  dataDir: string;
  target: BenchTarget;
  catalogue: CompiledCatalogue;
  /** The catalogue's source, rendered for the target, for worker processes' --runbooks. */
  runbooksFile: string;
  /** BENCH_APPROVER's allowed_signers file, for worker processes' policy. */
  allowedSignersFile: string;
  engineBundleCode: string;
  baselineQueue: string;
  /** When each baseline workflow's first activity started (ms since epoch). */
  baselineFirstActivity: Map<string, number>;
  temporalCliVersion: string;
  serverProfile: DevServerProfile;
  bundleMs: number;
  /** Engine workers on a task queue and coordinator of their own, with this guardrail policy. */
  startEngine(name: string, policy: GuardrailPolicy, own?: EngineOverrides): Promise<EngineWorkers>;
  close(): Promise<void>;
}

export function renderBenchRunbooks(target: string): string {
  return readFileSync(here('./runbooks.yaml'), 'utf8').replaceAll('${TARGET}', target);
}

export function compileBenchRunbooks(target: string): CompiledCatalogue {
  const compiled = compileCatalogue([{ file: here('./runbooks.yaml'), text: renderBenchRunbooks(target) }]);
  if (!compiled.ok)
    throw new Error(
      `bench/runbooks.yaml does not compile:\n${compiled.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('\n')}`,
    );
  return compiled.catalogue;
}

export async function startBenchEnv(
  log: (line: string) => void,
  profile: DevServerProfile = 'tuned',
  extraArgs: readonly string[] = [],
): Promise<BenchEnv> {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  } catch {
    // Installed already.
  }
  const cleanups: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
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
      profile,
      extraArgs,
      log,
    });
    cleanups.push(() => server.stop());

    const target = await startBenchTarget();
    cleanups.push(() => target.close());
    const catalogue = compileBenchRunbooks(target.url);
    const runbooksFile = join(dataDir, 'runbooks.yaml');
    writeFileSync(runbooksFile, renderBenchRunbooks(target.url));
    const allowedSignersFile = join(dataDir, 'allowed_signers');
    writeFileSync(allowedSignersFile, `${BENCH_APPROVER.allowedSignersLine}\n`);

    const bundleStart = performance.now();
    const engineBundle = await bundleWorkflowCode({ workflowsPath: here('../workflows/index.ts'), logger: new DefaultLogger('ERROR') });
    const bundleMs = performance.now() - bundleStart;
    const baselineBundle = await bundleWorkflowCode({ workflowsPath: here('./baseline-workflow.ts'), logger: new DefaultLogger('ERROR') });

    const connection = await NativeConnection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    // The client shares the workers' connection, as eager workflow start requires.
    const client = new Client({ connection, namespace: 'default' });

    const tag = Date.now().toString(36);
    const baselineQueue = `bench-baseline-${tag}`;
    const baselineFirstActivity = new Map<string, number>();
    const baseline = await Worker.create({
      connection,
      taskQueue: baselineQueue,
      workflowBundle: baselineBundle,
      activities: createBaselineActivities(baselineFirstActivity),
      ...REMEDIATION_WORKER_TUNING,
    });
    const baselineRun = baseline.run();
    cleanups.push(async () => {
      if (baseline.getState() === 'RUNNING') baseline.shutdown();
      await baselineRun.catch(() => undefined);
    });

    const startEngine = async (name: string, policy: GuardrailPolicy, own: EngineOverrides = {}): Promise<EngineWorkers> => {
      const taskQueue = `bench-${name}-${tag}`;
      const coordinatorId = `guardrails-${taskQueue}`;
      const workers = await startWorkers({
        connection,
        client,
        namespace: 'default',
        taskQueue,
        catalogue: own.catalogue ?? catalogue,
        policy: { ...BENCH_OPERATOR_POLICY, limits: policy.limits },
        guardrails: policy,
        // A coordinator of its own per engine; its task queue, timeouts and tuning are production's.
        coordinator: { workflowId: coordinatorId },
        activities: { ...loadActivitiesConfig({}), notifyLogPath: join(dataDir, `notifications-${name}.jsonl`), ...own.activities },
        workflows: { workflowBundle: engineBundle },
      });
      cleanups.push(async () => {
        workers.shutdown();
        await workers.done.catch(() => undefined);
      });
      return { taskQueue, coordinatorId, workers, policy };
    };

    return {
      client,
      connection,
      address: server.address,
      dataDir,
      target,
      catalogue,
      runbooksFile,
      allowedSignersFile,
      engineBundleCode: engineBundle.code,
      baselineQueue,
      baselineFirstActivity,
      temporalCliVersion: cli.version,
      serverProfile: profile,
      bundleMs,
      startEngine,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
