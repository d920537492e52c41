/**
 * Ingest's storage on a real PostgreSQL (test/setup/postgres.ts), with the emulator as Microsoft: the
 * idempotency keys within one request and across requests at the same time, and an hour that closes
 * between ingest's read and its write.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../config/logger.ts'
import { startEmulator, type EmulatorHandle } from '../../emulator/index.ts'
import { createMarketplaceClient } from '../../marketplace/client/index.ts'
import { startMetering, type MeteringService } from '../../metering/service.ts'
import { createTestDatabase } from '../support/database.ts'

const HOUR = 3_600_000
const lastHour = () => new Date(Math.floor(Date.now() / HOUR) * HOUR - HOUR)
const currentHour = () => new Date(Math.floor(Date.now() / HOUR) * HOUR)

let emulator: EmulatorHandle
let metering: MeteringService

beforeAll(async () => {
  emulator = await startEmulator({})
  metering = await startMetering({
    settings: {
      databaseUrl: await createTestDatabase(),
      catalogPath: new URL('../../config/metering-catalog.json', import.meta.url).pathname,
      graceMs: 0,
      stateMaxAgeMs: 3_600_000,
    },
    marketplace: createMarketplaceClient({
      baseUrl: emulator.apiUrl,
      staticToken: emulator.staticToken,
      logger: silentLogger,
    }),
    logger: silentLogger,
  })
})

afterAll(async () => {
  await metering?.close()
  await emulator?.stop()
})

const buy = () =>
  emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'metered', autoActivate: true }).subscription.id

const event = (subscriptionId: string, quantity: number, at = new Date()) => ({
  id: randomUUID(),
  subscriptionId,
  dimension: 'api-calls',
  quantity,
  occurredAt: at.toISOString(),
})

async function hourRow(subscriptionId: string, hour: Date) {
  const { rows } = await metering.pool.query<{ quantity: string; status: string }>(
    'SELECT quantity, status FROM usage_hours WHERE subscription_id = $1 AND hour = $2',
    [subscriptionId, hour],
  )
  return rows[0] && { quantity: Number(rows[0].quantity), status: rows[0].status }
}

describe('ingest', () => {
  it('stores an id given twice in one request once: the same content is a duplicate, other content refused', async () => {
    const id = buy()
    const e = event(id, 4)
    const results = await metering.ingest([e, { ...e }, { ...e, quantity: 5 }, event(id, 1)])
    expect(results.map((r) => r.status)).toEqual(['accepted', 'duplicate', 'rejected', 'accepted'])
    expect(results[2]).toMatchObject({ reason: expect.stringMatching(/already used for different usage/) as unknown })
    expect(await hourRow(id, currentHour())).toEqual({ quantity: 5, status: 'open' })
  })

  it('counts an event sent by two requests at the same time once', async () => {
    const id = buy()
    await metering.ingest([event(id, 1)]) // Microsoft asked about the subscription before the race
    const events = Array.from({ length: 200 }, () => event(id, 1))
    const [a, b] = await Promise.all([metering.ingest(events), metering.ingest([...events].reverse())])
    const statuses = [...a, ...b].map((r) => r.status)
    expect(statuses.filter((s) => s === 'accepted')).toHaveLength(200)
    expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(200)
    expect(await hourRow(id, currentHour())).toEqual({ quantity: 201, status: 'open' })
  })

  it('moves events whose hour closes between its read and its write into the next open hour, counted once', async () => {
    const id = buy()
    const at = new Date(lastHour().getTime() + 10 * 60_000)
    await metering.ingest([event(id, 3, at)])
    // The hour is closed (as a submission run would) right after ingest has looked it up as open.
    const pool = metering.pool
    const query = pool.query.bind(pool)
    const run = query as (config: unknown, values?: unknown[]) => Promise<unknown>
    let closed = false
    pool.query = (async (config: unknown, values?: unknown[]) => {
      const result = await run(config, values)
      if ((config as { name?: string }).name === 'metering-ingest-look-up' && !closed) {
        closed = true
        await run("UPDATE usage_hours SET status = 'included' WHERE subscription_id = $1 AND hour = $2", [
          id,
          lastHour(),
        ])
      }
      return result
    }) as typeof query
    try {
      const results = await metering.ingest([event(id, 7, at), event(id, 2, at)])
      expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted'])
    } finally {
      pool.query = query
    }
    expect(closed).toBe(true)
    expect(await hourRow(id, lastHour())).toEqual({ quantity: 3, status: 'included' })
    expect(await hourRow(id, currentHour())).toEqual({ quantity: 9, status: 'open' })
    const { rows } = await metering.pool.query<{ hour: Date; n: string }>(
      'SELECT hour, count(*) AS n FROM usage_events WHERE subscription_id = $1 GROUP BY hour ORDER BY hour',
      [id],
    )
    expect(rows.map((r) => [r.hour.toISOString(), Number(r.n)])).toEqual([
      [lastHour().toISOString(), 1],
      [currentHour().toISOString(), 2],
    ])
  })

  it('closes an hour with the events of an ingest that commits while the close waits for it', async () => {
    const id = buy()
    const at = new Date(lastHour().getTime() + 20 * 60_000)
    await metering.ingest([event(id, 150, at)])
    // An ingest of 30 more units for the hour, stored but not yet committed (holding the hour's row).
    const ingest = await metering.pool.connect()
    try {
      await ingest.query('BEGIN')
      await ingest.query(
        `INSERT INTO usage_events (id, subscription_id, dimension, quantity, occurred_at, hour)
         VALUES ($1, $2, 'api-calls', 30, $3, $4)`,
        [randomUUID(), id, at, lastHour()],
      )
      await ingest.query(
        'UPDATE usage_hours SET quantity = quantity + 30 WHERE subscription_id = $1 AND dimension = $2 AND hour = $3',
        [id, 'api-calls', lastHour()],
      )
      const submission = metering.submit()
      // The close is waiting for that row: then the ingest commits.
      await expect
        .poll(
          async () =>
            (
              await metering.pool.query(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'",
              )
            ).rowCount,
          { timeout: 10_000 },
        )
        .toBe(1)
      await ingest.query('COMMIT')
      await submission
    } finally {
      ingest.release()
    }
    const { rows } = await metering.pool.query<{ quantity: string; reported: string; status: string }>(
      "SELECT quantity, reported, status FROM usage_hours WHERE subscription_id = $1 AND dimension = 'api-calls' AND hour = $2",
      [id, lastHour()],
    )
    // 180 units, 100 of them included: 80 reported (not 50, as if the committed 30 were not there).
    expect(rows[0]).toMatchObject({ quantity: '180', reported: '80' })
  })
})
