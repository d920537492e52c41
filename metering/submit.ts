/**
 * One submission run: close the hours that are due, ask Microsoft for each subscription's current state,
 * then report every closed hour with something to bill through Batch Usage Event (at most 25 items a
 * call) and record Microsoft's answer per item.
 *
 * Billed once, whatever fails: an hour's quantity is fixed when it closes, and the row is marked
 * `submitting` (committed) before it is sent. A run that finds rows still `submitting` (the answer was
 * lost: timeout, a worker killed in mid-batch) sends the very same quantity again, and Microsoft's
 * `Duplicate` with its accepted quantity settles it. A second, different quantity for an hour is never sent.
 * @module
 */
import type pg from 'pg'
import type { Logger } from '../config/logger.ts'
import { MAX_BATCH_SIZE } from '../marketplace/client/metering.ts'
import type { MarketplaceClient } from '../marketplace/client/index.ts'
import { usageConflictSchema, type UsageEventResult } from '../marketplace/schemas.ts'
import type { Catalog } from './catalog.ts'
import { closeHours, round } from './close.ts'
import { carryForward } from './carry.ts'
import { deadlineOf, MICROSOFT_WINDOW_MS } from './hours.ts'
import { histories, type Observer, type SubscriptionState } from './states.ts'

/** Hours this close to their deadline are not sent any more: they are carried forward (or lost). */
const SEND_MARGIN_MS = 5 * 60_000
const PARALLEL_BATCHES = 4

export interface Alert {
  kind: 'deadline' | 'conflict' | 'lost' | 'failed'
  subscriptionId: string
  dimension: string
  hour: string
  deadline: string
  message: string
}

export interface SubmissionReport {
  closedHours: number
  sent: number
  accepted: number
  /** Sent again after a lost answer, and found already accepted with the same quantity. */
  alreadyAccepted: number
  conflicts: number
  carried: number
  lost: number
  failed: number
  waiting: number
  alerts: Alert[]
}

export interface SubmissionDeps {
  pool: pg.Pool
  catalog: Catalog
  observer: Observer
  marketplace: Pick<MarketplaceClient, 'postBatchUsageEvents'>
  now: () => number
  graceMs: number
  /** Unaccepted hours whose deadline is nearer than this are alerted. */
  alertBeforeMs: number
  logger: Logger
  /** Called after each batch (activities heartbeat). */
  progress?: (sent: number) => void
}

interface Row {
  subscription_id: string
  dimension: string
  hour: Date
  status: string
  reported: string
  plan_id: string | null
}

export async function submitUsage(deps: SubmissionDeps): Promise<SubmissionReport> {
  const { pool, logger } = deps
  const report: SubmissionReport = {
    closedHours: await closeHours(pool, deps.catalog, deps.now(), deps.graceMs),
    sent: 0,
    accepted: 0,
    alreadyAccepted: 0,
    conflicts: 0,
    carried: 0,
    lost: 0,
    failed: 0,
    waiting: 0,
    alerts: [],
  }
  const { rows } = await pool.query<Row>(
    `SELECT subscription_id, dimension, hour, status, reported, plan_id FROM usage_hours
      WHERE status IN ('pending', 'waiting', 'submitting') ORDER BY hour, subscription_id, dimension`,
  )
  const ids = [...new Set(rows.map((r) => r.subscription_id))]
  const unknown = await deps.observer.observe(ids, 0)
  const history = await histories(pool, ids)
  const now = deps.now()
  const toSend: (Row & { planId: string })[] = []

  for (const row of rows) {
    const states = history.get(row.subscription_id) ?? []
    const current = states.at(-1)
    if (unknown.has(row.subscription_id) || !current) {
      await settle(pool, row, 'failed', 'ResourceNotFound: Microsoft does not know this subscription')
      report.failed++
    } else if (deadlineOf(row.hour).getTime() - now <= SEND_MARGIN_MS && row.status !== 'submitting') {
      await expire(row, current, 'its 24 hours ended before it could be sent')
    } else if (current.status === 'Subscribed' || (current.status === 'Unsubscribed' && row.hour < current.since)) {
      toSend.push({
        ...row,
        planId: current.status === 'Subscribed' ? current.planId : (row.plan_id ?? current.planId),
      })
    } else {
      await settle(pool, row, 'waiting', `the subscription is ${current.status}; sent once it is Subscribed again`)
      report.waiting++
    }
  }

  async function expire(row: Row, current: SubscriptionState, why: string) {
    const quantity = Number(row.reported)
    if (current.status === 'Subscribed' || current.status === 'Suspended') {
      await carryForward(pool, row, quantity, 'carried', `Expired: ${why}; carried to a later hour`, deps.now())
      report.carried++
    } else {
      await settle(
        pool,
        row,
        'lost',
        `Expired: ${why}; the subscription is ${current.status}, so no later hour can bill it`,
      )
      report.lost++
      alert(row, 'lost', `${quantity} ${row.dimension} not billed: ${why} (lost revenue)`)
    }
  }

  function alert(row: Row, kind: Alert['kind'], message: string) {
    const a = {
      kind,
      subscriptionId: row.subscription_id,
      dimension: row.dimension,
      hour: row.hour.toISOString(),
      deadline: deadlineOf(row.hour).toISOString(),
      message,
    }
    report.alerts.push(a)
    logger.warn({ alert: a }, `metering alert: ${message}`)
  }

  // Committed before anything is sent: a run that dies after sending finds these rows and re-sends them.
  // Only rows still to send: an operator may have moved one meanwhile.
  let sending = toSend
  if (toSend.length) {
    const { rows: marked } = await pool.query<{ subscription_id: string; dimension: string; hour: Date }>(
      `UPDATE usage_hours h SET status = 'submitting', attempts = attempts + 1, submitted_at = $4, plan_id = u.plan
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $5::text[]) AS u(sub, dim, hour, plan)
        WHERE h.subscription_id = u.sub AND h.dimension = u.dim AND h.hour = u.hour
          AND h.status IN ('pending', 'waiting', 'submitting')
       RETURNING h.subscription_id, h.dimension, h.hour`,
      [
        toSend.map((r) => r.subscription_id),
        toSend.map((r) => r.dimension),
        toSend.map((r) => r.hour),
        new Date(now),
        toSend.map((r) => r.planId),
      ],
    )
    const key = (r: { subscription_id: string; dimension: string; hour: Date }) =>
      `${r.subscription_id}\u0000${r.dimension}\u0000${r.hour.toISOString()}`
    const still = new Set(marked.map(key))
    sending = toSend.filter((r) => still.has(key(r)))
  }
  const batches: (typeof toSend)[] = []
  for (let i = 0; i < sending.length; i += MAX_BATCH_SIZE) batches.push(sending.slice(i, i + MAX_BATCH_SIZE))
  let next = 0
  const lane = async () => {
    for (let b = next++; b < batches.length; b = next++) {
      const batch = batches[b]!
      const results = await deps.marketplace.postBatchUsageEvents(
        batch.map((r) => ({
          resourceId: r.subscription_id,
          dimension: r.dimension,
          quantity: Number(r.reported),
          effectiveStartTime: r.hour.toISOString(),
          planId: r.planId,
        })),
      )
      report.sent += batch.length
      // Accepted items (nearly all of them) are recorded in one statement; the others one by one.
      const accepted = batch.flatMap((row, i) =>
        results[i]?.status === 'Accepted' ? [{ row, result: results[i] }] : [],
      )
      await acceptAll(pool, accepted)
      report.accepted += accepted.length
      for (const [i, row] of batch.entries()) if (results[i]?.status !== 'Accepted') await record(row, results[i])
      deps.progress?.(report.sent)
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL_BATCHES, batches.length) }, lane))

  async function record(row: Row, result: UsageEventResult | undefined) {
    const ours = Number(row.reported)
    const status = result?.status
    if (status === 'Duplicate') {
      const original = usageConflictSchema.safeParse(result!.error).data?.additionalInfo?.acceptedMessage
      const theirs = original?.quantity ?? undefined
      if (theirs !== undefined && round(theirs) === round(ours)) {
        await settle(pool, row, 'accepted', null, { ...original!, quantity: theirs })
        report.alreadyAccepted++
      } else if (theirs !== undefined && theirs < ours) {
        const diff = round(ours - theirs)
        await carryForward(
          pool,
          row,
          diff,
          'conflict',
          `Duplicate: Microsoft had ${theirs} for this hour, not ${ours}; ${diff} carried to a later hour`,
          deps.now(),
          original,
        )
        report.conflicts++
        alert(
          row,
          'conflict',
          `Microsoft already had ${theirs} ${row.dimension} for this hour, not ${ours}; ${diff} carried forward`,
        )
      } else {
        await settle(
          pool,
          row,
          'conflict',
          `Duplicate: Microsoft had ${theirs ?? 'an unknown quantity'} for this hour, more than ${ours}`,
          original ?? undefined,
        )
        report.conflicts++
        alert(
          row,
          'conflict',
          `Microsoft already had ${theirs ?? 'an unknown quantity'} ${row.dimension} for this hour, more than the ledger's ${ours}`,
        )
      }
    } else if (status === 'Expired') {
      const states = (await histories(pool, [row.subscription_id])).get(row.subscription_id)!
      await expire(row, states.at(-1)!, 'Microsoft answered Expired')
    } else {
      const why = `${status ?? 'NoAnswer'}: ${result?.error?.message ?? 'Microsoft gave no status for this item'}`
      await settle(pool, row, 'failed', why)
      report.failed++
      alert(row, 'failed', `Microsoft refused ${ours} ${row.dimension}: ${why}`)
    }
  }

  const { rows: late } = await pool.query<Row>(
    `SELECT subscription_id, dimension, hour, status, reported, plan_id FROM usage_hours
      WHERE status IN ('open', 'pending', 'waiting', 'submitting', 'failed') AND hour < $1 AND hour > $2 ORDER BY hour`,
    // Before the deadline only: an alert after it could not be acted on (those hours are carried or lost).
    [new Date(deps.now() + deps.alertBeforeMs - MICROSOFT_WINDOW_MS), new Date(deps.now() - MICROSOFT_WINDOW_MS)],
  )
  for (const row of late) {
    alert(
      row,
      'deadline',
      `${row.dimension} of ${row.hour.toISOString()} is ${row.status}, not yet accepted; Microsoft's deadline is ${deadlineOf(row.hour).toISOString()}`,
    )
  }
  return report
}

async function acceptAll(pool: pg.Pool, items: { row: Row; result: UsageEventResult }[]) {
  if (items.length === 0) return
  await pool.query(
    `UPDATE usage_hours h SET status = 'accepted', reason = NULL, usage_event_id = u.event_id,
            message_time = u.message_time, accepted_quantity = u.quantity, resolved_at = now()
       FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::timestamptz[], $6::numeric[])
            AS u(sub, dim, hour, event_id, message_time, quantity)
      WHERE h.subscription_id = u.sub AND h.dimension = u.dim AND h.hour = u.hour`,
    [
      items.map((i) => i.row.subscription_id),
      items.map((i) => i.row.dimension),
      items.map((i) => i.row.hour),
      items.map((i) => i.result.usageEventId ?? null),
      items.map((i) => validTime(i.result.messageTime)),
      items.map((i) => ((i.result.quantity ?? null) === null ? null : String(i.result.quantity))),
    ],
  )
}

async function settle(pool: pg.Pool, row: Row, status: string, reason: string | null, accepted?: UsageEventResult) {
  const final = status !== 'waiting'
  await pool.query(
    `UPDATE usage_hours SET status = $4, reason = $5, usage_event_id = coalesce($6, usage_event_id),
            message_time = coalesce($7, message_time), accepted_quantity = coalesce($8, accepted_quantity),
            resolved_at = CASE WHEN $9 THEN now() END
      WHERE subscription_id = $1 AND dimension = $2 AND hour = $3`,
    [
      row.subscription_id,
      row.dimension,
      row.hour,
      status,
      reason,
      accepted?.usageEventId ?? null,
      validTime(accepted?.messageTime),
      accepted?.quantity ?? null,
      final,
    ],
  )
}

/** Microsoft's `0001-01-01T00:00:00` (a duplicate's messageTime) means "none". */
function validTime(value: string | undefined): Date | null {
  if (!value || value.startsWith('0001-')) return null
  const t = new Date(value)
  return Number.isNaN(t.getTime()) ? null : t
}
