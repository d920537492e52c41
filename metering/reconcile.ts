/**
 * The daily reconciliation: Microsoft's own record of a day (`GET /usageEvents`), compared with the
 * ledger per subscription and dimension. Partner Center's usage data can lag up to 48 hours
 * ([D-USAGE-DASH]), so a day is reconciled only once 48 hours have passed since it ended.
 *
 * Findings: `Mismatch` (both have the day, with different quantities, or Microsoft says Mismatch),
 * `Rejected` (Microsoft rejected what it had), `MissingAtMicrosoft` (the ledger has accepted usage
 * Microsoft does not list), `MissingInLedger` (Microsoft lists usage the ledger never had accepted).
 * @module
 */
import type pg from 'pg'
import type { MarketplaceClient } from '../marketplace/client/index.ts'
import { round } from './close.ts'

const DAY_MS = 86_400_000
export const RECONCILIATION_LAG_MS = 48 * 3_600_000

export type Finding = 'Matched' | 'Mismatch' | 'Rejected' | 'MissingAtMicrosoft' | 'MissingInLedger'

export interface ReconciliationRow {
  subscriptionId: string
  dimension: string
  ledgerQuantity: number
  microsoftQuantity: number
  reconStatus?: string
  finding: Finding
}

export interface ReconciliationReport {
  day: string
  compared: number
  findings: ReconciliationRow[]
}

/** The latest day (`YYYY-MM-DD`, UTC) that ended at least 48 hours before `now`. */
export function dayToReconcile(now: number): string {
  const day = Math.floor((now - RECONCILIATION_LAG_MS) / DAY_MS) * DAY_MS - DAY_MS
  return new Date(day).toISOString().slice(0, 10)
}

export async function reconcileDay(
  deps: { pool: pg.Pool; marketplace: Pick<MarketplaceClient, 'getUsageEvents'> },
  day: string,
): Promise<ReconciliationReport> {
  const start = new Date(`${day}T00:00:00Z`)
  const microsoft = await deps.marketplace.getUsageEvents({ usageStartDate: day, usageEndDate: day })
  const { rows } = await deps.pool.query<{ subscription_id: string; dimension: string; quantity: string }>(
    `SELECT subscription_id, dimension, sum(accepted_quantity) AS quantity FROM usage_hours
      WHERE hour >= $1 AND hour < $2 AND accepted_quantity IS NOT NULL
      GROUP BY subscription_id, dimension`,
    [start, new Date(start.getTime() + DAY_MS)],
  )
  const key = (s: string, d: string) => `${s}\u0000${d}`
  const byKey = new Map<string, ReconciliationRow>()
  for (const r of rows) {
    byKey.set(key(r.subscription_id, r.dimension), {
      subscriptionId: r.subscription_id,
      dimension: r.dimension,
      ledgerQuantity: Number(r.quantity),
      microsoftQuantity: 0,
      finding: 'Matched',
    })
  }
  for (const m of microsoft) {
    if (!m.usageResourceId || !m.dimension) continue
    const k = key(m.usageResourceId, m.dimension)
    const row = byKey.get(k) ?? {
      subscriptionId: m.usageResourceId,
      dimension: m.dimension,
      ledgerQuantity: 0,
      microsoftQuantity: 0,
      finding: 'Matched' as Finding,
    }
    row.microsoftQuantity = round(row.microsoftQuantity + (m.processedQuantity ?? m.submittedQuantity ?? 0))
    // The worst status of the day wins.
    if (m.reconStatus === 'Rejected' || (m.reconStatus === 'Mismatch' && row.reconStatus !== 'Rejected'))
      row.reconStatus = m.reconStatus
    else row.reconStatus ??= m.reconStatus
    byKey.set(k, row)
  }
  const all = [...byKey.values()].map((r) => ({ ...r, finding: findingOf(r) }))
  if (all.length) {
    await deps.pool.query(
      `INSERT INTO usage_reconciliations (day, subscription_id, dimension, ledger_quantity, microsoft_quantity, recon_status, finding)
       SELECT $1::date, * FROM unnest($2::text[], $3::text[], $4::numeric[], $5::numeric[], $6::text[], $7::text[])
       ON CONFLICT (day, subscription_id, dimension) DO UPDATE SET ledger_quantity = excluded.ledger_quantity,
         microsoft_quantity = excluded.microsoft_quantity, recon_status = excluded.recon_status,
         finding = excluded.finding, checked_at = now()`,
      [
        day,
        all.map((r) => r.subscriptionId),
        all.map((r) => r.dimension),
        all.map((r) => String(r.ledgerQuantity)),
        all.map((r) => String(r.microsoftQuantity)),
        all.map((r) => r.reconStatus ?? null),
        all.map((r) => r.finding),
      ],
    )
  }
  return { day, compared: all.length, findings: all.filter((r) => r.finding !== 'Matched') }
}

function findingOf(r: ReconciliationRow): Finding {
  if (r.reconStatus === 'Rejected') return 'Rejected'
  if (r.reconStatus === 'Mismatch') return 'Mismatch'
  if (r.microsoftQuantity === 0 && r.ledgerQuantity > 0) return 'MissingAtMicrosoft'
  if (r.ledgerQuantity === 0 && r.microsoftQuantity > 0) return 'MissingInLedger'
  return round(r.ledgerQuantity) === round(r.microsoftQuantity) ? 'Matched' : 'Mismatch'
}
