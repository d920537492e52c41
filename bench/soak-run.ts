/**
 * The soak: the service as separate processes (two workers, one HTTP server) against the project's
 * emulator, N subscriptions living through random customer events while Microsoft's API fails 20 % of
 * calls (429 with Retry-After, 500, answers lost after Microsoft acted), webhooks come duplicated, late and
 * out of order, workers are killed with SIGKILL and the whole service is restarted. Then the faults stop,
 * everything settles, and the invariants are checked and counted:
 *
 *  - every subscription ends in Microsoft's state (status, plan, seats as Get Subscription says);
 *  - nothing accepted was lost (every operation the workflow took, a signal in its history, is in its
 *    decisions; a webhook answered 200 without a signal only for a closed workflow);
 *  - no effect happened twice (Activate sent once, one successful PATCH per operation; provision, activate
 *    and deprovision completed at most once per subscription);
 *  - nothing is stuck (every workflow idle in its status, no failing hook, no operation left InProgress).
 * @module
 */
import pMap from 'p-map'
import type { FaultsInput } from '../emulator/index.ts'
import { FailingHookKey } from '../workflows/search-attributes.ts'
import { decisionsQuery } from '../workflows/subscription.ts'
import { stateOf, waitFor } from './fleet.ts'
import { startService, type Service } from './service.ts'
import { confirmPurchase } from '../test/support/landing.ts'
import { historyFacts } from './histories.ts'

export interface SoakOptions {
  temporalAddress: string
  subscriptions: number
  /** Rounds of random customer events (one per subscription per round, at most). */
  rounds: number
  /** Worker processes killed with SIGKILL (one per round, from the first). */
  kills: number
  /** Whole-service restarts (after the kills). */
  restarts: number
  seed?: number
  log?: (line: string) => void
}

export interface SoakReport {
  subscriptions: number
  events: Record<string, number>
  refusedEvents: number
  kills: number
  restarts: number
  faults: { apiCalls: number; faulted: number; webhooksAnswered200: number; webhookDeliveries: number }
  invariants: {
    inMicrosoftsState: { ok: number; failed: string[] }
    nothingAcceptedLost: { accepted: number; lost: string[] }
    noEffectTwice: { activations: number; patches: number; twice: string[] }
    nothingStuck: { ok: number; stuck: string[] }
  }
  passed: boolean
}

const FAULT_RATE = { rate429: 0.1, rate500: 0.1, retryAfterSeconds: 1 }

/** A small seeded PRNG (mulberry32): the same seed, the same events. */
function random(seed: number) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => {})
  const rnd = random(options.seed ?? 1)
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!
  const service = await startService({
    temporalAddress: options.temporalAddress,
    workers: 2,
    // A killed worker's running hook is retried elsewhere after 2 s of silence.
    env: { DEMO_PROVISION_DELAY_MS: '300', VENDOR_HOOK_HEARTBEAT_TIMEOUT_MS: '2000' },
    emulator: { webhookRetry: { initialDelayMs: 500, maxDelayMs: 5_000 } },
  })
  const m = service.emulator.marketplace
  try {
    const faults = (script: FaultsInput['script'] = []): FaultsInput => ({
      api: FAULT_RATE,
      webhooks: { duplicateRate: 0.1, reorderRate: 0.1 },
      script,
      seed: options.seed ?? 1,
    })
    // Answers lost after Microsoft acted, on the calls where that matters most, then late webhooks.
    m.setFaults(
      faults([
        ...Array.from({ length: 3 }, () => ({
          target: 'api' as const,
          kind: 'lost' as const,
          operationId: 'FulfillmentOperations_ActivateSubscription' as const,
        })),
        ...Array.from({ length: 5 }, () => ({
          target: 'api' as const,
          kind: 'lost' as const,
          operationId: 'SubscriptionOperations_UpdateOperationStatus' as const,
        })),
        ...Array.from({ length: 5 }, () => ({ target: 'webhook' as const, kind: 'delay' as const, delayMs: 3_000 })),
      ]),
    )

    // Half bought through the landing page, half auto-activated (Microsoft's Subscribe webhook).
    const ids = await pMap(
      Array.from({ length: options.subscriptions }, (_, i) => i),
      async (i) => {
        if (i % 2) {
          return m.purchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 10, autoActivate: true })
            .subscription.id
        }
        const purchase = m.purchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 10 })
        await waitFor(async () => !!(await confirmPurchase(purchase.landingUrl)), 60_000, 'landing page')
        return purchase.subscription.id
      },
      { concurrency: 8 },
    )
    log(`${ids.length} subscriptions bought`)

    const events: Record<string, number> = {}
    let refused = 0
    let kills = 0
    let restarts = 0
    for (let round = 0; round < options.rounds; round++) {
      const chaos = (async () => {
        await new Promise((r) => setTimeout(r, 1_500))
        if (kills < options.kills) {
          const victim = service.workers.shift()!
          await victim.kill()
          kills++
          log(`round ${round}: worker ${victim.process.pid} killed (SIGKILL)`)
          await service.startWorker()
        } else if (restarts < options.restarts) {
          await service.restart()
          restarts++
          log(`round ${round}: whole service restarted`)
        }
      })()
      for (const id of ids) {
        const sub = m.getSubscription(id).subscription
        const quantity = 10 + Math.floor(rnd() * 30)
        const actions: Record<string, () => unknown> = {
          changeQuantity: () => m.changeQuantity(id, quantity === sub.quantity ? quantity + 1 : quantity),
          changePlan: () => m.changePlan(id, sub.planId === 'team' ? 'enterprise' : 'team'),
          suspend: () => m.suspend(id),
          reinstate: () => m.reinstate(id),
          renew: () => m.renew(id),
          unsubscribe: () => m.unsubscribe(id),
        }
        const action =
          rnd() < 0.05 ? 'unsubscribe' : pick(['changeQuantity', 'changePlan', 'suspend', 'reinstate', 'renew', 'none'])
        if (action === 'none') continue
        try {
          actions[action]!()
          events[action] = (events[action] ?? 0) + 1
        } catch {
          refused++ // not possible in its state at Microsoft now (pending operation, wrong status)
        }
        await new Promise((r) => setTimeout(r, 2_000 / ids.length))
      }
      await chaos
      log(`round ${round}: ${JSON.stringify(events)}, ${refused} refused by Microsoft`)
      await new Promise((r) => setTimeout(r, 3_000))
    }

    // The faults stop; what is due lands (webhook retries, activity retries), then the checks.
    const faultsSeen = m.journal().length
    m.setFaults({})
    await m.webhooksSettled()
    const invariants = await settleAndCheck(service, ids, log)
    const deliveries = m.webhooks()
    const report: SoakReport = {
      subscriptions: ids.length,
      events,
      refusedEvents: refused,
      kills,
      restarts,
      faults: {
        apiCalls: faultsSeen,
        faulted: m.journal().filter((j) => j.status === 429 || j.status >= 500).length,
        webhooksAnswered200: deliveries.filter((d) => d.attempts.some((a) => a.status === 200)).length,
        webhookDeliveries: deliveries.length,
      },
      invariants,
      passed:
        invariants.inMicrosoftsState.failed.length === 0 &&
        invariants.nothingAcceptedLost.lost.length === 0 &&
        invariants.noEffectTwice.twice.length === 0 &&
        invariants.nothingStuck.stuck.length === 0,
    }
    return report
  } finally {
    await service.stop()
  }
}

/** How long one subscription's checks wait for it to settle before counting it as failing. */
const SETTLE_MS = 60_000
const IDLE_STEPS = new Set(['subscribed.idle', 'suspended.idle', 'suspended', 'unsubscribed'])

async function settleAndCheck(service: Service, ids: string[], log: (line: string) => void) {
  const m = service.emulator.marketplace
  const matches = async (id: string) => {
    const micro = m.getSubscription(id)
    const view = await stateOf(service, id)
    const pending = micro.operations.some((o) => o.status === 'InProgress' || o.status === 'NotStarted')
    return (
      !!view &&
      !pending &&
      view.saasSubscriptionStatus === micro.subscription.saasSubscriptionStatus &&
      (micro.subscription.saasSubscriptionStatus === 'Unsubscribed' ||
        (view.planId === micro.subscription.planId && view.quantity === micro.subscription.quantity))
    )
  }
  // Converging can take a few retries after the faults stop (Retry-After, backoff of up to a minute).
  await waitFor(async () => (await pMap(ids, matches, { concurrency: 16 })).every(Boolean), 180_000).catch(() =>
    log('not every subscription converged within 3 minutes'),
  )
  const inMicrosoftsState = { ok: 0, failed: [] as string[] }
  const nothingStuck = { ok: 0, stuck: [] as string[] }
  const nothingAcceptedLost = { accepted: 0, lost: [] as string[] }
  const noEffectTwice = { activations: 0, patches: 0, twice: [] as string[] }
  for (const id of ids) {
    if (await matches(id)) inMicrosoftsState.ok++
    else {
      const micro = m.getSubscription(id)
      const view = await stateOf(service, id)
      const open = micro.operations.filter((o) => o.status === 'InProgress' || o.status === 'NotStarted')
      inMicrosoftsState.failed.push(
        `${id}: Microsoft ${micro.subscription.saasSubscriptionStatus} ${micro.subscription.planId}×${micro.subscription.quantity}` +
          `${open.length ? ` (${open.map((o) => `${o.action} ${o.status}`).join(', ')})` : ''}, ` +
          `service ${view?.saasSubscriptionStatus} ${view?.planId}×${view?.quantity} at ${view?.step}; ` +
          `Microsoft's operations: ${micro.operations.map((o) => `${o.action} ${o.planId}×${o.quantity} ${o.status} ${o.timeStamp.slice(11, 23)}`).join(', ')}; ` +
          `decisions: ${(await service.temporal.workflow.getHandle(`subscription-${id}`).query(decisionsQuery))
            .map(
              (d) =>
                `${d.at.slice(11, 23)} ${d.event} ${d.from}→${d.to} ${d.outcome}${d.effects.length ? ` [${d.effects.join(' ')}]` : ''}${d.reason ? ` (${d.reason})` : ''}`,
            )
            .join('; ')}`,
      )
    }

    const handle = service.temporal.workflow.getHandle(`subscription-${id}`)
    // Idle in its status with no failing hook; a hook's last retry may still be landing: given time, not a verdict.
    const idle = async () => {
      const view = await stateOf(service, id)
      const failingHook = (await handle.describe()).typedSearchAttributes.get(FailingHookKey)
      return { step: view?.step, ok: !!view?.step && IDLE_STEPS.has(view.step) && !failingHook }
    }
    await waitFor(async () => (await idle()).ok, SETTLE_MS).catch(() => undefined)
    const { step, ok } = await idle()
    if (ok) nothingStuck.ok++
    else nothingStuck.stuck.push(`${id} (${step ?? 'no workflow'})`)

    // Accepted = taken durably: the webhook's event is a signal in the workflow's history (the server
    // answers 200 only after that, see server/webhook/index.ts). The one other 200 is `closed`: the
    // workflow had ended (Unsubscribed, final, docs/marketplace-contract.md §5.1) and nothing was taken.
    // A signal taken a moment ago may still wait in the workflow's inbox: given time too.
    const undecided = async () => {
      const decided = new Set((await handle.query(decisionsQuery)).map((d) => d.operationId))
      const facts = await historyFacts(service.temporal, handle.workflowId)
      return { facts, missing: [...facts.signalled].filter((op) => !decided.has(op)) }
    }
    await waitFor(async () => (await undecided()).missing.length === 0, SETTLE_MS).catch(() => undefined)
    const { facts: history, missing } = await undecided()
    const closed = !!(await handle.describe()).closeTime
    nothingAcceptedLost.accepted += history.signalled.size
    for (const op of missing) nothingAcceptedLost.lost.push(`${id}/${op}: ${describeOperation(m, id, op, closed)}`)
    for (const d of m.webhooks({ subscriptionId: id }))
      if (d.attempts.some((a) => a.status === 200) && !history.signalled.has(d.operationId) && !closed)
        nothingAcceptedLost.lost.push(`${id}/${d.operationId}: answered 200, never signalled, workflow open`)

    const journal = m.journal({ subscriptionId: id })
    const activations = journal.filter((j) => j.kind === 'activate')
    if (activations.some((j) => j.status === 200) || history.completed.has('activate')) noEffectTwice.activations++
    // Microsoft activates once; an Activate it refuses (400: already Subscribed or Suspended) was sent
    // again after one took effect, without reading the subscription first (docs/marketplace-contract.md §2.2).
    const twiceAtMicrosoft =
      activations.filter((j) => j.status === 200).length > 1 || activations.some((j) => j.status === 400)
    if (twiceAtMicrosoft) noEffectTwice.twice.push(`${id}: Activate ${activations.map((j) => j.status).join(' ')}`)
    // The vendor's side: a subscription is provisioned, activated and deprovisioned at most once (an
    // activity retried after a worker was killed completes once).
    for (const effect of ['provision', 'activate', 'deprovision'])
      if ((history.completed.get(effect) ?? 0) > 1)
        noEffectTwice.twice.push(`${id}: ${effect} completed ×${history.completed.get(effect)}`)
    const patches = new Map<string, number>()
    for (const j of journal.filter((j) => j.kind === 'updateOperation' && j.status === 200))
      patches.set(j.operationId!, (patches.get(j.operationId!) ?? 0) + 1)
    noEffectTwice.patches += patches.size
    for (const [op, n] of patches) if (n > 1) noEffectTwice.twice.push(`${id}: PATCH of ${op} ×${n}`)
  }
  return { inMicrosoftsState, nothingAcceptedLost, noEffectTwice, nothingStuck }
}

/** An operation's action, status and webhook attempts, to tell a lost operation's story in the report. */
function describeOperation(m: Service['emulator']['marketplace'], id: string, op: string, closed: boolean) {
  const operation = m.getSubscription(id).operations.find((o) => o.id === op)
  const attempts = m
    .webhooks({ subscriptionId: id })
    .filter((d) => d.operationId === op)
    .flatMap((d) => d.attempts.map((a) => `${a.status ?? a.error}@${a.at.slice(11, 23)}`))
  return `${operation?.action} ${operation?.status} at ${operation?.timeStamp?.slice(11, 23)}, attempts ${attempts.join(' ')}${closed ? ', workflow closed' : ''}`
}
