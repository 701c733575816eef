import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` needs no server; `temporal` shares one time-skipping test server,
 * one dev server and one workflow bundle per run (test/harness/global-setup.ts). Its files
 * run one at a time because time skipping is global to a server.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/temporal/**', '**/node_modules/**'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'temporal',
          include: ['test/temporal/**/*.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
          setupFiles: ['test/harness/quiet-runtime.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
