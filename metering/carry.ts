/**
 * Carry-forward: units that cannot be billed in their own hour (Microsoft answered Expired, a conflict
 * left a difference, an operator moved the hour) go into the next open hour of the same subscription and
 * dimension, as Microsoft's metering FAQ allows ("resubmit the next hour, accumulate the quantity"). The
 * source hour keeps a link to where its units went.
 * @module
 */
import type pg from 'pg'
import type { UsageEventResult } from '../marketplace/schemas.ts'
import { inTransaction } from './db.ts'
import { floorHour, HOUR_MS } from './hours.ts'

interface HourKey {
  subscription_id: string
  dimension: string
  hour: Date
}

/** The hour was no longer in a status it could be carried from; nothing was changed. */
export class HourMoved extends Error {
  override name = 'HourMoved'
}

/** Moves `quantity` of `row` into the next open hour from `now` on, and sets the row's status; returns that hour. */
export async function carryForward(
  pool: pg.Pool,
  row: HourKey,
  quantity: number,
  status: string,
  reason: string,
  now: number,
  accepted?: UsageEventResult,
  /** Only if the hour is still in one of these statuses (an operator's move racing a submission). */
  onlyFrom?: string[],
): Promise<Date> {
  return inTransaction(pool, async (client): Promise<Date> => {
    let target = floorHour(new Date(Math.max(now, row.hour.getTime() + HOUR_MS)))
    for (;;) {
      const { rowCount } = await client.query(
        `INSERT INTO usage_hours (subscription_id, dimension, hour, carried_in) VALUES ($1, $2, $3, $4)
         ON CONFLICT (subscription_id, dimension, hour) DO UPDATE SET carried_in = usage_hours.carried_in + excluded.carried_in
          WHERE usage_hours.status = 'open'`,
        [row.subscription_id, row.dimension, target, String(quantity)],
      )
      if (rowCount) break
      target = new Date(target.getTime() + HOUR_MS)
    }
    const { rowCount } = await client.query(
      `UPDATE usage_hours SET status = $4, reason = $5, carried_to = $6, carried_quantity = $7, resolved_at = now(),
              usage_event_id = coalesce($8, usage_event_id), accepted_quantity = coalesce($9, accepted_quantity)
        WHERE subscription_id = $1 AND dimension = $2 AND hour = $3 AND ($10::text[] IS NULL OR status = ANY($10))`,
      [
        row.subscription_id,
        row.dimension,
        row.hour,
        status,
        reason,
        target,
        String(quantity),
        accepted?.usageEventId ?? null,
        accepted?.quantity ?? null,
        onlyFrom ?? null,
      ],
    )
    if (!rowCount) throw new HourMoved()
    return target
  })
}
