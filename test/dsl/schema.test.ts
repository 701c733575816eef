import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { PUBLISHED_SCHEMAS } from '../../dsl/published-schemas';
import type { RawContextField, RawHttp, RawRunbook } from '../../dsl/runbook-schema';
import type { AutomationMode, HttpSpec, ParamType, RiskLevel } from '../../dsl/types';
import { CATALOGUE, SEED_RUNBOOKS, seedIncident } from './helpers';

const published = (file: string) => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));

describe('published JSON Schemas', () => {
  it.each(Object.keys(PUBLISHED_SCHEMAS))('%s is the one the compiler uses (regenerate: npx tsx cli/write-schemas.ts)', (file) => {
    expect(published(file)).toEqual(PUBLISHED_SCHEMAS[file]);
  });

  it('compile under ajv strict mode, as editors and other tools will load them', () => {
    for (const schema of Object.values(PUBLISHED_SCHEMAS)) expect(() => new Ajv({ strict: true }).compile(schema)).not.toThrow();
  });

  it("accept the shipped catalogue, the reference exercise's runbooks and incidents", () => {
    const ajv = new Ajv({ strict: true });
    const runbooks = ajv.compile(PUBLISHED_SCHEMAS['schema/runbook.schema.json']!);
    expect(runbooks(parse(CATALOGUE)), JSON.stringify(runbooks.errors)).toBe(true);
    expect(runbooks(parse(SEED_RUNBOOKS)), JSON.stringify(runbooks.errors)).toBe(true);
    const incidents = ajv.compile(PUBLISHED_SCHEMAS['schema/incident.schema.json']!);
    for (const n of [1, 2, 3, 4] as const) expect(incidents(seedIncident(n))).toBe(true);
  });
});

describe('schema and compiled types agree', () => {
  // The raw types are derived from the schema (dsl/schema-builder.ts); these tie its enums to dsl/types.ts.
  it('enumerates exactly the compiled enums', () => {
    expectTypeOf<NonNullable<RawRunbook['risk']>>().toEqualTypeOf<RiskLevel>();
    expectTypeOf<NonNullable<RawRunbook['mode']>>().toEqualTypeOf<AutomationMode>();
    expectTypeOf<Extract<RawContextField, string>>().toEqualTypeOf<ParamType>();
    expectTypeOf<NonNullable<RawHttp['method']>>().toEqualTypeOf<HttpSpec['method']>();
    const definitions = PUBLISHED_SCHEMAS['schema/runbook.schema.json']!.definitions as Record<string, { enum?: string[] }>;
    expect(definitions.paramType?.enum).toEqual(['string', 'int', 'number', 'bool', 'dns_label', 'dns_subdomain']);
  });
});
