import { defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` needs no server; `temporal` shares one time-skipping test server,
 * one dev server and one workflow bundle per run (test/harness/global-setup.ts). Its files
 * run one at a time because time skipping is global to a server. `kubernetes` adds the local
 * control plane (test/harness/kubernetes-setup.ts) and runs workflows on its own dev server
 * in real time, as the cluster does; its files run one at a time because they share the cluster.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/temporal/**', 'test/kubernetes/**', '**/node_modules/**'],
          testTimeout: 30_000,
          globalSetup: ['test/harness/build-cli.ts'],
        },
      },
      {
        test: {
          name: 'temporal',
          include: ['test/temporal/**/*.test.ts'],
          // One retry, reported by vitest: a time-skipping test hung once in eight clean-clone runs after
          // the test server dropped the client's connection ("excess pings"); a real failure fails both.
          retry: 1,
          globalSetup: ['test/harness/build-cli.ts', 'test/harness/global-setup.ts'],
          setupFiles: ['test/harness/quiet-runtime.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'kubernetes',
          include: ['test/kubernetes/**/*.test.ts'],
          // Rollouts wait on real controllers in real time; on a loaded 2-core machine one can miss
          // its deadline. One retry, reported by vitest; a real failure fails both attempts.
          retry: 1,
          globalSetup: ['test/harness/build-cli.ts', 'test/harness/global-setup.ts', 'test/harness/kubernetes-setup.ts'],
          setupFiles: ['test/harness/quiet-runtime.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
