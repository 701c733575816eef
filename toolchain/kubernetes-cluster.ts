import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ControlPlaneBinaries } from './kubernetes-binaries';
import { freePorts } from './ports';
import { EXIT, UserFacingError } from '../dsl/user-facing-error';

/** A control plane this process started: where its kubeconfig is, and how to stop it. */
export interface LocalCluster {
  kubeconfigPath: string;
  /** https://127.0.0.1:PORT */
  server: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface LocalClusterOptions {
  binaries: ControlPlaneBinaries;
  /** Keeps etcd's data, keys and certificates across runs; default: a temporary folder removed on stop. */
  dataDir?: string;
  /** Fake nodes kwok simulates (default 2). */
  nodes?: number;
  log: (line: string) => void;
}

export class ClusterStartError extends UserFacingError {
  override readonly name = 'ClusterStartError';
  readonly exitCode = EXIT.INTERNAL;
}

const HOST = '127.0.0.1';
const START_DEADLINE_MS = 120_000;

/**
 * Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on loopback, each on a
 * free port, and returns once the API serves, the fake nodes are Ready and the controllers run.
 * Authentication is one bearer token in the system:masters group (a token file, no client certificates
 * to generate); the API server signs its own serving certificate, which the kubeconfig trusts.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'remediate-k8s-'));
  const dirs = {
    pki: join(dataDir, 'pki'),
    serving: join(dataDir, 'pki', 'serving'),
    etcd: join(dataDir, 'etcd'),
    logs: join(dataDir, 'logs'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  const components: Component[] = [];
  const stop = async () => {
    for (const component of [...components].reverse()) await component.stop();
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
  };
  // Never leave a control plane running behind a crashed test run or an interrupted demo.
  const killAll = () => components.forEach((c) => c.child.kill('SIGKILL'));
  process.once('exit', killAll);

  try {
    const { token, saKey, saPub } = credentials(dirs.pki);
    const [etcdPort, peerPort, apiPort, kwokPort] = await freePorts(4);
    const { binaries, log } = options;
    const etcdUrl = `http://${HOST}:${etcdPort}`;
    const server = `https://${HOST}:${apiPort}`;

    log(`starting etcd on ${etcdUrl}`);
    components.push(
      start(
        'etcd',
        binaries.etcd.path,
        [
          '--name=remediate',
          `--data-dir=${dirs.etcd}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=http://${HOST}:${peerPort}`,
          `--initial-advertise-peer-urls=http://${HOST}:${peerPort}`,
          `--initial-cluster=remediate=http://${HOST}:${peerPort}`,
          '--log-level=warn',
          // A local, disposable store: durability across power loss buys nothing and costs every write an fsync.
          '--unsafe-no-fsync',
        ],
        dirs.logs,
      ),
    );
    await waitFor('etcd', components, async () => (await httpGet(`${etcdUrl}/health`)).includes('"health":"true"'));

    log(`starting kube-apiserver on ${server}`);
    components.push(
      start(
        'kube-apiserver',
        binaries.kubeApiserver.path,
        [
          `--etcd-servers=${etcdUrl}`,
          `--bind-address=${HOST}`,
          `--advertise-address=${HOST}`,
          `--secure-port=${apiPort}`,
          `--cert-dir=${dirs.serving}`,
          `--token-auth-file=${join(dirs.pki, 'tokens.csv')}`,
          '--authorization-mode=RBAC',
          '--anonymous-auth=false',
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          `--service-account-key-file=${saPub}`,
          `--service-account-signing-key-file=${saKey}`,
          '--service-cluster-ip-range=10.96.0.0/16',
          '--enable-priority-and-fairness=false',
          '--profiling=false',
        ],
        dirs.logs,
      ),
    );
    const caFile = join(dirs.serving, 'apiserver.crt');
    await waitFor(
      'kube-apiserver',
      components,
      async () => existsSync(caFile) && (await httpsGet(`${server}/readyz`, token, readFileSync(caFile))) === 'ok',
    );

    const kubeconfigPath = join(dataDir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfig(server, readFileSync(caFile), token), { mode: 0o600 });

    log('starting kube-controller-manager, kube-scheduler and kwok');
    components.push(
      start(
        'kube-controller-manager',
        binaries.kubeControllerManager.path,
        [
          `--kubeconfig=${kubeconfigPath}`,
          '--leader-elect=false',
          '--secure-port=0',
          `--service-account-private-key-file=${saKey}`,
          `--root-ca-file=${caFile}`,
          // kwok renews the fake nodes' leases; on a loaded 2-core machine a renewal can come late, and the
          // default 50 s grace would mark the nodes NotReady and their pods not Ready for good (a flake seen in CI).
          '--node-monitor-grace-period=10m',
        ],
        dirs.logs,
      ),
      start(
        'kube-scheduler',
        binaries.kubeScheduler.path,
        [`--kubeconfig=${kubeconfigPath}`, '--leader-elect=false', '--secure-port=0'],
        dirs.logs,
      ),
      start(
        'kwok',
        binaries.kwok.path,
        [
          `--kubeconfig=${kubeconfigPath}`,
          // Only the pinned Stages: a user's ~/.kwok/kwok.yaml must not change the simulation.
          `--config=${binaries.kwokStages.path}`,
          '--manage-all-nodes=true',
          `--server-address=${HOST}:${kwokPort}`,
        ],
        dirs.logs,
      ),
    );

    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    const nodeNames = Array.from({ length: options.nodes ?? 2 }, (_, i) => `kwok-node-${i}`);
    await createNodes(core, nodeNames);
    await waitFor('kwok nodes', components, async () => {
      const nodes = await core.listNode();
      const ready = nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return nodeNames.every((name) => ready.some((n) => n.metadata?.name === name));
    });
    // The service account controller creating `default` shows the controller manager is running.
    await waitFor('kube-controller-manager', components, async () => {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return true;
    });
    log(`local Kubernetes ${binaries.kubeApiserver.version} ready: ${nodeNames.length} kwok nodes, kubeconfig ${kubeconfigPath}`);
    return {
      kubeconfigPath,
      server,
      dataDir,
      stop: async () => {
        process.removeListener('exit', killAll);
        await stop();
      },
    };
  } catch (error) {
    process.removeListener('exit', killAll);
    await stop();
    throw error;
  }
}

/** A bearer token for the cluster admin and the service-account signing key, kept when the data folder is. */
function credentials(pki: string): { token: string; saKey: string; saPub: string } {
  const tokens = join(pki, 'tokens.csv');
  const saKey = join(pki, 'sa.key');
  const saPub = join(pki, 'sa.pub');
  if (!existsSync(tokens))
    writeFileSync(tokens, `${randomBytes(24).toString('hex')},remediate-admin,remediate-admin,"system:masters"\n`, { mode: 0o600 });
  if (!existsSync(saKey)) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(saKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(saPub, publicKey.export({ type: 'spki', format: 'pem' }));
  }
  const token = readFileSync(tokens, 'utf8').split(',')[0]!;
  return { token, saKey, saPub };
}

function kubeconfig(server: string, ca: Buffer, token: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'remediate-local', cluster: { server, 'certificate-authority-data': ca.toString('base64') } }],
    users: [{ name: 'remediate-admin', user: { token } }],
    contexts: [{ name: 'remediate-local', context: { cluster: 'remediate-local', user: 'remediate-admin', namespace: 'default' } }],
    'current-context': 'remediate-local',
  });
}

async function createNodes(core: CoreV1Api, names: string[]): Promise<void> {
  const existing = new Set((await core.listNode()).items.map((n) => n.metadata?.name));
  for (const name of names.filter((n) => !existing.has(n))) {
    const capacity = { cpu: '32', memory: '256Gi', pods: '110' };
    await core.createNode({
      body: {
        metadata: { name, annotations: { 'kwok.x-k8s.io/node': 'fake' }, labels: { 'kubernetes.io/hostname': name, type: 'kwok' } },
        status: { capacity, allocatable: capacity },
      },
    });
  }
}

// ---------------------------------------------------------------------------
// Processes

interface Component {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

function start(name: string, path: string, args: string[], logDir: string): Component {
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    name,
    child,
    logFile,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      log.end();
    },
  };
}

/** Polls `ready` until it holds; fails early, with the log's tail, when a component exits. */
async function waitFor(what: string, components: Component[], ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + START_DEADLINE_MS;
  for (;;) {
    const dead = components.find((c) => c.child.exitCode !== null || c.child.signalCode !== null);
    if (dead)
      throw new ClusterStartError(
        `${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}) while waiting for ${what}:\n${logTail(dead.logFile)}`,
      );
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      const last = components[components.length - 1]!;
      throw new ClusterStartError(`${what} not ready within ${START_DEADLINE_MS / 1000} s; ${last.name} log:\n${logTail(last.logFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function logTail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-20).join('\n') : '(no output)';
}

async function httpGet(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return await response.text();
}

function httpsGet(url: string, token: string, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { headers: { authorization: `Bearer ${token}` }, ca, timeout: 2_000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
