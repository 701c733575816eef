/**
 * The operator policy's `prometheus:` section (docs/operator-policy.md): named servers, each with its
 * URL and the credential its Authorization header carries, read from a file (relative to the policy
 * file's folder) or an environment variable when the policy is loaded, so a missing secret stops the
 * worker at start rather than failing every probe at 3 AM. No message here quotes a credential.
 * REMEDIATE_PROMETHEUS_URL is the shortcut for one server without credentials, named `default`;
 * a policy that defines servers while it is set is refused: which one would a runbook mean?
 */
import { dirname, isAbsolute, join } from 'node:path';
import { PROMETHEUS_URL_VARIABLE, prometheusShortcut } from '../activities/config';
import { parsePrometheusBaseUrl, Secret, type PrometheusServer, type PrometheusServers } from '../activities/prometheus-servers';
import type { Diagnostics } from '../dsl/diagnostics';
import { durationMs } from '../dsl/duration';
import { didYouMean } from '../dsl/suggest';
import type { PathSegment } from '../dsl/yaml-source';
import type { RawOperatorPolicy } from './operator-policy-schema';

type RawServer = NonNullable<NonNullable<RawOperatorPolicy['prometheus']>['servers']>[string];

/** Where secrets come from: the policy loader's file reader and environment. */
export interface SecretSources {
  policyFile: string;
  readFile: (path: string) => string;
  env: NodeJS.ProcessEnv;
}

/** A credential file holds one secret, not a document. */
const MAX_SECRET_BYTES = 64 * 1024;
/** Node timers fire at once beyond about 24.8 days; a query cap has no business near that. */
const MAX_TIMEOUT_MS = 24 * 3_600_000;

export function prometheusServersOf(raw: RawOperatorPolicy, sources: SecretSources, diag: Diagnostics): PrometheusServers {
  const section = raw.prometheus;
  const shortcut = prometheusShortcut(sources.env);
  if (section?.servers === undefined) {
    if (section?.default !== undefined && !shortcut.servers.has(section.default)) {
      diag.error(['prometheus', 'default'], `unknown server "${section.default}": no servers are defined under prometheus.servers`);
    }
    return shortcut;
  }
  if (shortcut.servers.size > 0) {
    diag.error(
      ['prometheus', 'servers'],
      `${PROMETHEUS_URL_VARIABLE} is set as well as prometheus.servers: unset it, or add its URL here as a server (both at once would leave open which Prometheus a runbook means)`,
      { key: true },
    );
  }
  const servers = new Map<string, PrometheusServer>();
  for (const [name, server] of Object.entries(section.servers)) {
    const path: PathSegment[] = ['prometheus', 'servers', name];
    if (name === 'prototype' || name in Object.prototype) {
      diag.error(path, `server name "${name}" is reserved: choose another name`, { key: true });
      continue;
    }
    const parsed = serverOf(name, server, path, sources, diag);
    if (parsed) servers.set(name, parsed);
  }
  const defaultName = defaultServer(section.default, Object.keys(section.servers), diag);
  return defaultName === undefined ? { servers } : { servers, default: defaultName };
}

/** The named default, or the only server; several without a default is an error (a step naming none would be a guess). */
function defaultServer(named: string | undefined, names: readonly string[], diag: Diagnostics): string | undefined {
  if (named !== undefined) {
    if (names.includes(named)) return named;
    diag.error(['prometheus', 'default'], `unknown server "${named}"${didYouMean(named, names)}; servers: ${names.join(', ') || 'none'}`);
    return undefined;
  }
  if (names.length === 1) return names[0];
  if (names.length > 1)
    diag.error(['prometheus'], `${names.length} servers and no default: set prometheus.default to one of ${names.join(', ')}`);
  return undefined;
}

function serverOf(
  name: string,
  raw: RawServer,
  path: PathSegment[],
  sources: SecretSources,
  diag: Diagnostics,
): PrometheusServer | undefined {
  let ok = true;
  const url = parsePrometheusBaseUrl(raw.url);
  if (!url.ok) {
    diag.error([...path, 'url'], url.message);
    ok = false;
  }
  let timeoutMs: number | undefined;
  if (raw.timeout !== undefined) {
    timeoutMs = durationMs(raw.timeout);
    if (timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
      diag.error([...path, 'timeout'], `expected a duration from 1ms to 24h, found ${JSON.stringify(raw.timeout)}`);
      ok = false;
    }
  }
  const authorization = authorizationOf(raw, path, sources, diag);
  if (!ok || !url.ok || authorization === false) return undefined;
  const server: PrometheusServer = { name, url: url.url };
  if (authorization) server.authorization = authorization;
  if (timeoutMs !== undefined) server.timeoutMs = timeoutMs;
  return server;
}

/** The header value, undefined for none, false when it could not be made (reported). */
function authorizationOf(raw: RawServer, path: PathSegment[], sources: SecretSources, diag: Diagnostics): Secret | undefined | false {
  if (raw.authorization && raw.basic_auth) {
    diag.error(path, 'give one of authorization and basic_auth, not both');
    return false;
  }
  if (raw.authorization) {
    const at = [...path, 'authorization'];
    const { type = 'Bearer', credentials_file: file, credentials_env: env } = raw.authorization;
    const credentials = readSecret({ file, env, names: ['credentials_file', 'credentials_env'] }, at, sources, diag);
    return credentials === undefined ? false : new Secret(`${type} ${credentials}`);
  }
  if (raw.basic_auth) {
    const at = [...path, 'basic_auth'];
    const { username, password_file: file, password_env: env } = raw.basic_auth;
    const password = readSecret({ file, env, names: ['password_file', 'password_env'] }, at, sources, diag);
    return password === undefined ? false : new Secret(`Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`);
  }
  return undefined;
}

interface SecretSource {
  file: string | undefined;
  env: string | undefined;
  /** The two keys, for messages: `credentials_file`, `credentials_env`. */
  names: readonly [string, string];
}

/** Exactly one of a file and a variable; its text without surrounding whitespace, one header-safe line. */
function readSecret(source: SecretSource, at: PathSegment[], sources: SecretSources, diag: Diagnostics): string | undefined {
  const [fileKey, envKey] = source.names;
  if ((source.file === undefined) === (source.env === undefined)) {
    diag.error(at, `expected exactly one of ${fileKey} and ${envKey}`);
    return undefined;
  }
  let text: string;
  let origin: string;
  if (source.file !== undefined) {
    const file = isAbsolute(source.file) ? source.file : join(dirname(sources.policyFile), source.file);
    origin = `the file ${file}`;
    try {
      text = sources.readFile(file);
    } catch (error) {
      diag.error([...at, fileKey], `cannot read the credentials file ${file}: ${(error as Error).message}`);
      return undefined;
    }
  } else {
    const name = source.env ?? '';
    origin = `the environment variable ${name}`;
    const value = Object.hasOwn(sources.env, name) ? sources.env[name] : undefined;
    if (value === undefined) {
      diag.error([...at, envKey], `the environment variable ${name} is not set`);
      return undefined;
    }
    text = value;
  }
  const secret = text.trim();
  const problem = secretProblem(secret);
  if (problem === undefined) return secret;
  diag.error([...at, source.file !== undefined ? fileKey : envKey], `the credential in ${origin} ${problem}`);
  return undefined;
}

function secretProblem(secret: string): string | undefined {
  if (Buffer.byteLength(secret, 'utf8') > MAX_SECRET_BYTES) return 'is larger than 64 KiB';
  if (secret === '') return 'is empty';
  // Control characters are exactly what a header may not carry (a line break would start another header).
  if ([...secret].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    return 'holds a line break or another control character, which no HTTP header may carry';
  return undefined;
}
