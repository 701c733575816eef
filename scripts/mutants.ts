/**
 * `npm run mutants`: shows that the tests of the approval surfaces' safety properties can fail. Each
 * mutant breaks one property in the source (CSRF check, self-approval rule, Slack's signature and replay
 * window, the OIDC callback's browser binding), runs the tests that guard it, and expects them to FAIL;
 * the source is restored afterwards whatever happens. A mutant whose tests still pass is a test that
 * cannot fail, and the script exits 1 naming it. It needs the servers `npm test` provisions.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Mutant {
  property: string;
  file: string;
  find: string;
  replace: string;
  project: 'unit' | 'temporal';
  tests: string[];
  /** Only the tests whose name matches, so a run stays short. */
  names?: string;
}

const ROOT = join(import.meta.dirname, '..');

const MUTANTS: Mutant[] = [
  {
    property: 'a form needs its session CSRF token',
    file: 'approvals/web/sessions.ts',
    find: '  if (submitted === undefined) return false;',
    replace: '  if (submitted === undefined || submitted !== undefined) return true;',
    project: 'temporal',
    tests: ['test/temporal/approvals-page.test.ts'],
    names: 'CSRF',
  },
  {
    property: 'the submitter cannot approve their own incident',
    file: 'workflows/approval-rules.ts',
    find: '  if (input.submittedBy && normaliseActor(input.submittedBy) === actor) {',
    replace: '  if (input.submittedBy && normaliseActor(input.submittedBy) === actor && false) {',
    project: 'temporal',
    tests: ['test/temporal/approvals-page.test.ts'],
    names: 'submitter',
  },
  {
    property: "Slack's signature is checked over the raw body",
    file: 'approvals/slack/signature.ts',
    find: "  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };",
    replace: '  void given;',
    project: 'unit',
    tests: ['test/approvals/slack.test.ts'],
  },
  {
    property: "Slack's five-minute replay window",
    file: 'approvals/slack/signature.ts',
    find: "  if (Math.abs(nowMs / 1000 - Number(timestamp)) > REPLAY_WINDOW_SECONDS) return { ok: false, reason: 'stale' };",
    replace: '  void REPLAY_WINDOW_SECONDS;',
    project: 'unit',
    tests: ['test/approvals/slack.test.ts'],
  },
  {
    property: 'an OIDC callback counts only in the browser that started it',
    file: 'approvals/web/oidc-routes.ts',
    find: '    if (id === undefined) return undefined;\n    const transaction',
    replace: '    id ??= [...this.byId.keys()][0];\n    if (id === undefined) return undefined;\n    const transaction',
    project: 'temporal',
    tests: ['test/temporal/approvals-page-oidc.test.ts'],
    names: 'signs in at the provider',
  },
  {
    property: 'an OIDC callback counts once',
    file: 'approvals/web/oidc-routes.ts',
    find: '    this.byId.delete(id);\n    return transaction;',
    replace: '    return transaction;',
    project: 'temporal',
    tests: ['test/temporal/approvals-page-oidc.test.ts'],
    names: 'signs in at the provider',
  },
];

function runMutant(mutant: Mutant): 'killed' | 'survived' {
  const path = join(ROOT, mutant.file);
  const original = readFileSync(path, 'utf8');
  if (!original.includes(mutant.find))
    throw new Error(`${mutant.file} no longer contains the line this mutant changes: update scripts/mutants.ts`);
  writeFileSync(path, original.replace(mutant.find, mutant.replace));
  try {
    const args = [
      'vitest',
      'run',
      '--project',
      mutant.project,
      '--retry',
      '0',
      ...mutant.tests,
      ...(mutant.names ? ['-t', mutant.names] : []),
    ];
    const run = spawnSync('npx', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    // Killed only by a test that ran and failed: no test found, or one that could not load, is no evidence.
    const failedTests = /Tests\s+\S*\s*(\d+) failed/.exec(run.stdout.replace(/\x1b\[[0-9;]*m/g, ''));
    if (run.status === 0) return 'survived';
    if (!failedTests)
      throw new Error(`${mutant.property}: the tests did not run to a verdict:\n${run.stdout.slice(-2000)}${run.stderr.slice(-2000)}`);
    return 'killed';
  } finally {
    writeFileSync(path, original);
  }
}

let survivors = 0;
for (const mutant of MUTANTS) {
  const verdict = runMutant(mutant);
  if (verdict === 'survived') survivors += 1;
  console.log(`${verdict === 'killed' ? 'killed  ' : 'SURVIVED'}  ${mutant.property}  (${mutant.file}; ${mutant.tests.join(', ')})`);
}
console.log(survivors === 0 ? `every mutant was killed: each property's tests fail when it is broken` : `${survivors} mutant(s) survived`);
process.exit(survivors === 0 ? 0 : 1);
