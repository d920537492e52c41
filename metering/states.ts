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

/** A row of `metering_subscription_states`, as `pg` reads it. */
export interface StateRecord {
  subscription_id: string
  since: Date
  status: string
  offer_id: string
  plan_id: string
  term_unit: string | null
  term_start: Date | null
}

/** Adds one row to its subscription's history (rows come sorted by subscription and `since`). */
export function addToHistory(map: Map<string, SubscriptionState[]>, r: StateRecord): void {
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

export async function histories(db: Queryable, ids: string[]): Promise<Map<string, SubscriptionState[]>> {
  const { rows } = await db.query<StateRecord>(
    `SELECT subscription_id, since, status, offer_id, plan_id, term_unit, term_start
       FROM metering_subscription_states WHERE subscription_id = ANY($1) ORDER BY subscription_id, since`,
    [ids],
  )
  const map = new Map<string, SubscriptionState[]>()
  for (const r of rows) addToHistory(map, r)
  return map
}

/** One state of one subscription from `since` on, to record. */
interface StateRow extends Omit<SubscriptionState, 'since'> {
  subscriptionId: string
  since: Date
}

/**
 * Records states, each unless the state in force at its `since` is already the same. `source` says who
 * told: `microsoft` (Get Subscription) or `workflow` (a change the subscription's workflow applied).
 */
async function recordStates(db: Queryable, rows: StateRow[], source: 'microsoft' | 'workflow'): Promise<void> {
  if (rows.length === 0) return
  await db.query(
    `INSERT INTO metering_subscription_states
       (subscription_id, since, status, offer_id, plan_id, term_unit, term_start, source)
     SELECT x.sub, x.since, x.status, x.offer, x.plan, x.unit, x.start, $8
       FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
            AS x(sub, since, status, offer, plan, unit, start)
      WHERE NOT EXISTS (
        SELECT 1 FROM (
          SELECT status, offer_id, plan_id, term_unit, term_start FROM metering_subscription_states s
           WHERE s.subscription_id = x.sub AND s.since <= x.since ORDER BY s.since DESC LIMIT 1) last
         WHERE last.status = x.status AND last.offer_id = x.offer AND last.plan_id = x.plan
           AND last.term_unit IS NOT DISTINCT FROM x.unit AND last.term_start IS NOT DISTINCT FROM x.start)
     ON CONFLICT (subscription_id, since) DO UPDATE SET status = excluded.status, offer_id = excluded.offer_id,
       plan_id = excluded.plan_id, term_unit = excluded.term_unit, term_start = excluded.term_start,
       source = excluded.source, recorded_at = now()`,
    [
      rows.map((r) => r.subscriptionId),
      rows.map((r) => r.since),
      rows.map((r) => r.status),
      rows.map((r) => r.offerId),
      rows.map((r) => r.planId),
      rows.map((r) => r.termUnit),
      rows.map((r) => r.termStart),
      source,
    ],
  )
}

/** A change the subscription's workflow applied, at Microsoft's time of it. */
export function recordState(
  db: Queryable,
  subscriptionId: string,
  state: Omit<SubscriptionState, 'since'>,
  since: Date,
  source: 'microsoft' | 'workflow',
): Promise<void> {
  return recordStates(db, [{ ...state, subscriptionId, since }], source)
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
   * Asks Microsoft about each subscription not asked within `maxAgeMs` and records what it says;
   * returns the ids Microsoft does not know.
   */
  observe(ids: string[], maxAgeMs: number): Promise<Set<string>>
}

/** Above this many subscriptions to ask about, one List Subscriptions (100 a page) beats a Get for each. */
const LIST_ABOVE = 200
/** Gets at once: enough to hide Microsoft's latency, few enough not to trip its rate limits. */
const PARALLEL_GETS = 8

export function createObserver(deps: {
  pool: pg.Pool
  marketplace: Pick<MarketplaceClient, 'getSubscription' | 'listSubscriptions'>
  now: () => number
}): Observer {
  const { pool, marketplace, now } = deps

  async function ask(ids: string[]): Promise<Map<string, Subscription>> {
    const found = new Map<string, Subscription>()
    if (ids.length > LIST_ABOVE) {
      const wanted = new Set(ids)
      for await (const s of marketplace.listSubscriptions()) if (wanted.has(s.id)) found.set(s.id, s)
      return found
    }
    for (let i = 0; i < ids.length; i += PARALLEL_GETS) {
      await Promise.all(
        ids.slice(i, i + PARALLEL_GETS).map(async (id) => {
          try {
            found.set(id, await marketplace.getSubscription(id))
          } catch (err) {
            if (!isMarketplaceError(err, 404)) throw err
          }
        }),
      )
    }
    return found
  }

  async function record(found: Map<string, Subscription>, at: Date): Promise<void> {
    const ids = [...found.keys()]
    // Asked before, not merely reported by its workflow (whose report carries the workflow's time, later
    // than the activation).
    const { rows } = await pool.query<{ subscription_id: string }>(
      'SELECT subscription_id FROM metering_subscriptions WHERE subscription_id = ANY($1)',
      [ids],
    )
    const seen = new Set(rows.map((r) => r.subscription_id))
    const current = [...found].map(([id, s]) => ({ ...stateOf(s), subscriptionId: id, since: at }))
    // First sight of a subscription with a term: it has been Subscribed since its term started (the
    // term exists only once Microsoft activated it), whatever it is now.
    const first = current.flatMap((s) =>
      !seen.has(s.subscriptionId) && s.termStart && s.termStart < at
        ? [{ ...s, status: 'Subscribed', since: s.termStart }]
        : [],
    )
    await recordStates(pool, first, 'microsoft')
    await recordStates(pool, current, 'microsoft')
    await pool.query(
      `INSERT INTO metering_subscriptions (subscription_id, checked_at) SELECT unnest($1::text[]), $2
       ON CONFLICT (subscription_id) DO UPDATE SET checked_at = excluded.checked_at`,
      [ids, at],
    )
  }

  return {
    async observe(ids, maxAgeMs) {
      const at = new Date(now())
      const { rows } = await pool.query<{ subscription_id: string }>(
        'SELECT subscription_id FROM metering_subscriptions WHERE subscription_id = ANY($1) AND checked_at > $2',
        [ids, new Date(at.getTime() - maxAgeMs)],
      )
      const fresh = new Set(rows.map((r) => r.subscription_id))
      const stale = ids.filter((id) => !fresh.has(id))
      if (stale.length === 0) return new Set()
      const found = await ask(stale)
      await record(found, at)
      return new Set(stale.filter((id) => !found.has(id)))
    },
  }
}
