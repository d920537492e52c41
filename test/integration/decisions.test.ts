/**
 * Microsoft's 10-second window for a customer's change: a vendor that answers late is overruled (the change
 * is accepted by default), and a PATCH Microsoft throttles or fails is retried until it lands, still inside
 * the window. Provisioning the vendor finishes later (HTTP 202 style) is reported through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SubscriptionView } from '../../machines/subscription/index.ts'
import { eventually, startHarness, type Harness } from '../support/harness.ts'
import { confirmPurchase, progress } from '../support/landing.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness({ env: { CHANGE_DECISION_MS: '1000' } })
})
afterAll(() => h?.stop())

const m = () => h.emulator.marketplace

async function subscribed(): Promise<string> {
  const purchase = m().purchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 10 })
  const statusUrl = await confirmPurchase(purchase.landingUrl)
  await eventually(async () => (await progress(statusUrl)).step === 'subscribed.idle', { what: 'Subscribed' })
  return purchase.subscription.id
}

function patchOf(id: string, operationId: string) {
  const patches = m()
    .journal({ subscriptionId: id, kind: 'updateOperation' })
    .filter((j) => j.operationId === operationId)
  const delivery = m()
    .webhooks({ subscriptionId: id })
    .find((w) => w.operationId === operationId)!
  const landed = patches.find((p) => p.status === 200)
  return {
    attempts: patches.map((p) => p.status),
    landed,
    afterMs: landed && Date.parse(landed.time) - Date.parse(delivery.attempts[0]!.at),
  }
}

describe('the 10-second window', () => {
  it('accepts by default when the vendor decides too late', async () => {
    const id = await subscribed()
    h.vendor.decide = () => new Promise((resolve) => setTimeout(() => resolve({ accept: false }), 3_000))
    try {
      const operation = m().changeQuantity(id, 20)
      await eventually(() => patchOf(id, operation.id).landed, { what: 'the PATCH' })
      const patch = patchOf(id, operation.id)
      expect(patch.landed!.body).toEqual({ status: 'Success' })
      expect(patch.afterMs).toBeLessThan(10_000)
      const decisions = (await (await h.api(`/api/subscriptions/${id}`)).json()) as {
        decisions: { event: string; reason?: string }[]
      }
      expect(decisions.decisions.find((d) => d.event === 'change.decided')?.reason).toMatch(/accepted by default/)
    } finally {
      h.vendor.decide = () => ({ accept: true })
    }
  })

  it('retries a PATCH Microsoft throttles (Retry-After) or fails, landing inside the window', async () => {
    const id = await subscribed()
    m().setFaults({
      script: [
        {
          target: 'api',
          kind: '429',
          retryAfterSeconds: 1,
          operationId: 'SubscriptionOperations_UpdateOperationStatus',
        },
        { target: 'api', kind: '500', operationId: 'SubscriptionOperations_UpdateOperationStatus' },
      ],
    })
    const operation = m().changePlan(id, 'enterprise')
    await eventually(() => patchOf(id, operation.id).landed, { what: 'the PATCH' })
    const patch = patchOf(id, operation.id)
    expect(patch.attempts).toEqual([429, 500, 200])
    expect(patch.afterMs).toBeLessThan(10_000)
    await eventually(
      async () =>
        ((await (await h.api(`/api/subscriptions/${id}`)).json()) as SubscriptionView).planId === 'enterprise',
      {
        what: 'the new plan applied',
      },
    )
    m().setFaults({})
  })
})

describe('provisioning the vendor finishes later', () => {
  it('waits for the vendor’s report through the API, then activates', async () => {
    h.vendor.provisionPending = true
    try {
      const purchase = m().purchase({ offerId: 'contoso-analytics', planId: 'basic' })
      const id = purchase.subscription.id
      const statusUrl = await confirmPurchase(purchase.landingUrl)
      await eventually(() => h.vendor.callsTo('provision', id).length === 1, { what: 'provisioning asked' })
      await new Promise((r) => setTimeout(r, 500))
      expect((await progress(statusUrl)).step).toBe('provisioning')
      expect(m().journal({ subscriptionId: id, kind: 'activate' })).toHaveLength(0)

      const report = await h.api(`/api/subscriptions/${id}/provisioning`, {
        method: 'POST',
        body: JSON.stringify({ status: 'succeeded' }),
      })
      expect(report.status).toBe(202)
      await eventually(async () => (await progress(statusUrl)).step === 'subscribed.idle', { what: 'Subscribed' })
      expect(m().journal({ subscriptionId: id, kind: 'activate' })).toHaveLength(1)
    } finally {
      h.vendor.provisionPending = false
    }
  })

  it('shows a reported failure, and an operator’s retry finishes the purchase', async () => {
    h.vendor.provisionPending = true
    const purchase = m().purchase({ offerId: 'contoso-analytics', planId: 'basic' })
    const id = purchase.subscription.id
    const statusUrl = await confirmPurchase(purchase.landingUrl)
    await eventually(() => h.vendor.callsTo('provision', id).length === 1, { what: 'provisioning asked' })
    await h.api(`/api/subscriptions/${id}/provisioning`, {
      method: 'POST',
      body: JSON.stringify({ status: 'failed', message: 'tenant quota' }),
    })
    const failed = await eventually(
      async () => {
        const v = await progress(statusUrl)
        return v.step === 'provisioningFailed' && v
      },
      { what: 'provisioningFailed' },
    )
    expect(failed.failure).toMatchObject({ step: 'provision', message: 'tenant quota' })

    h.vendor.provisionPending = false
    expect((await h.api(`/api/subscriptions/${id}/retry`, { method: 'POST' })).status).toBe(202)
    await eventually(async () => (await progress(statusUrl)).step === 'subscribed.idle', {
      what: 'Subscribed after the retry',
    })
    expect(h.vendor.callsTo('provision', id)).toHaveLength(2)
    expect(m().journal({ subscriptionId: id, kind: 'activate' })).toHaveLength(1)
  })
})
