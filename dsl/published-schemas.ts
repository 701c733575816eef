/** The JSON Schemas published under schema/ for editors, by repository path. */
import { incidentSchema } from './incident-schema';
import { runbookFileSchema } from './runbook-schema';
import type { JsonSchema } from './schema-builder';

export const PUBLISHED_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  'schema/runbook.schema.json': runbookFileSchema,
  'schema/incident.schema.json': incidentSchema,
};
