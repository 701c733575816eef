/**
 * `remediate watch`: the Kubernetes pod watcher as a process. Crash-looping and OOM-killed pods in the
 * given namespaces become incidents, posted to `remediate serve` as an authenticated source, so they
 * pass the same validation, rate limits and submitter identity as every other intake. SIGINT or
 * SIGTERM stop the watches and wait for submissions in flight.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from './errors';

const log = (line: string) => console.log(`[watch] ${line}`);

interface WatchOptions {
  serve: string;
  tokenFile?: string;
  namespace: string[];
  restartThreshold: number;
  kubeconfig?: string;
}

/** The token from its file, or REMEDIATE_INTAKE_TOKEN; never from the command line, where `ps` would show it. */
function readToken(file: string | undefined): string {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`--token-file ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const token = text.trim();
    if (!token || /[\s\u0000-\u001f]/.test(token)) throw new UsageError(`--token-file ${file}: expected one token on one line`);
    return token;
  }
  const token = process.env.REMEDIATE_INTAKE_TOKEN?.trim();
  if (!token)
    throw new UsageError('no token: give --token-file FILE or set REMEDIATE_INTAKE_TOKEN (the source token of the operator policy)');
  return token;
}

function serveUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--serve ${JSON.stringify(text)}: expected an http:// or https:// URL`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash) {
    throw new UsageError(`--serve ${JSON.stringify(text)}: expected an http:// or https:// URL without credentials, query or fragment`);
  }
  return url.origin;
}

export async function runWatch(options: WatchOptions): Promise<void> {
  const target = { url: serveUrl(options.serve), token: readToken(options.tokenFile) };
  if (options.namespace.length === 0) throw new UsageError('give at least one --namespace to watch');
  const { watchPods } = await import('../sources/k8s-pod-watcher');
  const { postIncident } = await import('../sources/intake-client');
  const inFlight = new Set<Promise<void>>();
  const watcher = watchPods({
    namespaces: options.namespace,
    restartThreshold: options.restartThreshold,
    ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
    submit: (incident) => {
      const sent = postIncident(target, incident).then((answer) =>
        log(`${incident.id}: ${answer.attached ? 'attached to' : 'started'} ${answer.workflowId}`),
      );
      const tracked = sent.catch(() => undefined).finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      return sent;
    },
    onError: (error) => log(`error: ${error.message}`),
  });
  await watcher.ready;
  log(
    `watching pods in ${options.namespace.join(', ')} (restart threshold ${options.restartThreshold}); posting to ${target.url}; Ctrl-C stops`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log('stopping');
  await watcher.stop();
  await Promise.all(inFlight);
  log('stopped');
}

function positiveInt(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return value;
}

export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description('Watch Kubernetes pods and post crash-looping or OOM-killed ones as incidents to `remediate serve`.')
    .requiredOption('--serve <url>', 'base URL of `remediate serve`, e.g. http://127.0.0.1:8080')
    .option('--token-file <file>', "this source's bearer token (default: REMEDIATE_INTAKE_TOKEN)")
    .option('--namespace <ns>', 'a namespace to watch (repeat for more)', (value: string, all: string[]) => [...all, value], [])
    .option('--restart-threshold <n>', 'a crash loop is an incident once a container restarted more than this', positiveInt, 5)
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .action(async (options: WatchOptions) => runWatch(options));
}
