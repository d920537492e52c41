/**
 * The service's own Prometheus metrics (prom-client's default registry, one per process), and the only
 * way to record them: small functions whose label values come from closed lists, so no subscription id,
 * tenant id or free text can ever become a label (an unknown value is recorded as `other`).
 *
 * Where each is recorded: HTTP requests by `http-metrics.ts` (@hono/prometheus); Microsoft API calls by
 * the marketplace transport; the rest by the webhook handler, the activities, reconciliation and
 * metering. The worker's Temporal SDK metrics come from Temporal's own exporter (see `worker/start.ts`).
 * Alert rules on all of them: `observability/alerts.yml`.
 * @module
 */
import { OPERATION_ACTIONS } from '../marketplace/actions.ts'
import { Counter, Gauge, Histogram, register } from 'prom-client'

export { register as registry }

/** Microsoft's webhook actions (Fulfillment API v2), and `other` for anything else. */
export const WEBHOOK_ACTIONS = [...OPERATION_ACTIONS, 'other'] as const
/**
 * What became of a webhook: `accepted` (200, the workflow has it), `duplicate` (200, already applied),
 * `unauthorized` (401, token refused), `invalid` (400, body not understood), `unconfirmed` (Get Operation
 * at Microsoft does not confirm it), `failed` (5xx, Microsoft will retry).
 */
export const WEBHOOK_OUTCOMES = ['accepted', 'duplicate', 'unauthorized', 'invalid', 'unconfirmed', 'failed'] as const
/** A customer change decided: by the vendor's hook, by default when the hook was late, or not at all. */
export const DECISION_OUTCOMES = ['accepted', 'rejected', 'defaulted', 'failed'] as const
/** The vendor hooks (`activities/hooks/types.ts`). */
export const HOOKS = [
  'provision',
  'decideChange',
  'applyChange',
  'suspend',
  'reinstate',
  'deprovision',
  'notify',
] as const

/** Seconds from a webhook's receipt to its acknowledgement PATCH; Microsoft's window is 10 s. */
export const ACK_BUCKETS = [0.25, 0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 30, 60]

const webhooks = new Counter({
  name: 'saas_webhooks_total',
  help: "Microsoft's webhooks received, by action and what became of them.",
  labelNames: ['action', 'outcome'],
})

const ackSeconds = new Histogram({
  name: 'saas_webhook_ack_seconds',
  help: "Time from a customer change's webhook to its acknowledgement PATCH (Success/Failure); Microsoft allows 10 s.",
  labelNames: ['action', 'result'],
  buckets: ACK_BUCKETS,
})

const decisions = new Counter({
  name: 'saas_decisions_total',
  help: "Customer changes (ChangePlan/ChangeQuantity) decided, by outcome; 'defaulted': the vendor was late, accepted by default.",
  labelNames: ['outcome'],
})

const hookFailures = new Counter({
  name: 'saas_vendor_hook_failures_total',
  help: "Failed calls of the vendor's hooks (each failed attempt), by hook.",
  labelNames: ['hook'],
})

/** Still-failing hook calls of this process: key (one step of one workflow) → hook, first and last failure. */
const failing = new Map<string, { hook: string; since: number; last: number }>()
/**
 * A call not seen failing for this long is forgotten: its retry may have succeeded on another worker,
 * which this process cannot see (Temporal's retries come back far sooner, at most every 100 s by default).
 */
export const HOOK_FAILURE_FORGET_MS = 15 * 60_000

new Gauge({
  name: 'saas_vendor_hook_oldest_failure_seconds',
  help: 'Age of the oldest vendor hook call that is still failing (0 when none), by hook.',
  labelNames: ['hook'],
  collect() {
    const now = Date.now()
    for (const [key, f] of failing) if (now - f.last > HOOK_FAILURE_FORGET_MS) failing.delete(key)
    for (const hook of HOOKS) {
      const oldest = Math.min(...[...failing.values()].filter((f) => f.hook === hook).map((f) => f.since))
      this.set({ hook }, Number.isFinite(oldest) ? Math.max(0, (now - oldest) / 1000) : 0)
    }
  },
})

const marketplaceCalls = new Counter({
  name: 'saas_marketplace_requests_total',
  help: "Calls to Microsoft's marketplace API, by client operation and HTTP status (or timeout, network).",
  labelNames: ['operation', 'status'],
})

const marketplaceSeconds = new Histogram({
  name: 'saas_marketplace_request_duration_seconds',
  help: "Latency of calls to Microsoft's marketplace API, by client operation.",
  labelNames: ['operation'],
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30],
})

const driftFound = new Counter({
  name: 'saas_reconciliation_drift_total',
  help: "Differences between Microsoft's view and the service's found by reconciliation, by kind.",
  labelNames: ['kind'],
})

const driftRepaired = new Counter({
  name: 'saas_reconciliation_repaired_total',
  help: 'Differences reconciliation repaired (the rest are reported for a person), by kind.',
  labelNames: ['kind'],
})

const meteringConflicts = new Counter({
  name: 'saas_metering_conflicts_total',
  help: 'Usage events Microsoft answered 409 (Duplicate/Conflict) for.',
})

const meteringExpired = new Counter({
  name: 'saas_metering_expired_total',
  help: 'Usage hours that could not be reported within 24 hours and were lost (Expired).',
})

/** What metering's ledger holds right now, read at scrape time. */
export interface MeteringBacklog {
  /** Subscription-hours not yet accepted by Microsoft. */
  pendingHours: number
  /** Age of the oldest of them, in seconds (0 when none); Microsoft refuses an hour after 24 hours. */
  oldestPendingAgeSeconds: number
}

let meteringBacklog: (() => Promise<MeteringBacklog>) | undefined

new Gauge({
  name: 'saas_metering_pending_hours',
  help: 'Usage hours (per subscription and dimension) not yet accepted by Microsoft.',
  async collect() {
    this.set((await readBacklog()).pendingHours)
  },
})

new Gauge({
  name: 'saas_metering_oldest_pending_age_seconds',
  help: "Age of the oldest usage hour not yet accepted by Microsoft (Microsoft's limit: 24 hours = 86400 s).",
  async collect() {
    this.set((await readBacklog()).oldestPendingAgeSeconds)
  },
})

/** The registry collects every metric at once: both gauges share one read of the ledger per scrape. */
let reading: Promise<MeteringBacklog> | undefined

function readBacklog(): Promise<MeteringBacklog> {
  reading ??= read().finally(() => (reading = undefined))
  return reading
  async function read(): Promise<MeteringBacklog> {
    if (!meteringBacklog) return { pendingHours: 0, oldestPendingAgeSeconds: 0 }
    try {
      return await meteringBacklog()
    } catch {
      // A failed read must not fail the whole scrape; NaN shows the gap instead of a reassuring 0.
      return { pendingHours: Number.NaN, oldestPendingAgeSeconds: Number.NaN }
    }
  }
}

/** One of `allowed`, or `other`: the label stays bounded whatever the caller passes. */
function bounded<T extends string>(value: string, allowed: readonly T[]): T | 'other' {
  return (allowed as readonly string[]).includes(value) ? (value as T) : 'other'
}

/** Kinds named in code (reconciliation's, client operations): identifiers only, never data. */
function identifier(value: string): string {
  return /^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(value) ? value : 'other'
}

/** A webhook's fate, once the handler knows it. */
export function recordWebhook(action: string, outcome: (typeof WEBHOOK_OUTCOMES)[number]): void {
  webhooks.inc({ action: bounded(action, WEBHOOK_ACTIONS), outcome: bounded(outcome, WEBHOOK_OUTCOMES) })
}

/** The acknowledgement PATCH of a customer change succeeded, `receivedAt` being when its webhook arrived. */
export function observeWebhookAck(
  action: string,
  result: 'Success' | 'Failure',
  receivedAt: Date | string | number,
  now = Date.now(),
): void {
  const seconds = Math.max(0, (now - new Date(receivedAt).getTime()) / 1000)
  ackSeconds.observe(
    { action: bounded(action, WEBHOOK_ACTIONS), result: bounded(result, ['Success', 'Failure']) },
    seconds,
  )
}

export function recordDecision(outcome: (typeof DECISION_OUTCOMES)[number]): void {
  decisions.inc({ outcome: bounded(outcome, DECISION_OUTCOMES) })
}

/**
 * A hook call failed. `key` names the step (the same on every retry: workflow, run, activity id) and
 * `since` when it first failed (e.g. the activity's first scheduled time), so retries keep the age.
 */
export function recordHookFailure(hook: string, key: string, since = Date.now(), now = Date.now()): void {
  const name = bounded(hook, HOOKS)
  hookFailures.inc({ hook: name })
  const known = failing.get(key)
  failing.set(key, { hook: name, since: Math.min(since, known?.since ?? since), last: now })
}

/** The step `key` succeeded, or gave up for good: it no longer counts as failing. */
export function clearHookFailure(key: string): void {
  failing.delete(key)
}

/** One call to Microsoft, whatever its outcome. */
export function observeMarketplaceCall(operation: string, status: number | string, seconds: number): void {
  const op = identifier(operation)
  marketplaceCalls.inc({ operation: op, status: typeof status === 'number' ? String(status) : identifier(status) })
  marketplaceSeconds.observe({ operation: op }, seconds)
}

/** Reconciliation found a difference of this kind; `repaired` when it fixed it itself. */
export function recordDrift(kind: string, repaired: boolean): void {
  driftFound.inc({ kind: identifier(kind) })
  if (repaired) driftRepaired.inc({ kind: identifier(kind) })
}

export function recordMeteringConflict(count = 1): void {
  meteringConflicts.inc(count)
}

export function recordMeteringExpired(count = 1): void {
  meteringExpired.inc(count)
}

/** Metering tells how to read its backlog (e.g. one SQL query); it is read at every scrape. */
export function setMeteringBacklogSource(read: () => Promise<MeteringBacklog>): void {
  meteringBacklog = read
}
