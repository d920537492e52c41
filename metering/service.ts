/**
 * The metering service: the ledger and everything that works on it, wired once per process (the HTTP
 * server ingests and reads; the worker's activities submit and reconcile).
 * @module
 */
import type { Logger } from '../config/logger.ts'
import type { MarketplaceClient } from '../marketplace/client/index.ts'
import { loadCatalog, type Catalog } from './catalog.ts'
import { createPool, migrate, type Pool } from './db.ts'
import { ingest, type UsageEventInput } from './ingest.ts'
import { includedRemaining, moveHour, retryHour, usageOf } from './read.ts'
import { dayToReconcile, reconcileDay } from './reconcile.ts'
import { createObserver, recordState, type SubscriptionState } from './states.ts'
import { submitUsage } from './submit.ts'

export interface MeteringSettings {
  databaseUrl: string
  catalogPath: string
  graceMs: number
  /** How long ingest trusts a subscription state read from Microsoft. */
  stateMaxAgeMs: number
  /** Hours not accepted this long before their deadline are alerted (default 6 hours). */
  alertBeforeMs?: number
}

/** Well before Microsoft's 24 hours end: a quarter of them is left for someone to act. */
export const ALERT_BEFORE_MS = 6 * 3_600_000

export type MeteringService = Awaited<ReturnType<typeof startMetering>>

export async function startMetering(options: {
  settings: MeteringSettings
  marketplace: MarketplaceClient
  logger: Logger
  now?: () => number
  poolSize?: number
  catalog?: Catalog
}) {
  const { settings, marketplace, logger } = options
  const now = options.now ?? Date.now
  const catalog = options.catalog ?? loadCatalog(settings.catalogPath)
  await migrate(settings.databaseUrl, logger)
  const pool: Pool = createPool(settings.databaseUrl, options.poolSize)
  pool.on('error', (err) => logger.warn({ err }, 'idle ledger connection failed'))
  const observer = createObserver({ pool, marketplace, now })

  return {
    pool,
    catalog,
    ingest: (events: UsageEventInput[]) =>
      ingest({ pool, catalog, observer, stateMaxAgeMs: settings.stateMaxAgeMs, now }, events),
    submit: (progress?: (sent: number) => void) =>
      submitUsage({
        pool,
        catalog,
        observer,
        marketplace,
        now,
        graceMs: settings.graceMs,
        alertBeforeMs: settings.alertBeforeMs ?? ALERT_BEFORE_MS,
        logger,
        progress,
      }),
    reconcile: (day = dayToReconcile(now())) => reconcileDay({ pool, marketplace }, day),
    usageOf: (subscriptionId: string, from: Date, to: Date) => usageOf(pool, subscriptionId, from, to),
    includedRemaining: (subscriptionId: string) => includedRemaining(pool, catalog, subscriptionId, now()),
    retryHour: (subscriptionId: string, dimension: string, hour: Date) =>
      retryHour(pool, subscriptionId, dimension, hour),
    moveHour: (subscriptionId: string, dimension: string, hour: Date) =>
      moveHour(pool, subscriptionId, dimension, hour, now()),
    /** A change the subscription's workflow applied, at Microsoft's time of it. */
    recordState: (subscriptionId: string, state: Omit<SubscriptionState, 'since'>, since: Date) =>
      recordState(pool, subscriptionId, state, since, 'workflow'),
    close: () => pool.end(),
  }
}
