// One lint config for the whole repository. Workflow and machine code is replayed by Temporal, so it
// may not reach for I/O, Node built-ins or Azure SDKs: those imports are errors there.
import { builtinModules } from 'node:module'
import tseslint from 'typescript-eslint'

const nodeBuiltins = builtinModules.flatMap((name) => [name, `node:${name}`])
const ioModules = [
  '@azure/*',
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/testing',
  '@hono/*',
  'hono',
  'hono/*',
  'jose',
  'pino',
  'pino-*',
]

export default tseslint.config(
  { ignores: ['node_modules/', '.cache/', '.data/', 'coverage/', 'dist/', 'marketplace/openapi/*.d.ts'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Forgetting to await an activity, a workflow API or a fetch loses work silently.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['workflows/**/*.ts', 'machines/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow and machine code must be deterministic.' })),
          patterns: [{ group: ioModules, message: 'No I/O in workflow or machine code: use an activity.' }],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'fetch', message: 'No I/O in workflow or machine code: use an activity.' },
        { name: 'process', message: 'Configuration reaches workflows through their input.' },
      ],
    },
  },
)
