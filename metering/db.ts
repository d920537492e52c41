/**
 * The ledger's database: a `pg` pool on `DATABASE_URL`, and the versioned migrations in `migrations/`
 * (node-pg-migrate), run on start. node-pg-migrate holds a PostgreSQL advisory lock while it migrates and
 * here waits for it, so several workers and servers starting at once migrate once, one after the other.
 * @module
 */
import { fileURLToPath } from 'node:url'
import { runner } from 'node-pg-migrate'
import pg from 'pg'
import type { Logger } from '../config/logger.ts'

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url))

export type Pool = pg.Pool

export function createPool(url: string, max = 10): pg.Pool {
  return new pg.Pool({ connectionString: url, max })
}

/** Applies the migrations not yet applied; safe to call from several processes at once. */
export async function migrate(url: string, logger: Logger): Promise<void> {
  await runner({
    databaseUrl: url,
    dir: MIGRATIONS,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    advisoryLockMode: 'wait',
    log: (message) => logger.debug({ message }, 'migration'),
  })
}

/** Runs `body` in one transaction: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    const result = await body(client)
    await client.query('COMMIT')
    return result
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    throw err
  } finally {
    client.release()
  }
}
