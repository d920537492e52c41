/**
 * Closing hours: once an hour has ended and the grace period has passed, its total is fixed. The part
 * that occurred while the subscription was `Subscribed` is billable; the rest is held (never sent to be
 * refused). Included quantities are consumed first, per term period, in hour order; only the overage,
 * plus what earlier hours carried in, is reported to Microsoft.
 *
 * Plan changes in mid-term: the hour is reported under the plan in force when it ends (Microsoft takes
 * one event per hour and checks its `planId` against the plan purchased), and the included quantity of
 * the plan in force applies to the rest of the term period, minus what the period already consumed
 * under the earlier plan ("overage is computed against the term dates", [D-MET-FAQ]).
 * @module
 */
import type pg from 'pg'
import { dimensionOf, includedPerPeriod, periodStart, type Catalog } from './catalog.ts'
import { inTransaction } from './db.ts'
import { HOUR_MS } from './hours.ts'
import { histories, stateAt } from './states.ts'

/** Rounds away binary floating-point noise; Microsoft's quantities are doubles. */
export const round = (n: number) => Math.round(n * 1e9) / 1e9

interface ClosingRow {
  subscription_id: string
  dimension: string
  hour: Date
  carried_in: string
  billable: string | null
  held: string | null
}

/** Closes every open hour that ended at least `graceMs` ago; returns how many it closed. */
export async function closeHours(pool: pg.Pool, catalog: Catalog, now: number, graceMs: number): Promise<number> {
  return inTransaction(pool, async (client) => {
    // One closer at a time: included quantities are consumed in hour order.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('saas-metering-close'))")
    // The hours first, locked: an ingest still adding to one is waited for; a later one finds it closed.
    const { rows: closing } = await client.query<{ subscription_id: string; dimension: string; hour: Date }>(
      `SELECT subscription_id, dimension, hour FROM usage_hours
        WHERE status = 'open' AND hour <= $1 ORDER BY subscription_id, dimension, hour FOR UPDATE`,
      [new Date(now - graceMs - HOUR_MS)],
    )
    if (closing.length === 0) return 0
    // Then their events, in a statement of its own: its snapshot, taken once the locks are held, has every
    // event of those ingests (one statement's snapshot would predate what it waited for).
    const { rows } = await client.query<ClosingRow>(
      `SELECT c.subscription_id, c.dimension, c.hour, c.carried_in, t.billable, t.held
         FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS k(sub, dim, hour)
         JOIN usage_hours c ON c.subscription_id = k.sub AND c.dimension = k.dim AND c.hour = k.hour
       LEFT JOIN LATERAL (
         SELECT sum(e.quantity) FILTER (WHERE st.status = 'Subscribed') AS billable,
                sum(e.quantity) FILTER (WHERE st.status IS DISTINCT FROM 'Subscribed') AS held
           FROM usage_events e
           LEFT JOIN LATERAL (
             SELECT status FROM metering_subscription_states s
              WHERE s.subscription_id = e.subscription_id AND s.since <= e.occurred_at
              ORDER BY s.since DESC LIMIT 1) st ON true
          WHERE e.subscription_id = c.subscription_id AND e.dimension = c.dimension AND e.hour = c.hour) t ON true
       ORDER BY c.hour`,
      [closing.map((r) => r.subscription_id), closing.map((r) => r.dimension), closing.map((r) => r.hour)],
    )
    const ids = [...new Set(rows.map((r) => r.subscription_id))]
    const history = await histories(client, ids)
    const consumed = await loadConsumed(client, ids)
    const updates = rows.map((r) => {
      const end = new Date(r.hour.getTime() + HOUR_MS - 1)
      const state = stateAt(history.get(r.subscription_id), end)
      const billable = Number(r.billable ?? 0)
      let included = 0
      if (state) {
        const terms = dimensionOf(catalog, state.offerId, state.planId, r.dimension)
        const start = periodStart(
          state.termStart ?? firstSubscribed(history.get(r.subscription_id)) ?? r.hour,
          state.termUnit,
          r.hour,
        )
        const key = `${r.subscription_id}\u0000${r.dimension}\u0000${start.toISOString()}`
        const used = consumed.get(key) ?? { period: start, value: 0, dirty: false }
        included = round(Math.min(Math.max(includedPerPeriod(terms, state.termUnit) - used.value, 0), billable))
        if (included > 0) consumed.set(key, { period: start, value: round(used.value + included), dirty: true })
      }
      const reported = round(billable - included + Number(r.carried_in))
      return {
        ...r,
        planId: state?.planId ?? null,
        included,
        reported,
        held: round(Number(r.held ?? 0)),
        status: reported > 0 ? 'pending' : Number(r.held ?? 0) > 0 && billable === 0 ? 'held' : 'included',
      }
    })
    await client.query(
      `UPDATE usage_hours h SET status = u.status, included = u.included, reported = u.reported, held = u.held,
              plan_id = u.plan_id, closed_at = $8,
              reason = CASE WHEN u.held > 0 THEN 'usage while not Subscribed is not billed' END
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::numeric[], $6::numeric[], $7::numeric[], $9::text[])
              AS u(sub, dim, hour, status, included, reported, held, plan_id)
        WHERE h.subscription_id = u.sub AND h.dimension = u.dim AND h.hour = u.hour`,
      [
        updates.map((u) => u.subscription_id),
        updates.map((u) => u.dimension),
        updates.map((u) => u.hour),
        updates.map((u) => u.status),
        updates.map((u) => String(u.included)),
        updates.map((u) => String(u.reported)),
        updates.map((u) => String(u.held)),
        new Date(now),
        updates.map((u) => u.planId),
      ],
    )
    const dirty = [...consumed.entries()].filter(([, v]) => v.dirty)
    if (dirty.length) {
      await client.query(
        `INSERT INTO included_usage (subscription_id, dimension, period_start, consumed)
         SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::numeric[])
         ON CONFLICT (subscription_id, dimension, period_start) DO UPDATE SET consumed = excluded.consumed`,
        [
          dirty.map(([k]) => k.split('\u0000')[0]),
          dirty.map(([k]) => k.split('\u0000')[1]),
          dirty.map(([, v]) => v.period),
          dirty.map(([, v]) => String(v.value)),
        ],
      )
    }
    return rows.length
  })
}

function firstSubscribed(history: { since: Date; status: string }[] | undefined): Date | undefined {
  return history?.find((s) => s.status === 'Subscribed')?.since
}

async function loadConsumed(client: pg.PoolClient, ids: string[]) {
  const { rows } = await client.query<{
    subscription_id: string
    dimension: string
    period_start: Date
    consumed: string
  }>(
    'SELECT subscription_id, dimension, period_start, consumed FROM included_usage WHERE subscription_id = ANY($1) FOR UPDATE',
    [ids],
  )
  return new Map(
    rows.map((r) => [
      `${r.subscription_id}\u0000${r.dimension}\u0000${r.period_start.toISOString()}`,
      { period: r.period_start, value: Number(r.consumed), dirty: false },
    ]),
  )
}
