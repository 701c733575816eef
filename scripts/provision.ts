/**
 * Provisions the Temporal servers the tests and the demo use: the Temporal CLI (dev server),
 * built from the Go module proxy, and the time-skipping test server, resolved from Maven Central.
 * Pinned in toolchain/versions.ts; cached under ~/.cache/remediate (REMEDIATE_CACHE_DIR);
 * skipped for TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH.
 */
import { BadOverrideError, MissingToolError, ProvisionError, describe, ensureToolchain } from '../toolchain';

const log = (line: string) => console.log(`[provision] ${line}`);

try {
  const { temporalCli, testServer } = await ensureToolchain(log);
  log(describe('Temporal CLI', temporalCli));
  log(describe('Temporal test server', testServer));
} catch (error) {
  if (error instanceof MissingToolError || error instanceof ProvisionError || error instanceof BadOverrideError) {
    console.error(`[provision] ${error.message}`);
    process.exit(1);
  }
  throw error;
}
