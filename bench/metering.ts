/**
 * `npm run bench:metering`: the usage ledger on a real PostgreSQL (embedded, temporary data directory)
 * with the project's emulator as Microsoft, over real HTTP.
 *
 *  - ingest: `ingest()` of batches of 1,000 events (validation, idempotency keys, hour totals, one
 *    transaction each, answered after commit), in events per second and as a ratio to a bare multi-row
 *    INSERT of the same rows into a table of the same shape, in the same run; and the p99 of a batch;
 *  - submission: closing and reporting 10,000 subscription-hours (10,000 subscriptions, the previous
 *    hour each): Get Subscription for each, then Batch Usage Event 25 at a time.
 *
 * Goals: ≥ 10,000 events/s and ≥ 0.5× the bare insert. Results go to bench/results/metering-<time>.json.
 * Needs the current UTC hour not to be 00 (the subscriptions' term starts today, the hour before it does not).
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../config/logger.ts'
import { startEmulator } from '../emulator/index.ts'
import { createMarketplaceClient } from '../marketplace/client/index.ts'
import type { UsageEventInput } from '../metering/ingest.ts'
import { startPostgres } from '../metering/postgres-server.ts'
import { startMetering } from '../metering/service.ts'
import { latency } from './stats.ts'

const BATCH = 1_000
const BATCHES = Number(process.env.BENCH_BATCHES ?? 30)
const SUBSCRIPTION_HOURS = Number(process.env.BENCH_SUBSCRIPTION_HOURS ?? 10_000)
const HOUR = 3_600_000

const dir = mkdtempSync(join(tmpdir(), 'saas-bench-metering-'))
const postgres = await startPostgres({ dataDir: dir })
const emulator = await startEmulator({})
const marketplace = createMarketplaceClient({
  baseUrl: emulator.apiUrl,
  staticToken: emulator.staticToken,
  // Listing 10,000 subscriptions at the emulator is slow on a busy machine; a connection the emulator
  // closed as idle just as it was reused is tried again (setup, not measured).
  timeoutMs: 120_000,
  retry: { attempts: 3 },
  logger: silentLogger,
})
const metering = await startMetering({
  settings: {
    databaseUrl: postgres.url,
    catalogPath: join(import.meta.dirname, '..', 'config', 'metering-catalog.json'),
    graceMs: 0,
    stateMaxAgeMs: 3_600_000,
  },
  marketplace,
  logger: silentLogger,
  poolSize: 20,
})
const m = emulator.marketplace
const buy = () => m.purchase({ offerId: 'contoso-analytics', planId: 'metered', autoActivate: true }).subscription.id

try {
  // Ingest: 100 subscriptions, the current hour; Microsoft is asked about each once, before timing.
  const subscriptions = Array.from({ length: 100 }, buy)
  const now = new Date().toISOString()
  const batch = (): UsageEventInput[] =>
    Array.from({ length: BATCH }, (_, i) => ({
      id: randomUUID(),
      subscriptionId: subscriptions[i % subscriptions.length]!,
      dimension: i % 2 ? 'api-calls' : 'storage-gb',
      quantity: 1 + (i % 7),
      occurredAt: now,
    }))
  await metering.ingest(subscriptions.map((s) => ({ ...batch()[0]!, subscriptionId: s })))
  await metering.pool.query('CREATE TABLE bare_events (LIKE usage_events INCLUDING ALL)')

  const batches = Array.from({ length: BATCHES }, batch)
  const ingestMs: number[] = []
  const bareMs: number[] = []
  for (const events of batches) {
    let started = performance.now()
    const results = await metering.ingest(events)
    ingestMs.push(performance.now() - started)
    if (results.some((r) => r.status !== 'accepted')) throw new Error(`not accepted: ${JSON.stringify(results[0])}`)
    // The bare baseline: the same rows, one multi-row INSERT, its own implicit transaction.
    const values = events.map(
      (_, i) => `($${i * 6 + 1}, $${i * 6 + 2}, $${i * 6 + 3}, $${i * 6 + 4}, $${i * 6 + 5}, $${i * 6 + 6})`,
    )
    const params = events.flatMap((e) => [
      e.id,
      e.subscriptionId,
      e.dimension,
      e.quantity,
      e.occurredAt,
      new Date(Math.floor(Date.parse(e.occurredAt) / HOUR) * HOUR),
    ])
    started = performance.now()
    await metering.pool.query(
      `INSERT INTO bare_events (id, subscription_id, dimension, quantity, occurred_at, hour) VALUES ${values.join(',')}`,
      params,
    )
    bareMs.push(performance.now() - started)
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
  const ingestRate = (BATCHES * BATCH) / (sum(ingestMs) / 1000)
  const bareRate = (BATCHES * BATCH) / (sum(bareMs) / 1000)
  const ingest = {
    batch: BATCH,
    batches: BATCHES,
    eventsPerSecond: Math.round(ingestRate),
    bareInsertEventsPerSecond: Math.round(bareRate),
    ratioToBareInsert: Math.round((ingestRate / bareRate) * 100) / 100,
    batchLatencyMs: latency(ingestMs),
    bareLatencyMs: latency(bareMs),
    // The machine is shared: the 1, 5 and 15 minute load averages after the ingest, to read the rates by.
    loadAverage: loadavg().map((l) => Math.round(l * 10) / 10),
  }
  // Now, in case the submission part fails on a busy machine.
  console.log(JSON.stringify({ ingest }, null, 2))

  // Submission: one subscription-hour each, in the previous hour.
  const many = Array.from({ length: SUBSCRIPTION_HOURS }, buy)
  const lastHour = new Date(Math.floor(Date.now() / HOUR) * HOUR - HOUR + 60_000).toISOString()
  for (let i = 0; i < many.length; i += BATCH) {
    const events = many.slice(i, i + BATCH).map((s) => ({
      id: randomUUID(),
      subscriptionId: s,
      dimension: 'storage-gb',
      quantity: 3,
      occurredAt: lastHour,
    }))
    const results = await metering.ingest(events)
    if (results.some((r) => r.status !== 'accepted')) throw new Error(`not accepted: ${JSON.stringify(results[0])}`)
  }
  const started = performance.now()
  const report = await metering.submit()
  const submitMs = performance.now() - started
  if (report.accepted < SUBSCRIPTION_HOURS)
    throw new Error(`only ${report.accepted} accepted: ${JSON.stringify(report)}`)

  const result = {
    at: new Date().toISOString(),
    ingest,
    submission: {
      subscriptionHours: SUBSCRIPTION_HOURS,
      seconds: Math.round(submitMs / 100) / 10,
      batchCalls: Math.ceil(SUBSCRIPTION_HOURS / 25),
      loadAverage: loadavg().map((l) => Math.round(l * 10) / 10),
    },
    goals: {
      eventsPerSecond: ingestRate >= 10_000 ? 'met' : 'missed',
      ratioToBareInsert: ingestRate / bareRate >= 0.5 ? 'met' : 'missed',
    },
  }
  console.log(JSON.stringify(result, null, 2))
  const out = join(import.meta.dirname, 'results')
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, `metering-${result.at.replace(/[:.]/g, '-')}.json`), JSON.stringify(result, null, 2))
} finally {
  await metering.close()
  await emulator.stop()
  await postgres.stop()
  rmSync(dir, { recursive: true, force: true })
}
