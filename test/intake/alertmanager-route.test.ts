import type { Client } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { alertmanagerRoute } from '../../intake/alertmanager-route';
import { parseOperatorPolicy } from '../../worker/operator-policy';

const GROUPED = fileURLToPath(new URL('../fixtures/alertmanager/documented-grouped-v4.json', import.meta.url));
const POLICY_FILE = fileURLToPath(new URL('../fixtures/alertmanager/rules-policy.yaml', import.meta.url));
const rules = parseOperatorPolicy(POLICY_FILE, readFileSync(POLICY_FILE, 'utf8'), () => '').alertmanagerRules;
/** Not reached by these tests: firing alerts go through `submit`. */
const noClient = {} as Client;

describe('alertmanagerRoute without a server', () => {
  it('submits one incident per alert, as the authenticated source', async () => {
    const submitted: [string, string][] = [];
    const route = alertmanagerRoute({
      rules,
      client: noClient,
      submit: async (source, incident) => {
        submitted.push([source, incident.id]);
        return { kind: 'started', workflowId: `incident-${incident.id}` };
      },
      log: () => undefined,
    });
    const body: unknown = JSON.parse(readFileSync(GROUPED, 'utf8'));
    const answer = await route({ source: 'am-prod', body, rawBody: Buffer.alloc(0) });
    expect(answer.status).toBe(200);
    expect(submitted).toEqual([
      ['am-prod', 'am-1a30ba71cca2921f-20261202T165845.828Z'],
      ['am-prod', 'am-c6eadffa33fcdf37-20261202T165846.000Z'],
    ]);
    expect(answer.body).toMatchObject({ counts: { started: 2, attached: 0, unmapped: 0, refused: 0 } });
  });

  it('Temporal unreachable: 503 with Retry-After, so Alertmanager delivers again (repeats attach)', async () => {
    const route = alertmanagerRoute({
      rules,
      client: noClient,
      submit: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:7233');
      },
      log: () => undefined,
    });
    const body: unknown = JSON.parse(readFileSync(GROUPED, 'utf8'));
    const answer = await route({ source: 'am-prod', body, rawBody: Buffer.alloc(0) });
    expect(answer).toMatchObject({ status: 503, headers: { 'Retry-After': '10' } });
  });

  it('an invalid payload: 400 with the field, nothing submitted', async () => {
    let calls = 0;
    const route = alertmanagerRoute({
      rules,
      client: noClient,
      submit: async () => {
        calls += 1;
        return { kind: 'started', workflowId: 'x' };
      },
    });
    const answer = await route({ source: 'am-prod', body: { version: '4', status: 'firing', alerts: [{}] }, rawBody: Buffer.alloc(0) });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ errors: expect.arrayContaining([expect.objectContaining({ field: 'alerts[0].status' })]) });
    expect(calls).toBe(0);
  });
});
