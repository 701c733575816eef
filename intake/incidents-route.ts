/** `POST /v1/incidents`: one incident as JSON; 202 when its remediation starts, 200 when it attached to one running. */
import { isUnreachable } from '../client/connect';
import { submitFromSource, type SourceSubmission, type SubmitDeps } from './submit-incident';
import type { IntakeResponse, RouteHandler } from './types';

/** The sender should retry after this many seconds when Temporal does not answer (Alertmanager and most webhooks do). */
const UNAVAILABLE_RETRY_AFTER_S = 30;

export function incidentsRoute(deps: SubmitDeps): RouteHandler {
  return async ({ source, body }) => {
    let result: SourceSubmission;
    try {
      result = await submitFromSource(deps, source, body);
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      return unavailable();
    }
    switch (result.kind) {
      case 'invalid':
        return {
          status: 400,
          body: {
            error: result.errors.map((e) => `${e.field || 'incident'}: ${e.message}`).join('; '),
            errors: result.errors.map((e) => ({ field: e.field || 'incident', message: e.message })),
          },
        };
      case 'started':
      case 'attached':
        return {
          status: result.kind === 'started' ? 202 : 200,
          body: {
            workflowId: result.workflowId,
            incidentId: result.incidentId,
            attached: result.kind === 'attached',
            signed: result.signed,
          },
        };
    }
  };
}

function unavailable(): IntakeResponse {
  return {
    status: 503,
    body: { error: 'the Temporal server is not reachable: nothing was started; retry later' },
    headers: { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_S) },
  };
}
