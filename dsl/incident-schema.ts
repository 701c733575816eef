/**
 * The incident format the detection pipeline submits (untrusted input), as one
 * typed definition: published as schema/incident.schema.json.
 */
import { anyJson, arr, num, record, str, type JsonSchema, type Static, type Typed } from './schema-builder';

const properties = {
  id: str({ minLength: 1, description: 'Incident id, e.g. INC001.' }),
  root_cause: str({ minLength: 1, description: 'Probable cause from root-cause analysis.' }),
  confidence: num({ minimum: 0, maximum: 1, description: 'RCA confidence in [0, 1].' }),
  service: str({ minLength: 1, description: 'Affected service (primary).' }),
  services: arr(str({ minLength: 1 }), { minItems: 1, description: 'Affected services; the first is primary.' }),
  symptoms: arr(str()),
  context: record(anyJson(), { description: 'Facts the runbooks read: pod_name, namespace, replicas, ...' }),
  submitted_by: str({ minLength: 1, description: 'Who raised it; they may not approve their own incident.' }),
};

type Props = typeof properties;
type Required = 'id' | 'root_cause' | 'confidence';
export type RawIncident = { [K in Required]: Static<Props[K]> } & {
  [K in Exclude<keyof Props, Required>]?: Static<Props[K]>;
};

function propertySchemas(props: Record<string, Typed<unknown>>): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(props)) out[key] = value.schema;
  return out;
}

/** Open object: the pipeline may send more fields; they are ignored. */
export const incidentSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'remediate incident',
  type: 'object',
  properties: propertySchemas(properties),
  required: ['id', 'root_cause', 'confidence'],
  // Properties repeated in the branches because ajv's strict mode wants every required name defined there.
  anyOf: [
    { type: 'object', properties: { service: properties.service.schema }, required: ['service'] },
    { type: 'object', properties: { services: properties.services.schema }, required: ['services'] },
  ],
};
