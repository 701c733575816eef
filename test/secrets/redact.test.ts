/** Redaction and revealing: values in, `secret:NAME` out; failures name the secret and its source only. */
import { describe, expect, it } from 'vitest';
import { redactDeep, redactText } from '../../activities/secrets/redact';
import { revealSecrets } from '../../activities/secrets/reveal';
import { secretReader, SecretUnavailableError } from '../../activities/secrets/sources';
import type { KubernetesConnection } from '../../kubernetes/connection';

const noCluster = (): KubernetesConnection => {
  throw new Error('no cluster in this test');
};

describe('redactText / redactDeep', () => {
  it('replaces every occurrence of each value, the longer first, keys and nested strings too', () => {
    const secrets = new Map([
      ['SHORT', 'abc'],
      ['LONG', 'xxabcxx'],
    ]);
    expect(redactText('a xxabcxx b abc abc', secrets)).toBe('a secret:LONG b secret:SHORT secret:SHORT');
    expect(redactDeep({ stdout: 'abc\n', json: { abc: ['xxabcxx', 1, null] } }, secrets)).toEqual({
      stdout: 'secret:SHORT\n',
      json: { 'secret:SHORT': ['secret:LONG', 1, null] },
    });
    expect(redactText('nothing here', new Map([['EMPTY', '']]))).toBe('nothing here');
  });
});

describe('secretReader and revealSecrets', () => {
  const sources = new Map([
    ['API_TOKEN', { kind: 'env' as const, variable: 'T_ENV' }],
    ['KEY', { kind: 'file' as const, path: '/nope/key' }],
  ]);

  it('reveals a rendered step from the sources, listing the values used', async () => {
    const read = secretReader(sources, { env: { T_ENV: 'v@lue' }, kubernetes: noCluster });
    const revealed = await revealSecrets(
      { executor: 'exec', argv: ['tool', { secret: 'API_TOKEN' }], env: { T: { secret: 'API_TOKEN' } }, okExitCodes: [0] },
      read,
    );
    expect(revealed.spec).toMatchObject({ argv: ['tool', 'v@lue'], env: { T: 'v@lue' } });
    expect([...revealed.secrets]).toEqual([['API_TOKEN', 'v@lue']]);
  });

  it('a missing source fails with the secret, its source kind and where, never a value', async () => {
    const read = secretReader(sources, {
      env: {},
      readFile: () => Promise.reject(Object.assign(new Error('x'), { code: 'ENOENT' })),
      kubernetes: noCluster,
    });
    await expect(read('API_TOKEN')).rejects.toThrow(
      new SecretUnavailableError('API_TOKEN', 'env', "environment variable T_ENV is not set in the worker's environment"),
    );
    await expect(read('API_TOKEN')).rejects.toThrow('secret API_TOKEN (env source): environment variable T_ENV is not set');
    await expect(read('KEY')).rejects.toThrow('secret KEY (file source): file /nope/key cannot be read (ENOENT)');
    await expect(read('GONE')).rejects.toThrow('secret GONE (operator policy): not defined');
  });

  it('reads a Kubernetes Secret key, base64-decoded', async () => {
    const kube = { core: { readNamespacedSecret: () => Promise.resolve({ data: { password: Buffer.from('pa55').toString('base64') } }) } };
    const read = secretReader(new Map([['DB', { kind: 'kubernetes' as const, namespace: 'ops', name: 'db', key: 'password' }]]), {
      kubernetes: () => kube as unknown as KubernetesConnection,
    });
    expect(await read('DB')).toBe('pa55');
    const missing = secretReader(new Map([['DB', { kind: 'kubernetes' as const, namespace: 'ops', name: 'db', key: 'other' }]]), {
      kubernetes: () => kube as unknown as KubernetesConnection,
    });
    await expect(missing('DB')).rejects.toThrow('secret DB (kubernetes source): Kubernetes Secret ops/db has no key "other"');
  });
});
