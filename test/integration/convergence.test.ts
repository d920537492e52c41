/**
 * Converging on Microsoft's state whatever the order of delivery (issue 7). Microsoft acts (the emulator,
 * with Microsoft's real delivery semantics: Suspend, Reinstate, Renew and Unsubscribe arrive `Succeeded`,
 * ChangePlan/ChangeQuantity `InProgress`, waiting 10 s for a PATCH), but its webhooks are held back
 * (`webhook: false`); the test then delivers Microsoft's bodies itself, signed, in reversed and shuffled
 * orders, with duplicates and late copies. Each case ends with status, plan and seats equal to Microsoft's
 * Get Subscription, and every change still open at Microsoft answered by PATCH inside its window.
 *
 * A handful of orders on the real service; the machine's generated test covers every permutation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Decision } from '../../machines/subscription/index.ts'
import { eventually, startHarness, type Harness } from '../support/harness.ts'
import { confirmPurchase } from '../support/landing.ts'
import { detail, essentials, subscribed, until, webhookBodyOf } from '../support/subscriptions.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness({ signer: true })
})
afterAll(() => h?.stop())

const m = () => h.emulator.marketplace
const quiet = { webhook: false }

type Body = ReturnType<typeof webhookBodyOf>

/** Microsoft's body for an operation just performed, as its webhook would have carried it then. */
function held(id: string, operation: { id: string }): Body {
  return webhookBodyOf(h, id, operation.id)
}

/** Delivers the bodies in this order, each with a fresh valid token; returns when each was received. */
async function deliver(bodies: Body[]): Promise<Map<string, number>> {
  const firstDelivered = new Map<string, number>()
  for (const body of bodies) {
    if (!firstDelivered.has(body.id)) firstDelivered.set(body.id, Date.now())
    const res = await h.deliver(body)
    expect(res.status, `${body.action} ${body.id}: ${await res.clone().text()}`).toBe(200)
  }
  return firstDelivered
}

const decisionsOf = (id: string) => h.temporal.workflow.getHandle(`subscription-${id}`).query<Decision[]>('decisions')

/**
 * Waits until the workflow has taken every delivered operation (or closed) and agrees with Microsoft, then checks that
 * nothing still in flight (a late resync, a queued effect) moves it away again.
 */
async function expectConverged(id: string, bodies: Body[]) {
  const microsoft = () => essentials(m().getSubscription(id).subscription)
  const operationIds = new Set(bodies.map((b) => b.id))
  await eventually(
    async () => {
      const taken = new Set((await decisionsOf(id)).map((d) => d.operationId))
      // Once Unsubscribed the run is closed: what arrives later is answered "closed" and changes nothing.
      const closed = (await h.temporal.workflow.getHandle(`subscription-${id}`).describe()).status.name !== 'RUNNING'
      const v = await detail(h, id)
      return (
        (closed || [...operationIds].every((op) => taken.has(op))) &&
        v !== undefined &&
        v.pendingChange === undefined &&
        JSON.stringify(essentials(v)) === JSON.stringify(microsoft())
      )
    },
    { what: `${id} converged on Microsoft's ${JSON.stringify(microsoft())}`, timeoutMs: 30_000 },
  )
  await new Promise((r) => setTimeout(r, 1_500))
  const v = (await detail(h, id))!
  expect(essentials(v)).toEqual(microsoft())
  return v
}

/** The open change was answered by a PATCH that Microsoft took, inside 10 s of its first delivery. */
function expectPatched(id: string, operationId: string, deliveredAt: number, status: 'Success' | 'Failure') {
  const landed = m()
    .journal({ subscriptionId: id, kind: 'updateOperation' })
    .filter((j) => j.operationId === operationId && j.status === 200)
  expect(landed.map((j) => j.body)).toEqual([{ status }])
  expect(Date.parse(landed[0]!.time) - deliveredAt).toBeLessThan(10_000)
}

describe('Suspend and Reinstate, delivered out of order', () => {
  it.each([
    ['Reinstate before Suspend', ['R', 'S']],
    ['Reinstate twice, then Suspend twice', ['R', 'R', 'S', 'S']],
    ['in order, then a late copy of the Suspend', ['S', 'R', 'S']],
    ['Reinstate, Suspend, Reinstate again', ['R', 'S', 'R']],
  ] as const)('%s ends Subscribed, as Microsoft says', async (_, order) => {
    const id = await subscribed(h)
    const suspend = m().suspend(id, quiet)
    const S = held(id, suspend)
    const reinstate = m().reinstate(id, quiet)
    const R = held(id, reinstate)
    // Microsoft's real semantics: both notify-only and Succeeded.
    expect([S.status, R.status]).toEqual(['Succeeded', 'Succeeded'])
    const bodies = order.map((k) => ({ S, R })[k])
    await deliver(bodies)
    const v = await expectConverged(id, bodies)
    expect(v).toMatchObject({ saasSubscriptionStatus: 'Subscribed', step: 'subscribed.idle' })
  })

  it('Suspend, Reinstate, Suspend, shuffled with duplicates, ends Suspended', async () => {
    const id = await subscribed(h)
    const S1 = held(id, m().suspend(id, quiet))
    const R = held(id, m().reinstate(id, quiet))
    const S2 = held(id, m().suspend(id, quiet))
    const bodies = [S2, R, S1, R, S2, S1]
    await deliver(bodies)
    const v = await expectConverged(id, bodies)
    expect(v.saasSubscriptionStatus).toBe('Suspended')
  })
})

describe('a customer change among late lifecycle operations', () => {
  it.each([
    ['Reinstate, ChangePlan, then the late Suspend', ['R', 'CP', 'S']],
    ['ChangePlan before both', ['CP', 'S', 'R']],
    ['Suspend first, so the ChangePlan lands while the service believes Suspended', ['S', 'CP', 'R', 'S', 'CP']],
  ] as const)('%s: the open ChangePlan is PATCHed in its window and ends on the new plan', async (_, order) => {
    const id = await subscribed(h)
    const S = held(id, m().suspend(id, quiet))
    const R = held(id, m().reinstate(id, quiet))
    const changePlan = m().changePlan(id, 'enterprise', quiet)
    const CP = held(id, changePlan)
    expect(CP.status).toBe('InProgress')
    const bodies = order.map((k) => ({ S, R, CP })[k])
    const deliveredAt = await deliver(bodies)
    const v = await expectConverged(id, bodies)
    expect(v).toMatchObject({ saasSubscriptionStatus: 'Subscribed', planId: 'enterprise' })
    expectPatched(id, changePlan.id, deliveredAt.get(changePlan.id)!, 'Success')
  })

  it('an open ChangeQuantity delivered twice around a late Renew: PATCHed once it is decided, new seats', async () => {
    const id = await subscribed(h)
    const renew = held(id, m().renew(id, quiet))
    const changeQuantity = m().changeQuantity(id, 20, quiet)
    const CQ = held(id, changeQuantity)
    const bodies = [CQ, renew, CQ]
    const deliveredAt = await deliver(bodies)
    const v = await expectConverged(id, bodies)
    expect(v).toMatchObject({ saasSubscriptionStatus: 'Subscribed', quantity: 20 })
    expectPatched(id, changeQuantity.id, deliveredAt.get(changeQuantity.id)!, 'Success')
  })

  it('a ChangePlan Microsoft accepted by default, its webhook late, after a Suspend: Suspended on the new plan', async () => {
    const id = await subscribed(h)
    m().configure({ autoAcceptMs: 300 })
    try {
      const changePlan = m().changePlan(id, 'enterprise', quiet)
      const CP = held(id, changePlan)
      await eventually(() => m().getSubscription(id).subscription.planId === 'enterprise', {
        what: 'accepted by default at Microsoft',
      })
      const S = held(id, m().suspend(id, quiet))
      const bodies = [S, CP]
      await deliver(bodies)
      const v = await expectConverged(id, bodies)
      expect(v).toMatchObject({ saasSubscriptionStatus: 'Suspended', planId: 'enterprise' })
      // Microsoft no longer waits on it: nothing to PATCH (a PATCH now would only meet a 409).
      expect(
        m()
          .journal({ subscriptionId: id, kind: 'updateOperation' })
          .filter((j) => j.status === 200),
      ).toEqual([])
    } finally {
      m().configure({ autoAcceptMs: 10_000 })
    }
  })
})

describe('Unsubscribe before older operations', () => {
  it('Unsubscribe, then the late Suspend: Unsubscribed on Microsoft’s plan, deprovisioned once', async () => {
    const id = await subscribed(h)
    const S = held(id, m().suspend(id, quiet))
    const U = held(id, m().unsubscribe(id, quiet))
    const bodies = [U, S, U]
    await deliver(bodies)
    const v = await expectConverged(id, bodies)
    expect(v.saasSubscriptionStatus).toBe('Unsubscribed')
    await eventually(() => h.vendor.callsTo('deprovision', id).length === 1, { what: 'deprovisioned' })
  })

  it('a ChangeQuantity Microsoft accepted by default arrives after the Unsubscribe: ends on Microsoft’s seats', async () => {
    const id = await subscribed(h)
    m().configure({ autoAcceptMs: 300 })
    try {
      const CQ = held(id, m().changeQuantity(id, 20, quiet))
      await eventually(() => m().getSubscription(id).subscription.quantity === 20, {
        what: 'accepted by default at Microsoft',
      })
      const U = held(id, m().unsubscribe(id, quiet))
      const bodies = [U, CQ]
      await deliver(bodies)
      const v = await expectConverged(id, bodies)
      expect(v).toMatchObject({ saasSubscriptionStatus: 'Unsubscribed', quantity: 20 })
    } finally {
      m().configure({ autoAcceptMs: 10_000 })
    }
  })
})

describe('an Activate whose answer was lost', () => {
  it('is not sent again: the retry reads Get Subscription, which already says Subscribed', async () => {
    m().setFaults({
      script: [{ target: 'api', kind: 'lost', operationId: 'FulfillmentOperations_ActivateSubscription' }],
    })
    try {
      const purchase = m().purchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 5 })
      const id = purchase.subscription.id
      await confirmPurchase(purchase.landingUrl)
      const v = await until(h, id, (s) => s.step === 'subscribed.idle', 'Subscribed')
      expect(v.saasSubscriptionStatus).toBe('Subscribed')

      const activates = m().journal({ subscriptionId: id, kind: 'activate' })
      expect(activates.map((a) => a.status)).toEqual([500])
      const readsAfter = m()
        .journal({ subscriptionId: id, kind: 'getSubscription' })
        .filter((j) => j.seq > activates[0]!.seq && j.status === 200)
      expect(readsAfter.length).toBeGreaterThan(0)
      expect(m().getSubscription(id).subscription.saasSubscriptionStatus).toBe('Subscribed')
    } finally {
      m().setFaults({})
    }
  })
})
