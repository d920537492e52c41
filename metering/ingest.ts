/**
 * Ingest: the vendor's usage events into the ledger, each `accepted`, `duplicate` or `rejected` with a
 * reason that says what to fix. The answer is given only after the transaction that stores the events,
 * their idempotency keys (the events' own `id`s, the table's primary key) and their hours has committed.
 *
 * An event is billed in the UTC hour it occurred in; when that hour is already closed (late usage) it
 * goes into the next open hour, and keeps its own `occurredAt` for tracing and for the status check.
 *
 * A request costs two round trips when every hour is open: one read for validation, one statement that
 * stores (its own transaction); late usage takes a transaction of a few statements.
 * @module
 */
import type pg from 'pg'
import { dimensionOf, dimensionsOf, type Catalog } from './catalog.ts'
import { inTransaction } from './db.ts'
import { HOUR_MS, floorHour, MICROSOFT_WINDOW_MS } from './hours.ts'
import { addToHistory, histories, stateAt, type Observer, type StateRecord, type SubscriptionState } from './states.ts'

/** Usage stamped a little ahead of this clock is taken as clock skew, not as the future. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000
export const MAX_EVENTS = 1000

export interface UsageEventInput {
  id: string
  subscriptionId: string
  dimension: string
  quantity: number
  occurredAt: string
}

export type IngestResult =
  { id: string; status: 'accepted' | 'duplicate' } | { id: string; status: 'rejected'; reason: string }

export interface IngestDeps {
  pool: pg.Pool
  catalog: Catalog
  observer: Observer
  /** How long a state read from Microsoft is trusted before Get Subscription is asked again. */
  stateMaxAgeMs: number
  now: () => number
}

interface Candidate extends UsageEventInput {
  at: Date
  hour: Date
  /** The event as given: results are keyed by it. */
  input: UsageEventInput
}

export async function ingest(deps: IngestDeps, events: UsageEventInput[]): Promise<IngestResult[]> {
  const now = deps.now()
  const results = new Map<UsageEventInput, IngestResult>()
  const reject = (e: UsageEventInput, reason: string) => results.set(e, { id: e.id, status: 'rejected', reason })

  const timely: Candidate[] = []
  for (const e of events) {
    const at = new Date(e.occurredAt)
    if (!(e.quantity > 0)) reject(e, `quantity must be greater than 0 (got ${e.quantity})`)
    else if (at.getTime() > now + MAX_CLOCK_SKEW_MS)
      reject(e, `occurredAt ${e.occurredAt} is in the future; send usage once it has happened`)
    else if (at.getTime() < now - MICROSOFT_WINDOW_MS)
      reject(e, `occurredAt ${e.occurredAt} is too old to bill: Microsoft takes usage only within 24 hours`)
    else timely.push({ ...e, at, hour: floorHour(at), input: e })
  }

  const ids = [...new Set(timely.map((e) => e.subscriptionId))]
  const known = ids.length ? await lookUp(deps.pool, ids, timely, now - deps.stateMaxAgeMs) : undefined
  const history = known?.history ?? new Map<string, SubscriptionState[]>()
  let unknown = new Set<string>()
  if (known?.stale.length) {
    unknown = await deps.observer.observe(known.stale, deps.stateMaxAgeMs)
    for (const [id, states] of await histories(deps.pool, known.stale)) history.set(id, states)
  }
  const valid: Candidate[] = []
  for (const e of timely) {
    const state = stateAt(history.get(e.subscriptionId), e.at)
    if (unknown.has(e.subscriptionId))
      reject(e.input, `unknown subscription ${e.subscriptionId}: Microsoft does not know it`)
    else if (!state) reject(e.input, `subscription ${e.subscriptionId} was not yet Subscribed at ${e.occurredAt}`)
    else if (state.status !== 'Subscribed')
      reject(
        e.input,
        `subscription ${e.subscriptionId} was ${state.status} at ${e.occurredAt}; usage is billable only while Subscribed`,
      )
    else if (!dimensionOf(deps.catalog, state.offerId, state.planId, e.dimension)) {
      const dims = dimensionsOf(deps.catalog, state.offerId, state.planId)
      reject(
        e.input,
        `dimension ${e.dimension} is not metered on plan ${state.planId} of offer ${state.offerId}` +
          (dims.length ? ` (its dimensions: ${dims.join(', ')})` : ' (the plan has no metered dimensions)'),
      )
    } else valid.push(e)
  }

  if (valid.length) {
    const outcomes = known?.late ? await storeLate(deps.pool, valid, now) : await storeAtOnce(deps.pool, valid, now)
    for (const e of valid) results.set(e.input, outcomes.get(e)!)
  }
  return events.map((e) => results.get(e)!)
}

/**
 * One round trip for what validation needs: the subscriptions' state histories, which of them were not
 * checked with Microsoft since `freshAfter` (`stale`), and whether any hour the events fall in is already
 * closed (`late`: they go to a later hour, which takes a transaction).
 */
async function lookUp(pool: pg.Pool, ids: string[], events: Candidate[], freshAfter: number) {
  const keys = new Map<string, Candidate>()
  for (const e of events) keys.set(hourKey(e.subscriptionId, e.dimension, e.hour), e)
  const { rows } = await pool.query<
    Omit<StateRecord, 'since'> & { since: Date | null; checked_at: Date | null; late: boolean }
  >({
    name: 'metering-ingest-look-up',
    text: `SELECT i.id AS subscription_id, c.checked_at, s.since, s.status, s.offer_id, s.plan_id, s.term_unit, s.term_start,
                  EXISTS (SELECT 1 FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS k(sub, dim, hour)
                            JOIN usage_hours h ON h.subscription_id = k.sub AND h.dimension = k.dim AND h.hour = k.hour
                           WHERE h.status <> 'open') AS late
             FROM unnest($1::text[]) AS i(id)
             LEFT JOIN metering_subscriptions c ON c.subscription_id = i.id
             LEFT JOIN metering_subscription_states s ON s.subscription_id = i.id
            ORDER BY i.id, s.since`,
    values: [
      ids,
      [...keys.values()].map((e) => e.subscriptionId),
      [...keys.values()].map((e) => e.dimension),
      [...keys.values()].map((e) => e.hour),
    ],
  })
  const history = new Map<string, SubscriptionState[]>()
  const stale = new Set<string>()
  for (const r of rows) {
    if (r.since) addToHistory(history, { ...r, since: r.since })
    if (!r.checked_at || r.checked_at.getTime() <= freshAfter) stale.add(r.subscription_id)
  }
  return { history, stale: [...stale], late: rows[0]?.late ?? false }
}

/** Raised by the store statement (through `ingest_hour_not_open()`) when an hour of its events is not open. */
const HOUR_NOT_OPEN = 'MH001'

/**
 * The usual case, every hour still open: the events and their hours' totals in one statement outside any
 * explicit transaction (one round trip, committed when it returns). An hour closed after the look-up
 * makes the statement fail, storing nothing, and the events are stored as late ones.
 */
async function storeAtOnce(pool: pg.Pool, events: Candidate[], now: number): Promise<Map<Candidate, IngestResult>> {
  try {
    return (await store(pool, events, true)).outcomes
  } catch (err) {
    if ((err as { code?: string }).code !== HOUR_NOT_OPEN) throw err
    return storeLate(pool, events, now)
  }
}

/** Some hour is closed: in one transaction, the events, and those of closed hours moved to the next open one. */
function storeLate(pool: pg.Pool, events: Candidate[], now: number): Promise<Map<Candidate, IngestResult>> {
  return inTransaction(pool, async (client) => {
    const { outcomes, stored, taken } = await store(client, events, false)
    await addToHours(client, stored, now, taken)
    return outcomes
  })
}

async function store(db: pg.Pool | pg.PoolClient, events: Candidate[], atOnce: boolean) {
  // An id given twice in one request is stored once, by its first event; the others are compared with it.
  // In id order: two requests with some of the same ids wait for each other's rows in one order, never
  // in a deadlock.
  const ids = new Set<string>()
  const first = events.filter((e) => !ids.has(e.id) && ids.add(e.id)).sort((a, b) => (a.id < b.id ? -1 : 1))
  // The events, and their hours' totals for the events that are new (ordered, so concurrent ingests lock
  // hour rows in the same order and cannot deadlock). Timestamps go as ISO strings, cheaper than pg's own
  // formatting of Dates.
  // Which ids are new, and which hours took their events, come back only when not all of them did.
  const { rows } = await db.query<{
    count: string
    inserted: string[] | null
    taken: { s: string; d: string; h: string }[] | null
  }>({
    name: 'metering-ingest-store',
    text: `WITH ins AS (
       INSERT INTO usage_events (id, subscription_id, dimension, quantity, occurred_at, hour)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::timestamptz[], $6::timestamptz[])
       ON CONFLICT (id) DO NOTHING RETURNING id, subscription_id, dimension, hour, quantity),
     hours AS (SELECT subscription_id, dimension, hour, sum(quantity) AS quantity FROM ins GROUP BY 1, 2, 3),
     up AS (
       INSERT INTO usage_hours (subscription_id, dimension, hour, quantity)
       SELECT * FROM hours ORDER BY 1, 2, 3
       ON CONFLICT (subscription_id, dimension, hour) DO UPDATE SET quantity = usage_hours.quantity + excluded.quantity
        WHERE usage_hours.status = 'open'
       RETURNING subscription_id, dimension, hour)
     SELECT (SELECT count(*) FROM ins) AS count,
            (SELECT CASE WHEN count(*) < cardinality($1::text[]) THEN array_agg(id) END FROM ins) AS inserted,
            (SELECT CASE WHEN NOT $7 THEN json_agg(json_build_object('s', subscription_id, 'd', dimension, 'h', hour)) END
               FROM up) AS taken,
            CASE WHEN $7::boolean AND (SELECT count(*) FROM up) < (SELECT count(*) FROM hours)
                 THEN ingest_hour_not_open() END AS refused`,
    values: [
      first.map((e) => e.id),
      first.map((e) => e.subscriptionId),
      first.map((e) => e.dimension),
      first.map((e) => String(e.quantity)),
      first.map((e) => e.at.toISOString()),
      first.map((e) => e.hour.toISOString()),
      atOnce,
    ],
  })
  const taken = new Set((rows[0]?.taken ?? []).map((t) => hourKey(t.s, t.d, new Date(t.h))))
  const fresh = new Set(Number(rows[0]!.count) === first.length ? first.map((e) => e.id) : (rows[0]!.inserted ?? []))
  const outcomes = new Map<Candidate, IngestResult>()
  const stored: Candidate[] = []
  const again: Candidate[] = []
  for (const e of events) {
    if (fresh.delete(e.id)) {
      stored.push(e)
      outcomes.set(e, { id: e.id, status: 'accepted' })
    } else again.push(e)
  }
  // Ids stored before (or by a request at the same time, which the insert waited for, or by this one):
  // the same content is a duplicate, other content a misuse of the key. Stored events never change, so
  // after the commit (`atOnce`) they compare as they would inside the transaction.
  if (again.length) {
    const { rows } = await db.query<{ n: string; same: boolean }>(
      `SELECT x.n, (u.subscription_id = x.sub AND u.dimension = x.dim AND u.quantity = x.qty AND u.occurred_at = x.at) AS same
         FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::timestamptz[])
              WITH ORDINALITY AS x(id, sub, dim, qty, at, n)
         JOIN usage_events u ON u.id = x.id`,
      [
        again.map((e) => e.id),
        again.map((e) => e.subscriptionId),
        again.map((e) => e.dimension),
        again.map((e) => String(e.quantity)),
        again.map((e) => e.at.toISOString()),
      ],
    )
    // By position: the same id may come twice in one request, with different content.
    const same = new Map(rows.map((r) => [Number(r.n) - 1, r.same]))
    for (const [i, e] of again.entries()) {
      outcomes.set(
        e,
        same.get(i)
          ? { id: e.id, status: 'duplicate' }
          : {
              id: e.id,
              status: 'rejected',
              reason: `id ${e.id} was already used for different usage; give each event its own id (the id is the idempotency key)`,
            },
      )
    }
  }
  return { outcomes, stored, taken }
}

const hourKey = (sub: string, dim: string, hour: Date) => `${sub}\u0000${dim}\u0000${hour.toISOString()}`

/**
 * Settles the events whose hour was no longer open (`taken` holds the hours that took their events):
 * a closed hour takes nothing more, its events move to the next open hour (late usage), never changing
 * what was sent for it.
 */
async function addToHours(client: pg.PoolClient, events: Candidate[], now: number, taken: Set<string>): Promise<void> {
  const current = floorHour(new Date(now))
  let accepted = taken
  let pending = events
  for (let round = 0; pending.length > 0; round++) {
    const groups = new Map<string, { sub: string; dim: string; hour: Date; quantity: number; events: Candidate[] }>()
    for (const e of pending) {
      const key = hourKey(e.subscriptionId, e.dimension, e.hour)
      const g = groups.get(key) ?? { sub: e.subscriptionId, dim: e.dimension, hour: e.hour, quantity: 0, events: [] }
      g.quantity += e.quantity
      g.events.push(e)
      groups.set(key, g)
    }
    if (round > 0) {
      const sorted = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, g]) => g)
      const { rows } = await client.query<{ subscription_id: string; dimension: string; hour: Date }>(
        `INSERT INTO usage_hours (subscription_id, dimension, hour, quantity)
         SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::numeric[])
         ON CONFLICT (subscription_id, dimension, hour) DO UPDATE SET quantity = usage_hours.quantity + excluded.quantity
          WHERE usage_hours.status = 'open'
         RETURNING subscription_id, dimension, hour`,
        [
          sorted.map((g) => g.sub),
          sorted.map((g) => g.dim),
          sorted.map((g) => g.hour),
          sorted.map((g) => String(g.quantity)),
        ],
      )
      accepted = new Set(rows.map((r) => hourKey(r.subscription_id, r.dimension, r.hour)))
    }
    pending = []
    for (const [key, g] of groups) {
      if (accepted.has(key)) continue
      // The next open hour: this one at the earliest, or the one after the hour that refused them.
      const next = new Date(Math.max(current.getTime(), g.hour.getTime() + HOUR_MS))
      await client.query('UPDATE usage_events SET hour = $1 WHERE id = ANY($2)', [next, g.events.map((e) => e.id)])
      for (const e of g.events) pending.push({ ...e, hour: next })
    }
  }
}
