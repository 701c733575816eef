/**
 * What the operator configures where the worker runs, loaded once at start: the catalogue compiled
 * from `--runbooks` and the operator policy file. Either one invalid stops the worker (exit 1) with
 * every problem located at file:line:col; nothing starts half-configured.
 */
import { compileCatalogue, type CompileOptions } from '../dsl/compile';
import { DEFAULT_LIMITS } from '../dsl/guardrails/defaults';
import type { CompiledCatalogue, CompileError } from '../dsl/types';
import type { OperatorPolicy } from '../contracts/types';
import { loadOperatorPolicy, type LoadedOperatorPolicy } from './operator-policy';
import { loadRunbookFiles } from '../cli/load-runbooks';
import { EXIT, UserFacingError } from '../dsl/user-facing-error';

export const DEFAULT_RUNBOOKS_PATH = './runbooks';

/** The worker's catalogue or policy cannot be used. */
export class WorkerConfigError extends UserFacingError {
  override readonly name = 'WorkerConfigError';
  readonly exitCode = EXIT.FAILED;
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

function located(error: CompileError): string {
  return `${error.file}:${error.line}:${error.column}: ${error.path ? `${error.path}: ` : ''}${error.message}`;
}

/** `options`: the operator policy's part of compiling (allowed programs, Prometheus servers, check queries): compileOptions(policy). */
export async function loadWorkerCatalogue(path: string, options: CompileOptions = {}): Promise<CompiledCatalogue> {
  let files;
  try {
    files = await loadRunbookFiles([path]);
  } catch (error) {
    throw new WorkerConfigError([`runbooks: ${(error as Error).message}`]);
  }
  const compiled = compileCatalogue(files, options);
  if (!compiled.ok)
    throw new WorkerConfigError(['the catalogue does not compile; the worker does not start:', ...compiled.errors.map(located)]);
  return compiled.catalogue;
}

/** The remediation workflow's view of the operator policy. */
export function remediationPolicy(loaded: LoadedOperatorPolicy, namespace: string): OperatorPolicy {
  return {
    defaultApprovers: loaded.approvers.defaults,
    approverGroups: { ...loaded.approvers.groups },
    namespace,
    limits: loaded.guardrails.limits,
    trust: loaded.trust,
    version: loaded.version,
    ...(loaded.webUiUrl ? { webUiUrl: loaded.webUiUrl } : {}),
  };
}

export interface OperatorConfig {
  catalogue: CompiledCatalogue;
  policy: LoadedOperatorPolicy;
}

export async function loadOperatorConfig(options: { runbooks?: string; policyFile?: string }): Promise<OperatorConfig> {
  // The policy first: it says which launchers the catalogue may use as programs and which servers it may query.
  const policy = loadOperatorPolicy(options.policyFile);
  const catalogue = await loadWorkerCatalogue(options.runbooks ?? DEFAULT_RUNBOOKS_PATH, compileOptions(policy));
  return { catalogue, policy };
}

/**
 * What the policy tells the compiler: which launchers the catalogue may use as programs, which
 * Prometheus servers exist, and the queries its standard Prometheus checks run.
 */
export function compileOptions(policy: LoadedOperatorPolicy): CompileOptions {
  return {
    allowedPrograms: policy.allowedPrograms,
    prometheusServers: [...policy.prometheus.servers.keys()],
    checkQueries: policy.checkQueries,
    secrets: [...policy.secrets.keys()],
  };
}

/** The seed's defaults (at most 3 remediations at once, touching at most 1 service), no approvers, no trusted keys. */
export function defaultPolicy(overrides: Partial<OperatorPolicy> = {}): OperatorPolicy {
  return {
    defaultApprovers: [],
    approverGroups: {},
    namespace: 'default',
    limits: DEFAULT_LIMITS,
    ...overrides,
  };
}
