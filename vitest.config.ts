import { defineConfig } from 'vitest/config'

// Two projects: pure tests that need nothing, and integration tests that share one real Temporal dev
// server started by the global setup (test/setup/temporal-server.ts).
export default defineConfig({
  test: {
    // Vitest's default on a 2-core machine is one file at a time; integration files mostly wait on servers,
    // so two at a time roughly halves the suite's wall time there without starving either.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          exclude: ['node_modules/**', '.cache/**', 'test/integration/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/temporal-server.ts', 'test/setup/postgres.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
    ],
  },
})
