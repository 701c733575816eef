/**
 * Where the operator policy says each secret's value lives (worker/secrets-policy.ts parses it), and
 * reading one at the moment a step needs it: a worker environment variable, a file, or a key of a
 * Kubernetes Secret. A failure names the secret and its source, never a value.
 */
import { readFile } from 'node:fs/promises';
import type { KubernetesConnection } from '../../kubernetes/connection';

export type SecretSource =
  { kind: 'env'; variable: string } | { kind: 'file'; path: string } | { kind: 'kubernetes'; namespace: string; name: string; key: string };

/** The policy's secrets by name; empty when it defines none. */
export type SecretSources = ReadonlyMap<string, SecretSource>;

export const NO_SECRETS: SecretSources = new Map();

/** A secret file holds one value, not a document. */
const MAX_SECRET_BYTES = 64 * 1024;

/** A secret's value cannot be read now: the step fails with this reason. */
export class SecretUnavailableError extends Error {
  override readonly name = 'SecretUnavailableError';
  constructor(
    readonly secret: string,
    readonly source: SecretSource['kind'] | 'policy',
    reason: string,
  ) {
    super(`secret ${secret} (${source === 'policy' ? 'operator policy' : `${source} source`}): ${reason}`);
  }
}

export interface SecretReaders {
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => Promise<Buffer>;
  /** The worker's cluster connection, made on first use. */
  kubernetes: () => KubernetesConnection;
}

export type ReadSecret = (name: string) => Promise<string>;

/** Reads each secret afresh on every call, so a rotated value is used by the next step. */
export function secretReader(sources: SecretSources, readers: Partial<SecretReaders> & Pick<SecretReaders, 'kubernetes'>): ReadSecret {
  const env = readers.env ?? process.env;
  const read = readers.readFile ?? ((path: string) => readFile(path));
  return async (name) => {
    const source = sources.get(name);
    if (!source) throw new SecretUnavailableError(name, 'policy', "not defined in this worker's operator policy");
    const value = await readSource(name, source, { env, readFile: read, kubernetes: readers.kubernetes });
    if (value === '') throw new SecretUnavailableError(name, source.kind, `${where(source)} is empty`);
    return value;
  };
}

async function readSource(name: string, source: SecretSource, readers: SecretReaders): Promise<string> {
  switch (source.kind) {
    case 'env': {
      const value = readers.env[source.variable];
      if (value === undefined) throw new SecretUnavailableError(name, 'env', `${where(source)} is not set in the worker's environment`);
      return value;
    }
    case 'file': {
      let bytes: Buffer;
      try {
        bytes = await readers.readFile(source.path);
      } catch (error) {
        throw new SecretUnavailableError(
          name,
          'file',
          `${where(source)} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
      if (bytes.length > MAX_SECRET_BYTES) throw new SecretUnavailableError(name, 'file', `${where(source)} is larger than 64 KiB`);
      // A trailing newline is how editors and `echo` end a file, not part of a token.
      return bytes.toString('utf8').replace(/\r?\n$/, '');
    }
    case 'kubernetes':
      return await readKubernetesSecret(name, source, readers.kubernetes);
  }
}

async function readKubernetesSecret(
  name: string,
  source: Extract<SecretSource, { kind: 'kubernetes' }>,
  kubernetes: () => KubernetesConnection,
): Promise<string> {
  let data: Record<string, string> | undefined;
  try {
    const secret = await kubernetes().core.readNamespacedSecret({ name: source.name, namespace: source.namespace });
    data = secret.data;
  } catch (error) {
    // client-node's errors carry the response, which holds the Secret: only the status is kept.
    const code = (error as { code?: unknown }).code;
    throw new SecretUnavailableError(
      name,
      'kubernetes',
      `${where(source)} cannot be read (${typeof code === 'number' ? `HTTP ${code}` : 'no answer'})`,
    );
  }
  const encoded = data && Object.hasOwn(data, source.key) ? data[source.key] : undefined;
  if (encoded === undefined)
    throw new SecretUnavailableError(name, 'kubernetes', `Kubernetes Secret ${source.namespace}/${source.name} has no key "${source.key}"`);
  return Buffer.from(encoded, 'base64').toString('utf8');
}

/** The source, for messages: where, never what. */
export function where(source: SecretSource): string {
  switch (source.kind) {
    case 'env':
      return `environment variable ${source.variable}`;
    case 'file':
      return `file ${source.path}`;
    case 'kubernetes':
      return `Kubernetes Secret ${source.namespace}/${source.name} key ${source.key}`;
  }
}
