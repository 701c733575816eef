/**
 * Regenerates the published JSON Schemas (schema/*.schema.json) from their
 * typed definitions in dsl/. Run: npx tsx cli/write-schemas.ts
 * (test/dsl/schema.test.ts fails when the files are stale).
 */
import { writeFile } from 'node:fs/promises';
import { PUBLISHED_SCHEMAS } from '../dsl/published-schemas';

for (const [file, schema] of Object.entries(PUBLISHED_SCHEMAS)) {
  await writeFile(new URL(`../${file}`, import.meta.url), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote ${file}`);
}
