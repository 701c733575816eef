/**
 * The operator commands' contract without a server: exit 3 with one line saying the server cannot
 * be reached and how to start one; exit 2 for usage mistakes, found before any connection is tried.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort, hasStackTrace, remediateAsync, scratch } from './run-cli';

let closed: Record<string, string>;
beforeAll(async () => {
  closed = { TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` };
});

const UNREACHABLE =
  /^remediate: cannot reach the Temporal server at 127\.0\.0\.1:\d+ \(namespace default\)\. Start one with `remediate dev`.*\n$/;

// Concurrent: each one waits out the client's connect deadline.
describe.concurrent('server unreachable: exit 3, one line, no stack trace', () => {
  it.for([
    ['status', 'INC001'],
    ['list', '--outcome', 'manual'],
    ['approve', 'INC003', '--key', 'test/fixtures/no-such-key', '--plan', 'a'.repeat(64)],
    ['audit', 'INC003', '--json'],
    ['submit', 'test/fixtures/seed/INC001.json'],
    ['worker'],
    ['guardrails', 'init'],
    ['guardrails', 'revoke', 'INC001', '--as', 'dave', '--reason', 'stuck'],
  ])('%j', async (args, { expect }) => {
    const run = await remediateAsync(args, { env: closed });
    expect(run).toMatchObject({ status: 3, stdout: '' });
    expect(run.stderr).toMatch(UNREACHABLE);
    expect(hasStackTrace(run.stderr)).toBe(false);
  });
});

describe('usage mistakes: exit 2 before connecting', () => {
  it.for([
    [['guardrails', 'revoke', 'INC001', '--as', ' ', '--reason', 'stuck'], '--as'],
    [['guardrails', 'revoke', 'INC001', '--as', 'dave', '--reason', ' '], '--reason'],
    [['guardrails', 'revoke', 'INC001', '--as', 'dave'], '--reason'],
  ] as const)('guardrails %j needs %s', async ([args, flag], { expect }) => {
    const run = await remediateAsync([...args], { env: closed });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(flag);
  });

  it('a reply timeout that is not whole seconds stops a worker before it connects', async () => {
    const run = await remediateAsync(['worker'], { env: { ...closed, REMEDIATE_GUARDRAILS_REPLY_TIMEOUT: 'soon' } });
    expect(run).toMatchObject({ status: 2, stderr: expect.stringContaining('REMEDIATE_GUARDRAILS_REPLY_TIMEOUT: expected whole seconds') });
  });

  it('a policy file with an unknown key or a bad value stops the worker with file:line:col, before it connects', async () => {
    const dir = scratch({
      'policy.yaml':
        'limits:\n  max_concurent: 3\nchange_windows:\n  - { name: w, time_zone: UTC, days: [mon], start: "22:00", end: "06:00", applies_to: { risks: [LOW] }, outside: approvl }\n',
    });
    const run = await remediateAsync(['worker', '--policy', join(dir, 'policy.yaml')], { env: closed });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${join(dir, 'policy.yaml')}:2:3:`);
    expect(run.stderr).toContain('max_concurrent');
    expect(run.stderr).toMatch(/policy\.yaml:4:\d+: .*outside.*(wait|approval)/);
    expect(hasStackTrace(run.stderr)).toBe(false);
  });

  it("submit validates the incident first, and takes no runbooks: the catalogue is the worker's", async () => {
    const dir = scratch({
      'bad.json': JSON.stringify({ id: 'X', root_cause: 'r', confidence: 2, service: 's' }),
      'broken.yaml': 'runbooks:\n  a:\n    triggers: [x]\n',
    });
    const incident = await remediateAsync(['submit', join(dir, 'bad.json')], { env: closed });
    expect(incident).toMatchObject({ status: 2, stderr: expect.stringMatching(new RegExp(`^${join(dir, 'bad.json')}: confidence: `)) });
    const runbooks = await remediateAsync(['submit', '-', '--runbooks', join(dir, 'broken.yaml')], {
      env: closed,
      input: JSON.stringify({ id: 'X', root_cause: 'r', confidence: 0.5, service: 's' }),
    });
    expect(runbooks).toMatchObject({ status: 2, stderr: expect.stringContaining("unknown option '--runbooks'") });
    const worker = await remediateAsync(['worker', '--runbooks', join(dir, 'broken.yaml')], { env: closed });
    expect(worker.status).toBe(1);
    expect(worker.stderr).toMatch(/the catalogue does not compile; the worker does not start/);
    expect(worker.stderr).toContain(`${join(dir, 'broken.yaml')}:2:3:`);
    expect(worker.stderr).toContain('min_confidence');
    expect(hasStackTrace(worker.stderr)).toBe(false);
  });

  it.each([
    [['approve', 'INC003'], /required option '--key <path>' not specified/],
    [['reject', 'INC003', '--key', 'k'], /required option '--reason <text>' not specified/],
    [['approve', 'INC003', '--key', 'k', '--plan', 'abc'], /--plan: expected the 64-character plan hash/],
    [['list', '--outcome', 'great'], /argument 'great' is invalid\. Allowed choices are remediated, rolled_back/],
    [['list', '--limit', '0'], /expected a positive integer, found "0"/],
    [['list', '--service', "x'y"], /^remediate: --service: "x'y" may contain only/],
    [['backtest', '--runbooks', 'runbooks', '--since', 'a week'], /expected a duration like 30m, 12h or 7d/],
    [['backtest'], /required option '--runbooks <path>' not specified/],
    [['stats', '--threshold', '1.5'], /expected a number between 0 and 1/],
    [['replay', 'no/such/dir'], /^remediate: no\/such\/dir: no such file or directory\n$/],
    [['history', 'export'], /missing required argument 'incident-id'/],
  ])('%j', async (args, message) => {
    const run = await remediateAsync(args, { env: closed });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(hasStackTrace(run.stderr)).toBe(false);
  });

  it('replay names a file that is not JSON', async () => {
    const dir = scratch({});
    writeFileSync(join(dir, 'broken.json'), '{');
    const run = await remediateAsync(['replay', dir]);
    expect(run).toMatchObject({ status: 2, stderr: expect.stringMatching(new RegExp(`^${join(dir, 'broken.json')}: invalid JSON`)) });
  });
});
