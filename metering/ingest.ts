/**
 * Ingest: the vendor's usage events into the ledger, each `accepted`, `duplicate` or `rejected` with a
 * reason that says what to fix. The answer is given only after the transaction that stores the events,
 * their idempotency keys (the events' own `id`s, the table's primary key) and their hours has committed.
 *
 * An event is billed in the UTC hour it occurred in; when that hour is already closed (late usage) it
 * goes into the next open hour, and keeps its own `occurredAt` for tracing and for the status check.
 * @module
 */
import type pg from 'pg'
import { dimensionOf, dimensionsOf, type Catalog } from './catalog.ts'
import { inTransaction } from './db.ts'
import { HOUR_MS, floorHour, MICROSOFT_WINDOW_MS } from './hours.ts'
import { histories, stateAt, type Observer } from './states.ts'

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
  const unknown = ids.length ? await deps.observer.observe(ids, deps.stateMaxAgeMs) : new Set<string>()
  const history = await histories(deps.pool, ids)
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
      const known = dimensionsOf(deps.catalog, state.offerId, state.planId)
      reject(
        e.input,
        `dimension ${e.dimension} is not metered on plan ${state.planId} of offer ${state.offerId}` +
          (known.length ? ` (its dimensions: ${known.join(', ')})` : ' (the plan has no metered dimensions)'),
      )
    } else valid.push(e)
  }

  if (valid.length) {
    const outcomes = await inTransaction(deps.pool, (client) => store(client, valid, now))
    for (const e of valid) results.set(e.input, outcomes.get(e)!)
  }
  return events.map((e) => results.get(e)!)
}

async function store(client: pg.PoolClient, events: Candidate[], now: number) {
  const outcomes = new Map<Candidate, IngestResult>()
  // One statement: the events, and their hours' totals for the events that are new (ordered, so
  // concurrent ingests lock hour rows in the same order and cannot deadlock).
  const { rows } = await client.query<{
    inserted: string[] | null
    taken: { s: string; d: string; h: string }[] | null
  }>(
    `WITH ins AS (
       INSERT INTO usage_events (id, subscription_id, dimension, quantity, occurred_at, hour)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::timestamptz[], $6::timestamptz[])
       ON CONFLICT (id) DO NOTHING RETURNING id, subscription_id, dimension, hour, quantity),
     up AS (
       INSERT INTO usage_hours (subscription_id, dimension, hour, quantity)
       SELECT subscription_id, dimension, hour, sum(quantity) FROM ins GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
       ON CONFLICT (subscription_id, dimension, hour) DO UPDATE SET quantity = usage_hours.quantity + excluded.quantity
        WHERE usage_hours.status = 'open'
       RETURNING subscription_id, dimension, hour)
     SELECT (SELECT array_agg(id) FROM ins) AS inserted,
            (SELECT json_agg(json_build_object('s', subscription_id, 'd', dimension, 'h', hour)) FROM up) AS taken`,
    [
      events.map((e) => e.id),
      events.map((e) => e.subscriptionId),
      events.map((e) => e.dimension),
      events.map((e) => String(e.quantity)),
      events.map((e) => e.at),
      events.map((e) => e.hour),
    ],
  )
  const inserted = (rows[0]?.inserted ?? []).map((id) => ({ id }))
  const taken = new Set((rows[0]?.taken ?? []).map((t) => hourKey(t.s, t.d, new Date(t.h))))
  const fresh = new Set(inserted.map((r) => r.id))
  const stored: Candidate[] = []
  const again: Candidate[] = []
  for (const e of events) {
    if (fresh.delete(e.id)) stored.push(e)
    else again.push(e)
  }
  for (const e of stored) outcomes.set(e, { id: e.id, status: 'accepted' })
  if (again.length) {
    const { rows } = await client.query<{ n: string; same: boolean }>(
      `SELECT x.n, (u.subscription_id = x.sub AND u.dimension = x.dim AND u.quantity = x.qty AND u.occurred_at = x.at) AS same
         FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::timestamptz[])
              WITH ORDINALITY AS x(id, sub, dim, qty, at, n)
         JOIN usage_events u ON u.id = x.id`,
      [
        again.map((e) => e.id),
        again.map((e) => e.subscriptionId),
        again.map((e) => e.dimension),
        again.map((e) => String(e.quantity)),
        again.map((e) => e.at),
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
  await addToHours(client, stored, now, taken)
  return outcomes
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
