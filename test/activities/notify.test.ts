import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ActivitiesConfig } from '../../activities/config';
import { NO_PROMETHEUS_SERVERS } from '../../activities/prometheus-servers';
import { dispatch, notify, sanitizeForSlack, slackText, type Notification, type Sink } from '../../activities/notify';
import { closedPort, startServer, tempDir, type TestServer } from './helpers';

const notification: Notification = {
  incidentId: 'INC-42',
  runbookId: 'k8s-pod-restart',
  kind: 'success',
  severity: 'info',
  title: 'INC-42 remediated',
  text: 'Restarted pod web-1; post-checks hold.',
  fields: { service: 'web', confidence: 0.92, rolledBack: false },
  approveCommand: 'remediate approve INC-42',
  webUrl: 'http://127.0.0.1:8233/namespaces/default/workflows/incident-INC-42',
};

let hook: TestServer;
let failing: TestServer;
let hanging: TestServer;

beforeAll(async () => {
  hook = await startServer((_req, res) => res.end('ok'));
  failing = await startServer((_req, res) => {
    res.writeHead(500);
    res.end('no');
  });
  hanging = await startServer(() => undefined);
});

afterAll(async () => {
  await Promise.all([hook.close(), failing.close(), hanging.close()]);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** Replaces stdout for the test (restored in afterEach); the returned spy sees every line. */
function captureStdout() {
  return vi.spyOn(process.stdout, 'write').mockImplementation(((_chunk: string, done?: () => void) => {
    done?.();
    return true;
  }) as typeof process.stdout.write);
}

async function config(overrides: Partial<ActivitiesConfig> = {}): Promise<ActivitiesConfig> {
  return {
    webhookUrls: [],
    notifyLogPath: join(await tempDir(), 'notifications.log'),
    notifyTimeoutMs: 2_000,
    maxOutputBytes: 65_536,
    kubernetes: { kubeconfig: null, namespaces: null },
    prometheus: NO_PROMETHEUS_SERVERS,
    ...overrides,
  };
}

describe('notify', () => {
  it('posts the notification to every webhook with a Slack text field and the structured notification', async () => {
    const before = hook.requests.length;
    const results = await notify(notification, await config({ webhookUrls: [`${hook.url}/a`, `${hook.url}/b`] }));
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(results[1]).toEqual({ sink: `webhook:${hook.url}`, ok: true });

    const received = hook.requests.slice(before);
    expect(received.map((r) => r.url)).toEqual(['/a', '/b']);
    for (const request of received) {
      expect(request.method).toBe('POST');
      expect(request.headers['content-type']).toBe('application/json');
      const payload = JSON.parse(request.body) as { text: string; notification: Notification };
      expect(payload.notification).toEqual(notification);
      expect(payload.text).toContain('*INC-42 remediated*');
      expect(payload.text).toContain('• confidence: 0.92');
    }
  });

  it('writes one JSON line per notification to the configured log file', async () => {
    const cfg = await config();
    expect(await notify(notification, cfg)).toEqual([{ sink: `log:${cfg.notifyLogPath}`, ok: true }]);
    await notify({ ...notification, kind: 'failure', text: 'line one\nforged line' }, cfg);
    const lines = (await readFile(cfg.notifyLogPath!, 'utf8')).split('\n');
    expect(lines).toHaveLength(3); // two records and the final newline
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ event: 'notification', ...notification });
    expect(Number.isNaN(Date.parse(first.ts as string))).toBe(false);
    expect(JSON.parse(lines[1]!)).toMatchObject({ kind: 'failure', text: 'line one\nforged line' });
    expect(lines[2]).toBe('');
  });

  it('writes to stdout when no log file is configured', async () => {
    const write = captureStdout();
    expect(await notify(notification, await config({ notifyLogPath: null }))).toEqual([{ sink: 'log:stdout', ok: true }]);
    const line = write.mock.calls.map(([chunk]) => String(chunk)).find((chunk) => chunk.includes('"event":"notification"'));
    expect(JSON.parse(line!)).toMatchObject({ incidentId: 'INC-42' });
  });

  it('reports a dead webhook quickly and still delivers to the other sinks', async () => {
    const port = await closedPort();
    const cfg = await config({ webhookUrls: [`http://127.0.0.1:${port}/hook`, hook.url], notifyTimeoutMs: 10_000 });
    const started = Date.now();
    const results = await notify(notification, cfg);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(results[0]).toMatchObject({ ok: true });
    expect(results[1]).toMatchObject({ sink: `webhook:http://127.0.0.1:${port}`, ok: false });
    expect(results[1]!.error).toContain('ECONNREFUSED');
    expect(results[2]).toMatchObject({ ok: true });
  });

  it('gives up on a webhook that never answers after the notify timeout', async () => {
    const started = Date.now();
    const results = await notify(notification, await config({ webhookUrls: [hanging.url], notifyTimeoutMs: 300 }));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(results[1]).toEqual({ sink: `webhook:${hanging.url}`, ok: false, error: 'timed out after 300 ms' });
  });

  it('reports a non-2xx webhook answer as a failure', async () => {
    const results = await notify(notification, await config({ webhookUrls: [failing.url] }));
    expect(results[1]).toMatchObject({ ok: false, error: 'webhook answered HTTP 500' });
  });

  it('reports an unwritable log file without failing the webhooks', async () => {
    const cfg = await config({ notifyLogPath: join(await tempDir(), 'missing-dir', 'n.log'), webhookUrls: [hook.url] });
    const results = await notify(notification, cfg);
    expect(results[0]).toMatchObject({ ok: false });
    expect(results[0]!.error).toContain('ENOENT');
    expect(results[1]).toMatchObject({ ok: true });
  });

  it('survives a configuration object it cannot use', async () => {
    captureStdout();
    const results = await notify(notification, await config({ notifyLogPath: null, webhookUrls: ['not a url'] }));
    expect(results[0]).toMatchObject({ sink: 'config', ok: false });
    expect(results[1]).toMatchObject({ sink: 'log:stdout' });
  });

  it('on bad configuration reports it, and still logs the notification to stdout', async () => {
    vi.stubEnv('REMEDIATE_WEBHOOK_URLS', 'ftp://hooks.example/secret-token');
    const write = captureStdout();
    const results = await notify(notification);
    expect(results).toEqual([
      { sink: 'config', ok: false, error: 'REMEDIATE_WEBHOOK_URLS: entry 1 is not an http(s) URL' },
      { sink: 'log:stdout', ok: true },
    ]);
    expect(write.mock.calls.some(([chunk]) => String(chunk).includes('"incidentId":"INC-42"'))).toBe(true);
  });

  it('neutralises mentions in what the webhook receives', async () => {
    const before = hook.requests.length;
    await notify(
      { ...notification, title: '<!channel> pod down', text: '@here please look <@U024BE7LH>' },
      await config({ webhookUrls: [hook.url] }),
    );
    const { text } = JSON.parse(hook.requests[before]!.body) as { text: string };
    expect(text).not.toMatch(/<!channel>|<@U024BE7LH>|(^|\W)@here/);
    expect(text).toContain('&lt;!channel&gt; pod down');
  });
});

describe('dispatch', () => {
  it('stops waiting for a sink that ignores its deadline, and survives a sink that throws synchronously', async () => {
    const stuck: Sink = { name: 'stuck', send: () => new Promise<void>(() => undefined) };
    const broken: Sink = {
      name: 'broken',
      send: () => {
        throw new Error('sync boom');
      },
    };
    const fine: Sink = { name: 'fine', send: async () => undefined };
    const started = Date.now();
    const results = await dispatch(notification, [stuck, broken, fine], 200);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(results).toEqual([
      { sink: 'stuck', ok: false, error: 'timed out after 200 ms' },
      { sink: 'broken', ok: false, error: 'sync boom' },
      { sink: 'fine', ok: true },
    ]);
  });
});

describe('Slack text', () => {
  it('escapes Slack control sequences and neutralises mentions', () => {
    expect(sanitizeForSlack('<!channel> <!here|here> <@U123> <http://evil.example|click> a & b', 500)).toBe(
      '&lt;!channel&gt; &lt;!here|here&gt; &lt;@\u200bU123&gt; &lt;http://evil.example|click&gt; a &amp; b',
    );
    expect(sanitizeForSlack('@here @channel @everyone (@oncall) @@here', 500)).toBe(
      '@\u200bhere @\u200bchannel @\u200beveryone (@\u200boncall) @@\u200bhere',
    );
    expect(sanitizeForSlack('mail ops@example.com', 500)).toBe('mail ops@example.com');
  });

  it('strips control, line-separator and invisible characters so text cannot forge lines or hide', () => {
    expect(sanitizeForSlack('a\nb\r\nc\td\u0007e\u2028f', 500)).toBe('a b c d e f');
    expect(sanitizeForSlack('@\u200bhere', 500)).toBe('@\u200bhere');
    expect(sanitizeForSlack('safe\u202Egnp.exe', 500)).toBe('safegnp.exe');
  });

  it('caps length by characters, never splitting a surrogate pair', () => {
    expect(sanitizeForSlack('x'.repeat(200), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(sanitizeForSlack('🔥'.repeat(20), 5)).toBe(`${'🔥'.repeat(4)}…`);
  });

  it('renders the approve command as code that untrusted backticks cannot close, and only http(s) links', () => {
    const text = slackText({ ...notification, approveCommand: 'remediate approve `INC-1` <!channel>', webUrl: 'javascript:alert(1)' });
    expect(text).toContain("Approve: `remediate approve 'INC-1' &lt;!channel&gt;`");
    expect(text).not.toContain('javascript:');
    expect(slackText(notification)).toContain(`<${notification.webUrl}|Open in the web UI>`);
    expect(slackText({ ...notification, webUrl: 'https://ui.example/x|y>z' })).toContain(
      '<https://ui.example/x%7Cy%3Ez|Open in the web UI>',
    );
  });

  it('keeps one line per field and caps the number of fields', () => {
    const fields = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`f${i}`, `v${i}\n• forged: field`]));
    const lines = slackText({ ...notification, fields }).split('\n');
    expect(lines.filter((l) => l.startsWith('• f'))).toHaveLength(20);
    expect(lines).toContain('• … 5 more fields');
    expect(lines).not.toContain('• forged: field');
  });
});
