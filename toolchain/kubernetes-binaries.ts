import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { cacheRoot, executableOverride, findOnPath, isExecutable, type ResolvedBinary } from './cache';
import { BadOverrideError, MissingToolError, ProvisionError } from './errors';
import { runBuildStep } from './run-step';
import { ETCD_MODULE, ETCD_VERSION, KUBERNETES_VERSION, KWOK_MODULE, KWOK_VERSION } from './versions';

/** The local control plane's programs, and the variable that points each at an existing binary instead of building it. */
export const CONTROL_PLANE_OVERRIDES = {
  etcd: 'ETCD_PATH',
  kubeApiserver: 'KUBE_APISERVER_PATH',
  kubeControllerManager: 'KUBE_CONTROLLER_MANAGER_PATH',
  kubeScheduler: 'KUBE_SCHEDULER_PATH',
  kwok: 'KWOK_PATH',
  /** kwok's Stage definitions (the pod and node lifecycle it simulates): YAML, not a program. */
  kwokStages: 'KWOK_STAGES_PATH',
} as const;

export type ControlPlaneComponent = keyof typeof CONTROL_PLANE_OVERRIDES;

export const CONTROL_PLANE_LABELS: Record<ControlPlaneComponent, string> = {
  etcd: 'etcd',
  kubeApiserver: 'kube-apiserver',
  kubeControllerManager: 'kube-controller-manager',
  kubeScheduler: 'kube-scheduler',
  kwok: 'kwok',
  kwokStages: 'kwok stages',
};
export type ControlPlaneBinaries = Record<ControlPlaneComponent, ResolvedBinary>;

/** Binaries that come out of one build, cached together in one folder. */
interface BuildGroup {
  name: string;
  version: string;
  files: Partial<Record<ControlPlaneComponent, string>>;
  build(go: string, staging: string, log: (line: string) => void): Promise<void>;
}

/** kwokctl's default Stage set, inside the kwok module. */
const KWOK_STAGE_SET = 'kustomize/stage/fast';

const KUBERNETES_COMMANDS = {
  kubeApiserver: 'kube-apiserver',
  kubeControllerManager: 'kube-controller-manager',
  kubeScheduler: 'kube-scheduler',
};

const GROUPS: BuildGroup[] = [
  { name: 'kubernetes', version: KUBERNETES_VERSION, files: KUBERNETES_COMMANDS, build: buildKubernetes },
  { name: 'kwok', version: KWOK_VERSION, files: { kwok: 'kwok', kwokStages: 'stages.yaml' }, build: buildKwok },
  { name: 'etcd', version: ETCD_VERSION, files: { etcd: 'etcd' }, build: buildEtcd },
];

function groupDir(group: BuildGroup): string {
  return join(cacheRoot(), group.name, group.version);
}

function resolveGroup(group: BuildGroup): Partial<ControlPlaneBinaries> {
  const found: Partial<ControlPlaneBinaries> = {};
  for (const [component, file] of Object.entries(group.files) as [ControlPlaneComponent, string][]) {
    const isData = component === 'kwokStages';
    const override = isData ? fileOverride(CONTROL_PLANE_OVERRIDES[component]) : executableOverride(CONTROL_PLANE_OVERRIDES[component]);
    const cached = join(groupDir(group), file);
    if (override) found[component] = { path: override, source: 'override', version: 'user-supplied' };
    else if (isData ? existsSync(cached) : isExecutable(cached))
      found[component] = { path: cached, source: 'cache', version: group.version };
  }
  return found;
}

function fileOverride(variable: string): string | undefined {
  const path = process.env[variable];
  if (!path) return undefined;
  if (!existsSync(path)) throw new BadOverrideError(variable, path, 'no such file');
  return path;
}

/**
 * Finds or builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok, all from the
 * Go module proxy (no container images, no release downloads). Each build goes to a staging folder that
 * is renamed into place only when complete, so an interrupted build is never mistaken for a cached one.
 */
export async function ensureControlPlane(log: (line: string) => void): Promise<ControlPlaneBinaries> {
  const all: Partial<ControlPlaneBinaries> = {};
  for (const group of GROUPS) {
    let found = resolveGroup(group);
    const missing = Object.keys(group.files).filter((c) => !(c in found));
    if (missing.length > 0) {
      const go = findOnPath('go');
      const variables = missing.map((c) => CONTROL_PLANE_OVERRIDES[c as ControlPlaneComponent]).join(', ');
      if (!go) throw new MissingToolError('Go', `${missing.join(', ')} (local Kubernetes control plane)`, variables);
      await buildGroup(group, go, log);
      found = resolveGroup(group);
    }
    Object.assign(all, found);
  }
  return all as ControlPlaneBinaries;
}

async function buildGroup(group: BuildGroup, go: string, log: (line: string) => void): Promise<void> {
  const target = groupDir(group);
  const staging = `${target}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'bin'), { recursive: true });
  log(`${group.name} ${group.version} is not cached; building it with Go (first run only)`);
  await group.build(go, staging, log);
  const out = `${target}.new-${process.pid}`;
  renameSync(join(staging, 'bin'), out);
  rmSync(staging, { recursive: true, force: true });
  rmSync(target, { recursive: true, force: true });
  renameSync(out, target);
}

/**
 * kwok, and the Stages it runs: since v0.8 the kwok binary has no built-in lifecycle, so we take the set
 * kwokctl uses ("fast": nodes initialise and heartbeat with a lease, pods become Ready at once, deleted
 * pods go away) from the same module release, following its kustomization files.
 */
async function buildKwok(go: string, staging: string, log: (line: string) => void): Promise<void> {
  await runBuildStep('go install kwok', go, ['install', '-trimpath', '-ldflags=-s -w', `${KWOK_MODULE}@${KWOK_VERSION}`], {
    env: { ...process.env, GOBIN: join(staging, 'bin'), CGO_ENABLED: '0' },
    log,
  });
  const { Dir } = await goModDownload(go, `sigs.k8s.io/kwok@${KWOK_VERSION}`);
  writeFileSync(
    join(staging, 'bin', 'stages.yaml'),
    kustomizationResources(join(Dir, KWOK_STAGE_SET))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n---\n'),
  );
}

/** The YAML files a kustomization folder lists, in order, its sub-folders expanded. */
function kustomizationResources(dir: string): string[] {
  const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources?: string[] };
  return (kustomization.resources ?? []).flatMap((resource) => {
    const path = join(dir, resource);
    return resource.endsWith('.yaml') ? [path] : kustomizationResources(path);
  });
}

/** etcd's server module replaces its sibling modules with relative paths, so `go install module@version` refuses it. */
async function buildEtcd(go: string, staging: string, log: (line: string) => void): Promise<void> {
  await buildInWrapperModule(go, staging, log, {
    label: 'etcd',
    require: `${ETCD_MODULE} ${ETCD_VERSION}`,
    replaces: [],
    packages: [ETCD_MODULE],
    version: ETCD_VERSION,
    output: join(staging, 'bin', 'etcd'),
    ldflags: ['-s', '-w'],
  });
}

/**
 * k8s.io/kubernetes is not meant to be a dependency: its go.mod requires its staging modules at v0.0.0 and
 * replaces them with folders inside its own repository. A module that builds its commands must replace each
 * with the published release of the same tag (v1.36.3 -> v0.36.3).
 */
async function buildKubernetes(go: string, staging: string, log: (line: string) => void): Promise<void> {
  const stagingVersion = KUBERNETES_VERSION.replace(/^v1\./, 'v0.');
  const modules = stagingModules(readFileSync((await goModDownload(go, `k8s.io/kubernetes@${KUBERNETES_VERSION}`)).GoMod, 'utf8'));
  const [major, minor] = KUBERNETES_VERSION.slice(1).split('.');
  // What Kubernetes' own build stamps in, so `--version` and the API's /version report the real release.
  const ldflags = ['-s', '-w'];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    ldflags.push(
      `-X ${pkg}.gitVersion=${KUBERNETES_VERSION}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`,
    );
  }
  await buildInWrapperModule(go, staging, log, {
    label: 'kubernetes',
    require: `k8s.io/kubernetes ${KUBERNETES_VERSION}`,
    replaces: modules.map((module) => `${module} => ${module} ${stagingVersion}`),
    packages: Object.values(KUBERNETES_COMMANDS).map((cmd) => `k8s.io/kubernetes/cmd/${cmd}`),
    version: KUBERNETES_VERSION,
    output: join(staging, 'bin') + '/',
    ldflags,
  });
}

interface WrapperBuild {
  label: string;
  /** `module version` */
  require: string;
  /** `old => new version` lines */
  replaces: string[];
  packages: string[];
  version: string;
  /** A file for one package, a folder (ending in /) for several. */
  output: string;
  ldflags: string[];
}

/** Builds packages of a dependency from a throwaway main module, which is where replace directives take effect. */
async function buildInWrapperModule(go: string, staging: string, log: (line: string) => void, build: WrapperBuild): Promise<void> {
  const src = join(staging, 'src');
  mkdirSync(src, { recursive: true });
  const replace = build.replaces.length > 0 ? ['replace (', ...build.replaces.map((line) => `\t${line}`), ')', ''] : [];
  writeFileSync(
    join(src, 'go.mod'),
    ['module remediate.local/build', '', 'go 1.26.0', '', `require ${build.require}`, '', ...replace].join('\n'),
  );
  const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=mod`.trim() };
  await runBuildStep(`go get ${build.label}`, go, ['get', ...build.packages.map((p) => `${p}@${build.version}`)], { cwd: src, env, log });
  await runBuildStep(
    `go build ${build.label}`,
    go,
    ['build', '-trimpath', `-ldflags=${build.ldflags.join(' ')}`, '-o', build.output, ...build.packages],
    {
      cwd: src,
      env,
      log,
    },
  );
}

/** A module release in the Go module cache, through the user's GOPROXY settings. */
async function goModDownload(go: string, moduleAtVersion: string): Promise<{ Dir: string; GoMod: string }> {
  try {
    const { stdout } = await promisify(execFile)(go, ['mod', 'download', '-json', moduleAtVersion], { maxBuffer: 1024 * 1024 });
    return JSON.parse(stdout) as { Dir: string; GoMod: string };
  } catch (error) {
    const detail = error as { stdout?: string; stderr?: string; message: string };
    throw new ProvisionError(`go mod download ${moduleAtVersion} failed`, detail.stderr || detail.stdout || detail.message);
  }
}

/** The staging modules: what k8s.io/kubernetes requires at the placeholder version v0.0.0. */
export function stagingModules(goMod: string): string[] {
  return [...goMod.matchAll(/^\s*(k8s\.io\/[\w.-]+) v0\.0\.0\s*$/gm)].map((match) => match[1]!);
}
