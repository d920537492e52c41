/**
 * Every flow Microsoft starts, end to end: the emulator acts as the customer and sends real signed
 * webhooks; the service verifies them, checks the operation with Get Operation, and applies them
 * through the subscription's workflow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SubscriptionView } from '../../machines/subscription/index.ts'
import { eventually, startHarness, type Harness } from '../support/harness.ts'
import { confirmPurchase } from '../support/landing.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h?.stop())

const m = () => h.emulator.marketplace

async function view(id: string): Promise<SubscriptionView | undefined> {
  const res = await h.api(`/api/subscriptions/${id}`)
  return res.status === 200 ? ((await res.json()) as SubscriptionView) : undefined
}

async function until(id: string, predicate: (v: SubscriptionView) => boolean, what: string) {
  return eventually(
    async () => {
      const v = await view(id)
      return v && predicate(v) && v
    },
    { what },
  )
}

/** A subscription taken through the landing page to Subscribed. */
async function subscribed(planId = 'team', quantity = 10): Promise<string> {
  const purchase = m().purchase({ offerId: 'contoso-analytics', planId, quantity })
  await confirmPurchase(purchase.landingUrl)
  await until(purchase.subscription.id, (v) => v.step === 'subscribed.idle', 'Subscribed')
  return purchase.subscription.id
}

/** Milliseconds from the webhook's first attempt to the publisher's PATCH of the operation. */
function patchDelay(id: string, operationId: string): number {
  const delivery = m()
    .webhooks({ subscriptionId: id })
    .find((w) => w.operationId === operationId)!
  const patch = m()
    .journal({ subscriptionId: id, kind: 'updateOperation' })
    .find((j) => j.operationId === operationId)!
  return Date.parse(patch.time) - Date.parse(delivery.attempts[0]!.at)
}

describe('webhooks from the customer side', () => {
  it('provisions an auto-activated purchase from its Subscribe webhook, without calling Activate', async () => {
    const purchase = m().purchase({ offerId: 'contoso-analytics', planId: 'instant' })
    const id = purchase.subscription.id
    const v = await until(id, (s) => s.step === 'subscribed.idle', 'Subscribed')
    expect(v.saasSubscriptionStatus).toBe('Subscribed')
    expect(h.vendor.callsTo('provision', id)).toHaveLength(1)
    expect(m().journal({ subscriptionId: id, kind: 'activate' })).toHaveLength(0)
  })

  it.each([
    ['ChangePlan', (id: string) => m().changePlan(id, 'enterprise'), { planId: 'enterprise' }],
    ['ChangeQuantity', (id: string) => m().changeQuantity(id, 12), { quantity: 12 }],
  ] as const)(
    'accepts a customer %s: PATCH Success inside 10 s, applied when Microsoft confirms',
    async (_, change, expected) => {
      const id = await subscribed()
      const operation = change(id)
      const v = await until(
        id,
        (s) => Object.entries(expected).every(([k, val]) => s[k as keyof SubscriptionView] === val),
        'applied',
      )
      expect(v.step).toBe('subscribed.idle')
      const patch = m().journal({ subscriptionId: id, kind: 'updateOperation' })
      expect(patch).toHaveLength(1)
      expect(patch[0]!.body).toEqual({ status: 'Success' })
      expect(patchDelay(id, operation.id)).toBeLessThan(10_000)
      expect(m().getSubscription(id).subscription).toMatchObject(expected)
      expect(h.vendor.callsTo('applyChange', id)).toHaveLength(1)
    },
  )

  it.each([
    ['ChangePlan', (id: string) => m().changePlan(id, 'enterprise')],
    ['ChangeQuantity', (id: string) => m().changeQuantity(id, 12)],
  ] as const)(
    'rejects a customer %s the vendor refuses: PATCH Failure inside 10 s, nothing changes',
    async (_, change) => {
      const id = await subscribed()
      h.vendor.decide = () => ({ accept: false, reason: 'not allowed for this customer' })
      try {
        const operation = change(id)
        await eventually(
          () =>
            m()
              .getSubscription(id)
              .operations.find((o) => o.id === operation.id)?.status === 'Failed',
          { what: 'operation Failed' },
        )
        const patch = m().journal({ subscriptionId: id, kind: 'updateOperation' })
        expect(patch.map((p) => p.body)).toEqual([{ status: 'Failure' }])
        expect(patchDelay(id, operation.id)).toBeLessThan(10_000)
        const v = await until(id, (s) => s.step === 'subscribed.idle', 'settled')
        expect(v).toMatchObject({ planId: 'team', quantity: 10 })
        expect(h.vendor.callsTo('applyChange', id)).toHaveLength(0)
      } finally {
        h.vendor.decide = () => ({ accept: true })
      }
    },
  )

  it('suspends and reinstates', async () => {
    const id = await subscribed()
    m().suspend(id)
    await until(id, (s) => s.saasSubscriptionStatus === 'Suspended', 'Suspended')
    expect(h.vendor.callsTo('suspend', id)).toHaveLength(1)
    m().reinstate(id)
    await until(id, (s) => s.step === 'subscribed.idle', 'reinstated')
    expect(h.vendor.callsTo('reinstate', id)).toHaveLength(1)
  })

  it('cancels with DELETE a reinstatement the vendor refuses', async () => {
    const id = await subscribed()
    m().suspend(id)
    await until(id, (s) => s.saasSubscriptionStatus === 'Suspended', 'Suspended')
    h.vendor.reinstate = () => ({ accept: false, reason: 'account closed' })
    try {
      m().reinstate(id)
      await eventually(async () => (await view(id))?.saasSubscriptionStatus === 'Unsubscribed', {
        what: 'Unsubscribed',
      })
      expect(m().journal({ subscriptionId: id, kind: 'deleteSubscription' })).toHaveLength(1)
      expect(m().getSubscription(id).subscription.saasSubscriptionStatus).toBe('Unsubscribed')
    } finally {
      h.vendor.reinstate = () => ({ accept: true })
    }
  })

  it('ends a suspended subscription on Unsubscribe, revoking access and keeping the data', async () => {
    const id = await subscribed()
    m().suspend(id)
    await until(id, (s) => s.saasSubscriptionStatus === 'Suspended', 'Suspended')
    m().unsubscribe(id)
    const v = await until(id, (s) => s.saasSubscriptionStatus === 'Unsubscribed', 'Unsubscribed')
    expect(Date.parse(v.retainUntil!) - Date.parse(v.unsubscribedAt!)).toBe(
      h.config.lifecycle.dataRetentionDays * 86_400_000,
    )
    await eventually(() => h.vendor.callsTo('deprovision', id).length === 1, { what: 'deprovisioned' })
    // The workflow completes once deprovision's result is recorded, a moment after the hook was called.
    const handle = h.temporal.workflow.getHandle(`subscription-${id}`)
    await eventually(async () => (await handle.describe()).status.name !== 'RUNNING', { what: 'the workflow to end' })
    expect((await handle.describe()).status.name).toBe('COMPLETED')
  })

  it('takes the new term from a Renew and tells the vendor', async () => {
    const id = await subscribed()
    const before = (await view(id))!.term
    m().renew(id)
    const v = await until(id, (s) => s.term?.endDate !== before?.endDate, 'renewed term')
    expect(v.term).toEqual(expect.objectContaining({ endDate: m().getSubscription(id).subscription.term?.endDate }))
    expect(h.vendor.callsTo('notify', id).map((c) => (c.request as { event: string }).event)).toEqual(['Renew'])
  })

  it('records an action it does not know, and changes nothing', async () => {
    const id = await subscribed()
    const operation = m().transfer(id)
    const decisions = await eventually(
      async () => {
        const res = await h.api(`/api/subscriptions/${id}`)
        const body = (await res.json()) as {
          decisions: { event: string; operationId?: string; outcome: string }[]
        }
        return body.decisions.find((d) => d.operationId === operation.id)
      },
      { what: 'the Transfer recorded' },
    )
    expect(decisions).toMatchObject({ event: 'Transfer', outcome: 'ignored' })
    expect((await view(id))!.step).toBe('subscribed.idle')
  })
})

describe('vendor-initiated changes through the API', () => {
  it('changes the plan once Microsoft confirms it', async () => {
    const id = await subscribed()
    const res = await h.api(`/api/subscriptions/${id}/plan`, {
      method: 'POST',
      body: JSON.stringify({ planId: 'enterprise' }),
    })
    expect(res.status).toBe(200)
    const result = (await res.json()) as { outcome: string; operationId: string; subscription: SubscriptionView }
    expect(result).toMatchObject({ outcome: 'succeeded', subscription: { planId: 'enterprise' } })
    expect(m().getSubscription(id).subscription.planId).toBe('enterprise')
    expect(
      m()
        .journal({ subscriptionId: id, kind: 'updateSubscription' })
        .map((j) => j.body),
    ).toEqual([{ planId: 'enterprise' }])
    await eventually(() => h.vendor.callsTo('applyChange', id).length === 1, { what: 'the vendor applied it' })
  })

  it('changes the quantity once Microsoft confirms it', async () => {
    const id = await subscribed()
    const res = await h.api(`/api/subscriptions/${id}/quantity`, {
      method: 'POST',
      body: JSON.stringify({ quantity: 12 }),
    })
    expect(res.status).toBe(200)
    expect(m().getSubscription(id).subscription.quantity).toBe(12)
    await until(id, (s) => s.quantity === 12, 'quantity applied')
  })

  it('refuses a change Microsoft refuses, and one that is not possible now, changing nothing', async () => {
    const id = await subscribed()
    const unknownPlan = await h.api(`/api/subscriptions/${id}/plan`, {
      method: 'POST',
      body: JSON.stringify({ planId: 'no-such-plan' }),
    })
    expect(unknownPlan.status).toBe(409)
    const samePlan = await h.api(`/api/subscriptions/${id}/plan`, {
      method: 'POST',
      body: JSON.stringify({ planId: 'team' }),
    })
    expect(samePlan.status).toBe(409)
    expect(m().getSubscription(id).subscription.planId).toBe('team')
  })

  it('cancels a subscription when Microsoft confirms the DELETE', async () => {
    const id = await subscribed()
    const res = await h.api(`/api/subscriptions/${id}`, { method: 'DELETE' })
    expect(res.status).toBe(200)
    expect(m().getSubscription(id).subscription.saasSubscriptionStatus).toBe('Unsubscribed')
    await until(id, (s) => s.saasSubscriptionStatus === 'Unsubscribed', 'Unsubscribed')
    await eventually(() => h.vendor.callsTo('deprovision', id).length === 1, { what: 'deprovisioned' })
  })
})
