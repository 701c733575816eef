/**
 * The intake as `remediate serve` assembles it (docs/intake.md): POST /v1/incidents and
 * /v1/alertmanager on the one authenticated submission path, readiness against Temporal and the
 * guardrail coordinator, /metrics, and the codec server when encryption is on (docs/encryption.md). `remediate serve` and `remediate demo` both start it here.
 */
import type { Client } from '@temporalio/client';
import type { IncomingMessage } from 'node:http';
import type { PayloadCodec } from '@temporalio/common';
import type { EngineMetrics } from '../telemetry/metrics';
import type { IntakePolicy } from '../worker/intake-policy';
import type { SlackPolicy } from '../worker/slack-policy';
import type { AlertmanagerRule } from './alertmanager-rules';
import type { IntakeServer } from './server';
import type { IntakeResponse, RouteHandler } from './types';
import type { ActivitiesConfig } from '../activities/config';
import type { ApprovalsPagePolicy } from '../worker/approvals-page-policy';

export interface IntakeServiceOptions {
  client: Client;
  taskQueue: string;
  /** The guardrail coordinator's workflow id: /readyz checks it is reachable. */
  coordinatorId: string;
  policy: IntakePolicy;
  alertmanagerRules: readonly AlertmanagerRule[];
  listen: { host: string; port: number };
  tls?: { cert: Buffer; key: Buffer };
  metrics: EngineMetrics;
  /** One line per unmapped or refused alert. */
  log: (line: string) => void;
  /** The policy's `slack`, with who its gateway vouches for: serves POST /v1/slack/interactions (approvals/slack/route.ts). */
  slack?: { policy: SlackPolicy; vouchesFor: readonly string[] };
  /** Sees every answer POST /v1/alertmanager gives (the demo narrates the loop from them). */
  onAlertmanagerAnswer?: (response: IntakeResponse) => void;
  /** The approvals page (approvals/web/), when the policy has `approvals_page`; `activities` runs its pre-checks live. */
  approvalsPage?: { policy: ApprovalsPagePolicy; activities?: ActivitiesConfig };
  /** The codec server (POST /codec/encode, /codec/decode), when encryption is on; CORS for the Web UI's origin only. */
  codec?: { codec: PayloadCodec; webUiOrigin?: string };
}

export async function startIntakeService(options: IntakeServiceOptions): Promise<IntakeServer> {
  const { startIntakeServer } = await import('./server');
  const { incidentsRoute } = await import('./incidents-route');
  const { alertmanagerRoute } = await import('./alertmanager-route');
  const { sourceSigner, submitFromSource } = await import('./submit-incident');
  const { temporalReadiness } = await import('./readiness');
  const { intakeEvents, renderMetrics } = await import('../telemetry/metrics');
  const { client, policy } = options;
  const deps = { client, taskQueue: options.taskQueue, sign: sourceSigner(policy.sources) };
  const { slackInteractionsRoute } = await import('../approvals/slack/route');
  const { approvalsPageRoutes } = await import('../approvals/web/routes');
  const slack = options.slack;
  const page = options.approvalsPage;
  const { codecRoute } = await import('./codec-route');
  const { SessionStore } = await import('../approvals/web/sessions');
  const { sessionIdOf } = await import('../approvals/web/http');
  const codec = options.codec;
  // One store: a person signed in to the approvals page may also decode from the Web UI.
  const sessions = page ? new SessionStore(page.policy.sessionMinutes * 60_000) : undefined;
  const selfAuthenticating = [
    ...(codec
      ? [
          codecRoute({
            codec: codec.codec,
            sources: policy.sources,
            maxBodyBytes: policy.maxBodyBytes,
            ...(codec.webUiOrigin ? { webUiOrigin: codec.webUiOrigin } : {}),
            ...(sessions ? { signedIn: (request: IncomingMessage) => sessions.get(sessionIdOf(request))?.principal } : {}),
          }),
        ]
      : []),
    ...(slack
      ? [
          slackInteractionsRoute({
            client,
            slack: slack.policy,
            vouchesFor: slack.vouchesFor,
            maxBodyBytes: policy.maxBodyBytes,
            log: options.log,
          }),
        ]
      : []),
    ...(page
      ? approvalsPageRoutes({
          client,
          policy: page.policy,
          coordinatorId: options.coordinatorId,
          ...(page.activities ? { activities: page.activities } : {}),
          ...(sessions ? { sessions } : {}),
          secureCookies: true,
        })
      : []),
  ];
  return await startIntakeServer({
    host: options.listen.host,
    port: options.listen.port,
    ...(options.tls ? { tls: options.tls } : {}),
    maxBodyBytes: policy.maxBodyBytes,
    sources: policy.sources,
    routes: [{ name: 'incidents', method: 'POST', path: '/v1/incidents', handler: incidentsRoute(deps) }],
    alertmanager: observed(
      alertmanagerRoute({
        rules: options.alertmanagerRules,
        client,
        submit: (source, incident) => submitFromSource(deps, source, incident),
        log: options.log,
      }),
      options.onAlertmanagerAnswer,
    ),
    selfAuthenticating,
    readiness: temporalReadiness(client, options.coordinatorId),
    metrics: () => renderMetrics(options.metrics),
    events: intakeEvents(options.metrics),
  });
}

function observed(route: RouteHandler, observe: ((response: IntakeResponse) => void) | undefined): RouteHandler {
  if (!observe) return route;
  return async (request) => {
    const response = await route(request);
    observe(response);
    return response;
  };
}
