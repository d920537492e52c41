/**
 * What the ledger knows of each subscription's state over time: status, offer, plan and term, one row per
 * change. Microsoft is the source of truth: states come from Get Subscription (recorded at the time they
 * were observed) and from the subscription's workflow when it applies a change Microsoft confirmed
 * (recorded at Microsoft's time, see `recordState`). Usage is billable only for the times the
 * subscription was `Subscribed` here.
 * @module
 */
import type pg from 'pg'
import { isMarketplaceError, type MarketplaceClient } from '../marketplace/client/index.ts'
import type { Subscription } from '../marketplace/schemas.ts'

export interface SubscriptionState {
  since: Date
  status: string
  offerId: string
  planId: string
  termUnit: string | null
  termStart: Date | null
}

/** The state in force at `time` (a sorted history); undefined before the first known state. */
export function stateAt(history: SubscriptionState[] | undefined, time: Date): SubscriptionState | undefined {
  let found: SubscriptionState | undefined
  for (const s of history ?? []) {
    if (s.since > time) break
    found = s
  }
  return found
}

type Queryable = Pick<pg.Pool, 'query'>

export async function histories(db: Queryable, ids: string[]): Promise<Map<string, SubscriptionState[]>> {
  const { rows } = await db.query<{
    subscription_id: string
    since: Date
    status: string
    offer_id: string
    plan_id: string
    term_unit: string | null
    term_start: Date | null
  }>(
    `SELECT subscription_id, since, status, offer_id, plan_id, term_unit, term_start
       FROM metering_subscription_states WHERE subscription_id = ANY($1) ORDER BY subscription_id, since`,
    [ids],
  )
  const map = new Map<string, SubscriptionState[]>()
  for (const r of rows) {
    const list = map.get(r.subscription_id) ?? []
    list.push({
      since: r.since,
      status: r.status,
      offerId: r.offer_id,
      planId: r.plan_id,
      termUnit: r.term_unit,
      termStart: r.term_start,
    })
    map.set(r.subscription_id, list)
  }
  return map
}

/**
 * Records a state from `since` on, unless the state in force then is already the same. `source` says who
 * told: `microsoft` (Get Subscription) or `workflow` (a change the subscription's workflow applied).
 */
export async function recordState(
  db: Queryable,
  subscriptionId: string,
  state: Omit<SubscriptionState, 'since'>,
  since: Date,
  source: 'microsoft' | 'workflow',
): Promise<void> {
  await db.query(
    `INSERT INTO metering_subscription_states
       (subscription_id, since, status, offer_id, plan_id, term_unit, term_start, source)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8
      WHERE NOT EXISTS (
        SELECT 1 FROM (
          SELECT status, offer_id, plan_id, term_unit, term_start FROM metering_subscription_states
           WHERE subscription_id = $1 AND since <= $2 ORDER BY since DESC LIMIT 1) last
         WHERE last.status = $3 AND last.offer_id = $4 AND last.plan_id = $5
           AND last.term_unit IS NOT DISTINCT FROM $6 AND last.term_start IS NOT DISTINCT FROM $7)
     ON CONFLICT (subscription_id, since) DO UPDATE SET status = $3, offer_id = $4, plan_id = $5,
       term_unit = $6, term_start = $7, source = $8, recorded_at = now()`,
    [subscriptionId, since, state.status, state.offerId, state.planId, state.termUnit, state.termStart, source],
  )
}

function stateOf(subscription: Subscription): Omit<SubscriptionState, 'since'> {
  const start = subscription.term?.startDate ? new Date(subscription.term.startDate) : null
  return {
    status: subscription.saasSubscriptionStatus,
    offerId: subscription.offerId,
    planId: subscription.planId,
    termUnit: subscription.term?.termUnit ?? null,
    termStart: start && !Number.isNaN(start.getTime()) ? start : null,
  }
}

export interface Observer {
  /**
   * Asks Microsoft (Get Subscription) about each subscription not asked within `maxAgeMs` and records
   * what it says; returns the ids Microsoft does not know (404).
   */
  observe(ids: string[], maxAgeMs: number): Promise<Set<string>>
}

export function createObserver(deps: {
  pool: pg.Pool
  marketplace: Pick<MarketplaceClient, 'getSubscription'>
  now: () => number
}): Observer {
  const { pool, marketplace, now } = deps

  async function observeOne(id: string, at: Date): Promise<boolean> {
    let subscription: Subscription
    try {
      subscription = await marketplace.getSubscription(id)
    } catch (err) {
      if (isMarketplaceError(err, 404)) return false
      throw err
    }
    const state = stateOf(subscription)
    const { rows } = await pool.query('SELECT 1 FROM metering_subscription_states WHERE subscription_id = $1 LIMIT 1', [
      id,
    ])
    // First sight of a subscription with a term: it has been Subscribed since its term started (the
    // term exists only once Microsoft activated it), whatever it is now.
    if (rows.length === 0 && state.termStart && state.termStart < at) {
      await recordState(pool, id, { ...state, status: 'Subscribed' }, state.termStart, 'microsoft')
    }
    await recordState(pool, id, state, at, 'microsoft')
    await pool.query(
      `INSERT INTO metering_subscriptions (subscription_id, checked_at) VALUES ($1, $2)
       ON CONFLICT (subscription_id) DO UPDATE SET checked_at = $2`,
      [id, at],
    )
    return true
  }

  return {
    async observe(ids, maxAgeMs) {
      const at = new Date(now())
      const { rows } = await pool.query<{ subscription_id: string }>(
        'SELECT subscription_id FROM metering_subscriptions WHERE subscription_id = ANY($1) AND checked_at > $2',
        [ids, new Date(at.getTime() - maxAgeMs)],
      )
      const fresh = new Set(rows.map((r) => r.subscription_id))
      const unknown = new Set<string>()
      const stale = ids.filter((id) => !fresh.has(id))
      // A few at a time: enough to hide Microsoft's latency, few enough not to trip its rate limits.
      for (let i = 0; i < stale.length; i += 8) {
        const slice = stale.slice(i, i + 8)
        const known = await Promise.all(slice.map((id) => observeOne(id, at)))
        slice.forEach((id, k) => !known[k] && unknown.add(id))
      }
      return unknown
    },
  }
}
