// Lint: type-aware rules where they catch real bugs (floating promises), import hygiene, and the
// determinism boundary: workflow and DSL code must not reach Node built-ins (the bundling test
// proves the same at run time; this says it at edit time, with the file and line).
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = {
  patterns: [
    { group: ['node:*'], message: 'workflows/ and dsl/ are deterministic and bundled for the workflow sandbox: no Node built-ins.' },
  ],
  paths: [
    'fs',
    'path',
    'os',
    'crypto',
    'child_process',
    'http',
    'https',
    'net',
    'url',
    'util',
    'events',
    'stream',
    'timers',
    'process',
  ].map((name) => ({
    name,
    message: 'workflows/ and dsl/ are deterministic and bundled for the workflow sandbox: no Node built-ins.',
  })),
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.dist-*/**', '.data/**', 'bench/results/**', 'test/histories/**', 'schema/**'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
    },
  },
  { files: ['workflows/**/*.ts', 'dsl/**/*.ts'], rules: { 'no-restricted-imports': ['error', NODE_BUILTINS] } },
  // Small modules with one job in the engine's core: a longer one says why in an eslint-disable comment.
  {
    files: ['workflows/**/*.ts', 'dsl/**/*.ts', 'activities/**/*.ts'],
    ignores: ['dsl/legacy/**'],
    rules: {
      'max-lines': ['error', { max: 250, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
);
