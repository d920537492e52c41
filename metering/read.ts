/**
 * Reading the ledger (a subscription's hours, the included quantity left in the current term period)
 * and the operators' two actions on an hour (send it again, or move it to the next open hour).
 * @module
 */
import type pg from 'pg'
import { dimensionsOf, dimensionOf, includedPerPeriod, periodStart, type Catalog } from './catalog.ts'
import { carryForward, HourMoved } from './carry.ts'
import { deadlineOf } from './hours.ts'
import { histories } from './states.ts'

export interface UsageHour {
  dimension: string
  hour: string
  status: string
  quantity: number
  carriedIn: number
  held: number
  included: number | null
  reported: number | null
  planId: string | null
  deadline: string
  reason: string | null
  usageEventId: string | null
  messageTime: string | null
  acceptedQuantity: number | null
  carriedTo: string | null
  carriedQuantity: number | null
  attempts: number
}

const num = (v: string | null) => (v === null ? null : Number(v))

interface HourRow {
  dimension: string
  hour: Date
  status: string
  quantity: string
  carried_in: string
  held: string
  included: string | null
  reported: string | null
  plan_id: string | null
  reason: string | null
  usage_event_id: string | null
  message_time: Date | null
  accepted_quantity: string | null
  carried_to: Date | null
  carried_quantity: string | null
  attempts: number
}

export async function usageOf(pool: pg.Pool, subscriptionId: string, from: Date, to: Date): Promise<UsageHour[]> {
  const { rows } = await pool.query<HourRow>(
    `SELECT * FROM usage_hours WHERE subscription_id = $1 AND hour >= $2 AND hour < $3 ORDER BY hour, dimension`,
    [subscriptionId, from, to],
  )
  return rows.map((r) => ({
    dimension: r.dimension,
    hour: r.hour.toISOString(),
    status: r.status,
    quantity: Number(r.quantity),
    carriedIn: Number(r.carried_in),
    held: Number(r.held),
    included: num(r.included),
    reported: num(r.reported),
    planId: r.plan_id,
    deadline: deadlineOf(r.hour).toISOString(),
    reason: r.reason,
    usageEventId: r.usage_event_id,
    messageTime: r.message_time?.toISOString() ?? null,
    acceptedQuantity: num(r.accepted_quantity),
    carriedTo: r.carried_to?.toISOString() ?? null,
    carriedQuantity: num(r.carried_quantity),
    attempts: r.attempts,
  }))
}

export interface IncludedRemaining {
  dimension: string
  periodStart: string
  included: number
  consumed: number
  remaining: number
}

/**
 * Per dimension of the subscription's current plan: the included quantity of the current term period,
 * what closed hours consumed of it, and what is left once the still-open hours are counted too.
 */
export async function includedRemaining(
  pool: pg.Pool,
  catalog: Catalog,
  subscriptionId: string,
  now: number,
): Promise<IncludedRemaining[]> {
  const current = (await histories(pool, [subscriptionId])).get(subscriptionId)?.at(-1)
  if (!current) return []
  const start = periodStart(current.termStart ?? current.since, current.termUnit, new Date(now))
  const { rows } = await pool.query<{ dimension: string; consumed: string | null; open: string | null }>(
    `SELECT d.dimension,
            (SELECT consumed FROM included_usage i WHERE i.subscription_id = $1 AND i.dimension = d.dimension AND i.period_start = $2) AS consumed,
            (SELECT sum(quantity) FROM usage_hours h WHERE h.subscription_id = $1 AND h.dimension = d.dimension AND h.status = 'open' AND h.hour >= $2) AS open
       FROM unnest($3::text[]) AS d(dimension)`,
    [subscriptionId, start, dimensionsOf(catalog, current.offerId, current.planId)],
  )
  return rows.map((r) => {
    const included = includedPerPeriod(
      dimensionOf(catalog, current.offerId, current.planId, r.dimension),
      current.termUnit,
    )
    const consumed = Number(r.consumed ?? 0)
    return {
      dimension: r.dimension,
      periodStart: start.toISOString(),
      included,
      consumed,
      remaining: Math.max(0, included - consumed - Number(r.open ?? 0)),
    }
  })
}

export class HourActionRefused extends Error {
  override name = 'HourActionRefused'
}

/** Statuses an operator may act on: Microsoft has not taken the hour, and no answer is outstanding. */
const ACTIONABLE = ['failed', 'waiting', 'pending']

async function actionable(pool: pg.Pool, subscriptionId: string, dimension: string, hour: Date) {
  const { rows } = await pool.query<{ status: string; reported: string | null }>(
    'SELECT status, reported FROM usage_hours WHERE subscription_id = $1 AND dimension = $2 AND hour = $3',
    [subscriptionId, dimension, hour],
  )
  const row = rows[0]
  if (!row) return undefined
  if (!ACTIONABLE.includes(row.status)) {
    throw new HourActionRefused(
      row.status === 'submitting'
        ? "Microsoft's answer for this hour is not known yet; the next submission settles it"
        : `the hour is ${row.status}; only failed, waiting or pending hours can be retried or moved`,
    )
  }
  return row
}

/** Puts a failed hour back in line for the next submission, with the same quantity. */
export async function retryHour(pool: pg.Pool, subscriptionId: string, dimension: string, hour: Date) {
  if (!(await actionable(pool, subscriptionId, dimension, hour))) return false
  await pool.query(
    `UPDATE usage_hours SET status = 'pending', reason = 'retried by an operator', resolved_at = NULL
      WHERE subscription_id = $1 AND dimension = $2 AND hour = $3 AND status = ANY($4)`,
    [subscriptionId, dimension, hour, ACTIONABLE],
  )
  return true
}

/** Moves a failed hour's quantity into the next open hour; returns that hour. */
export async function moveHour(pool: pg.Pool, subscriptionId: string, dimension: string, hour: Date, now: number) {
  const row = await actionable(pool, subscriptionId, dimension, hour)
  if (!row) return undefined
  const key = { subscription_id: subscriptionId, dimension, hour }
  try {
    const why = 'moved to a later hour by an operator'
    return await carryForward(pool, key, Number(row.reported ?? 0), 'carried', why, now, undefined, ACTIONABLE)
  } catch (err) {
    if (err instanceof HourMoved)
      throw new HourActionRefused('the hour changed meanwhile (a submission took it); read it again')
    throw err
  }
}
