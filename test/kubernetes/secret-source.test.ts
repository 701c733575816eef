/**
 * The `kubernetes` secret source (activities/secrets/sources.ts) against the local control plane: a
 * real Secret is read at the moment of the call (a changed value is read the next time), and a
 * missing Secret or key fails with a reason naming where it looked, never a value.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { secretReader, SecretUnavailableError } from '../../activities/secrets/sources';
import type { KubernetesConnection } from '../../kubernetes/connection';
import { ensureNamespace, testConnection } from '../harness/kubernetes';

const NS = 'remediate-secrets';
const NAME = `api-${Date.now().toString(36)}`;
let k8s: KubernetesConnection;

beforeAll(async () => {
  k8s = testConnection();
  await ensureNamespace(k8s, NS);
  await k8s.core.createNamespacedSecret({
    namespace: NS,
    body: { metadata: { name: NAME }, data: { token: Buffer.from('first-value-0451').toString('base64') } },
  });
});

const read = secretReader(
  new Map([
    ['API_TOKEN', { kind: 'kubernetes', namespace: NS, name: NAME, key: 'token' }],
    ['NO_KEY', { kind: 'kubernetes', namespace: NS, name: NAME, key: 'absent' }],
    ['NO_SECRET', { kind: 'kubernetes', namespace: NS, name: 'nowhere', key: 'token' }],
  ] as const),
  { kubernetes: () => k8s },
);

describe('a Kubernetes Secret as a secret source', () => {
  it('reads the key, decoded, each time it is asked: a rotated value is used at once', async () => {
    expect(await read('API_TOKEN')).toBe('first-value-0451');
    await k8s.core.replaceNamespacedSecret({
      namespace: NS,
      name: NAME,
      body: { metadata: { name: NAME }, data: { token: Buffer.from('second-value-0452').toString('base64') } },
    });
    expect(await read('API_TOKEN')).toBe('second-value-0452');
  });

  it('a missing key or Secret is a reason naming where it looked, and no value', async () => {
    const missingKey = await read('NO_KEY').catch((error: unknown) => error);
    expect(missingKey).toBeInstanceOf(SecretUnavailableError);
    expect((missingKey as Error).message).toBe(`secret NO_KEY (kubernetes source): Kubernetes Secret ${NS}/${NAME} has no key "absent"`);
    const missingSecret = await read('NO_SECRET').catch((error: unknown) => error);
    expect((missingSecret as Error).message).toBe(
      `secret NO_SECRET (kubernetes source): Kubernetes Secret ${NS}/nowhere key token cannot be read (HTTP 404)`,
    );
    expect(`${String(missingKey)}${String(missingSecret)}`).not.toMatch(/value-045/);
  });
});
