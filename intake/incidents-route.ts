/** `POST /v1/incidents`: one incident as JSON; 202 when its remediation starts, 200 when it attached to one running. */
import { submitFromSource, type SubmitDeps } from './submit-incident';
import type { RouteHandler } from './types';

export function incidentsRoute(deps: SubmitDeps): RouteHandler {
  return async ({ source, body }) => {
    const result = await submitFromSource(deps, source, body);
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
