/**
 * The Prometheus servers prometheus probes may query: named, each with its base URL and the
 * Authorization header it needs, from the operator policy (worker/prometheus-policy.ts) or, as its
 * shortcut, REMEDIATE_PROMETHEUS_URL (one server named `default`, no credentials). A runbook names
 * a server, never a URL; the executor picks it here and fails closed on a name it does not know.
 */
import { inspect } from 'node:util';

/**
 * A credential that does not print: JSON, String() and util.inspect show `[redacted]`, so a server
 * logged, serialised into a payload or put in an error by mistake does not carry the secret along.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

export interface PrometheusServer {
  name: string;
  /** Base URL, http(s), no userinfo, query or fragment, without its trailing slash. */
  url: string;
  /** The Authorization header's value (`Bearer ...`, `Basic ...`); absent: none sent. */
  authorization?: Secret;
  /** Cap on each query to this server, below the check's own timeout. */
  timeoutMs?: number;
}

export interface PrometheusServers {
  /** By name; a Map, so a runbook's `server: __proto__` finds nothing. */
  servers: ReadonlyMap<string, PrometheusServer>;
  /** The server a step that names none queries; absent when none is configured. */
  default?: string;
}

/** The server REMEDIATE_PROMETHEUS_URL defines (and a runbook may name). */
export const SHORTCUT_SERVER_NAME = 'default';

export const NO_PROMETHEUS_SERVERS: PrometheusServers = { servers: new Map() };

/** One server without credentials, the default: the REMEDIATE_PROMETHEUS_URL shortcut, and tests. */
export function singlePrometheus(url: string, name = SHORTCUT_SERVER_NAME): PrometheusServers {
  return { servers: new Map([[name, { name, url }]]), default: name };
}

/**
 * An http(s) base URL, perhaps with a path prefix (a Prometheus behind a proxy); no query or
 * fragment, since the executor appends /api/v1/query?..., and no credentials (they go in a header,
 * from a file or variable, never in text that gets printed). Kept without its trailing slash.
 */
export function parsePrometheusBaseUrl(raw: string): { ok: true; url: string } | { ok: false; message: string } {
  const text = raw.trim();
  if (!URL.canParse(text)) return { ok: false, message: 'not a URL' };
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, message: `expected an http or https URL, got ${url.protocol}` };
  if (url.search !== '' || url.hash !== '') return { ok: false, message: 'the base URL of Prometheus takes no query or fragment' };
  if (url.username !== '' || url.password !== '') return { ok: false, message: 'credentials do not belong in the URL' };
  return { ok: true, url: url.href.replace(/\/+$/, '') };
}

/** The server a step asks for (by name, or the default), or why there is none: the probe then fails without a request. */
export function selectServer(
  servers: PrometheusServers | undefined,
  name: string | undefined,
): { ok: true; server: PrometheusServer } | { ok: false; message: string } {
  const configured = servers?.servers ?? new Map<string, PrometheusServer>();
  if (configured.size === 0) {
    return {
      ok: false,
      message:
        'no Prometheus is configured for this worker: name one in the operator policy (prometheus.servers) or set REMEDIATE_PROMETHEUS_URL',
    };
  }
  const wanted = name ?? servers?.default;
  if (wanted === undefined) {
    return { ok: false, message: `the step names no Prometheus server and the operator policy sets no prometheus.default` };
  }
  const server = configured.get(wanted);
  if (!server) {
    return {
      ok: false,
      message: `Prometheus server "${wanted}" is not configured for this worker (servers: ${[...configured.keys()].join(', ')})`,
    };
  }
  return { ok: true, server };
}
