/**
 * A real /metrics endpoint whose values the test sets: what Prometheus scrapes in the live
 * verification tests. It counts every scrape, so a test can wait for one after a change.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MetricsExporter {
  /** `host:port`, as a Prometheus scrape target. */
  target: string;
  /** Sets a gauge; `labels` become its label set. */
  set(name: string, value: number, labels?: Record<string, string>): void;
  /** Stops serving a series, so Prometheus sees it go stale. */
  remove(name: string, labels?: Record<string, string>): void;
  scrapes(): number;
  /** When each scrape was served (ms since epoch), oldest first. */
  scrapeTimes(): readonly number[];
  close(): Promise<void>;
}

export async function startMetricsExporter(): Promise<MetricsExporter> {
  const series = new Map<string, { name: string; labels: string; value: number }>();
  const scrapedAt: number[] = [];
  const labelText = (labels: Record<string, string> = {}) =>
    Object.entries(labels)
      .map(([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
      .join(',');
  const server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    scrapedAt.push(Date.now());
    const names = new Set([...series.values()].map((s) => s.name));
    const lines: string[] = [];
    for (const name of names) {
      lines.push(`# TYPE ${name} gauge`);
      for (const s of series.values()) if (s.name === name) lines.push(`${name}${s.labels ? `{${s.labels}}` : ''} ${s.value}`);
    }
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    target: `127.0.0.1:${port}`,
    set(name, value, labels) {
      const text = labelText(labels);
      series.set(`${name}{${text}}`, { name, labels: text, value });
    },
    remove(name, labels) {
      series.delete(`${name}{${labelText(labels)}}`);
    },
    scrapes: () => scrapedAt.length,
    scrapeTimes: () => scrapedAt,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
