import { describe, expect, it } from 'vitest';
import { ConfigError, loadActivitiesConfig } from '../../activities/config';
import { NO_PROMETHEUS_SERVERS, singlePrometheus } from '../../activities/prometheus-servers';

describe('loadActivitiesConfig', () => {
  it('has defaults for an empty environment', () => {
    expect(loadActivitiesConfig({})).toEqual({
      webhookUrls: [],
      notifyLogPath: null,
      notifyTimeoutMs: 5_000,
      maxOutputBytes: 65_536,
      kubernetes: { kubeconfig: null, namespaces: null },
      prometheus: NO_PROMETHEUS_SERVERS,
    });
  });

  it('reads every variable', () => {
    expect(
      loadActivitiesConfig({
        REMEDIATE_WEBHOOK_URLS: ' https://hooks.slack.com/services/T/B/x , http://127.0.0.1:9000/hook ',
        REMEDIATE_NOTIFY_LOG: '/var/log/remediate/notifications.jsonl',
        REMEDIATE_NOTIFY_TIMEOUT_MS: '1500',
        REMEDIATE_MAX_OUTPUT_BYTES: '4096',
        REMEDIATE_K8S_NAMESPACES: 'production, staging',
        REMEDIATE_PROMETHEUS_URL: ' http://127.0.0.1:9090/prometheus/ ',
      }),
    ).toEqual({
      webhookUrls: ['https://hooks.slack.com/services/T/B/x', 'http://127.0.0.1:9000/hook'],
      notifyLogPath: '/var/log/remediate/notifications.jsonl',
      notifyTimeoutMs: 1_500,
      maxOutputBytes: 4_096,
      kubernetes: { kubeconfig: null, namespaces: ['production', 'staging'] },
      prometheus: singlePrometheus('http://127.0.0.1:9090/prometheus'),
    });
    expect(loadActivitiesConfig({ REMEDIATE_NOTIFY_LOG: '-' }).notifyLogPath).toBeNull();
  });

  it('rejects a webhook that is not an http(s) URL without echoing it (it may hold a secret)', () => {
    for (const urls of ['https://ok.example,ftp://secret-token@x', 'https://ok.example,,https://b.example', 'nope-secret']) {
      const error = catchError(() => loadActivitiesConfig({ REMEDIATE_WEBHOOK_URLS: urls }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ name: 'ConfigError', variable: 'REMEDIATE_WEBHOOK_URLS' });
      expect(error.message).not.toContain('secret');
    }
  });

  it('rejects an operator namespace list with something that is not a namespace name', () => {
    for (const value of ['production,', 'Prod', 'a/b', 'kube-system, x y']) {
      expect(catchError(() => loadActivitiesConfig({ REMEDIATE_K8S_NAMESPACES: value }))).toMatchObject({
        name: 'ConfigError',
        variable: 'REMEDIATE_K8S_NAMESPACES',
      });
    }
  });

  it('rejects a Prometheus URL that is not an http(s) base URL', () => {
    for (const value of ['prometheus:9090', 'ftp://p:9090', 'http://p:9090/?x=1', 'http://p:9090/#a', 'http://user:pw@p:9090']) {
      expect(catchError(() => loadActivitiesConfig({ REMEDIATE_PROMETHEUS_URL: value }))).toMatchObject({
        name: 'ConfigError',
        variable: 'REMEDIATE_PROMETHEUS_URL',
      });
    }
    expect(loadActivitiesConfig({ REMEDIATE_PROMETHEUS_URL: 'https://prometheus.internal' }).prometheus).toEqual({
      servers: new Map([['default', { name: 'default', url: 'https://prometheus.internal' }]]),
      default: 'default',
    });
  });

  it('rejects numbers that are not positive integers or exceed their bound', () => {
    for (const value of ['0', '-5', '1.5', '64k', String(10 * 1024 * 1024)]) {
      expect(catchError(() => loadActivitiesConfig({ REMEDIATE_MAX_OUTPUT_BYTES: value }))).toMatchObject({
        name: 'ConfigError',
        variable: 'REMEDIATE_MAX_OUTPUT_BYTES',
      });
    }
    expect(catchError(() => loadActivitiesConfig({ REMEDIATE_NOTIFY_TIMEOUT_MS: '10m' }))).toBeInstanceOf(ConfigError);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
