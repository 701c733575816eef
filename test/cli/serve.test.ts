/** `remediate serve`'s configuration mistakes: one message each with its exit code, before anything connects. */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, remediateAsync, scratch } from './run-cli';

const sha = createHash('sha256').update('token').digest('hex');
// Nothing listens here: a serve that got as far as connecting would say so instead.
const env = { TEMPORAL_ADDRESS: '127.0.0.1:1' };

async function serve(policy: string, ...args: string[]) {
  const dir = scratch({ 'policy.yaml': policy });
  return await remediateAsync(['serve', '--no-worker', '--policy', join(dir, 'policy.yaml'), ...args], { env });
}

describe('remediate serve', () => {
  it('refuses a policy without intake sources (exit 2)', async () => {
    const run = await serve('limits: { max_concurrent: 2 }\n');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('lists no intake.sources');
    expect(hasStackTrace(run.stderr)).toBe(false);
  });

  it('names a bad intake key at FILE:LINE:COL (exit 1)', async () => {
    const run = await serve('intake:\n  sources:\n    a: { token_sha256: nothex }\n');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/policy\.yaml:3:\d+: intake\.sources\.a\.token_sha256: expected the sha256 of the token/);
    expect(hasStackTrace(run.stderr)).toBe(false);
  });

  it('refuses a bad --listen and an unreadable TLS file or signing key (exit 2)', async () => {
    const source = `intake:\n  sources:\n    a: { token_sha256: ${sha} }\n`;
    const listen = await serve(source, '--listen', 'nowhere');
    expect([listen.status, listen.stderr]).toEqual([2, expect.stringContaining('--listen nowhere: expected HOST:PORT')]);
    const tls = await serve(`${source}  tls: { cert_file: missing.crt, key_file: missing.key }\n`);
    expect([tls.status, tls.stderr]).toEqual([2, expect.stringMatching(/cannot read the intake's TLS certificate .*missing\.crt/)]);
    const key = await serve(`intake:\n  sources:\n    a: { token_sha256: ${sha}, signing_key_file: missing-key }\n`);
    expect([key.status, key.stderr]).toEqual([2, expect.stringContaining('intake.sources.a.signing_key_file: cannot read')]);
  });

  it('reports an unreachable Temporal server with exit 3', async () => {
    const run = await serve(`intake:\n  sources:\n    a: { token_sha256: ${sha} }\n`, '--listen', '127.0.0.1:0');
    expect(run.status).toBe(3);
    expect(run.stderr).toContain('cannot reach the Temporal server at 127.0.0.1:1');
  });
});
