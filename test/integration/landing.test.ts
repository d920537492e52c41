/**
 * A purchase from the buyer's side: landing page → confirm → provisioning → activation → Subscribed,
 * over real HTTP, the real Temporal dev server and the project's marketplace emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually, startHarness, type Harness } from '../support/harness.ts'
import { confirmPurchase, progress } from '../support/landing.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h?.stop())

describe('landing page', () => {
  it('takes a purchase from the landing page to Subscribed, calling Activate once', async () => {
    const purchase = h.emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 5 })
    const id = purchase.subscription.id
    // The landing URL carries the token URL-encoded, with `+`, `/` and `=` in it.
    expect(purchase.landingUrl).toMatch(/token=[^&]*%2B/)

    const statusUrl = await confirmPurchase(purchase.landingUrl)
    const done = await eventually(
      async () => {
        const view = await progress(statusUrl)
        return view.step === 'subscribed.idle' && view
      },
      { what: 'Subscribed' },
    )

    expect(done).toMatchObject({ saasSubscriptionStatus: 'Subscribed', planId: 'team', quantity: 5 })
    expect(h.emulator.marketplace.getSubscription(id).subscription.saasSubscriptionStatus).toBe('Subscribed')
    expect(h.emulator.marketplace.journal({ subscriptionId: id, kind: 'activate' })).toHaveLength(1)
    expect(h.vendor.callsTo('provision', id)).toHaveLength(1)
    expect(h.vendor.callsTo('provision', id)[0]!.request).toMatchObject({ buyer: { email: 'buyer@fabrikam.example' } })
  })

  it('shows a returning buyer the subscription instead of starting over ("Manage account")', async () => {
    const purchase = h.emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'basic' })
    const statusUrl = await confirmPurchase(purchase.landingUrl)
    await eventually(async () => (await progress(statusUrl)).step === 'subscribed.idle', { what: 'Subscribed' })

    const again = h.emulator.marketplace.openLanding(purchase.subscription.id)
    const page = await fetch(again.landingUrl)
    expect(page.status).toBe(200)
    expect(await page.text()).not.toContain('name="token"')
    expect(h.vendor.callsTo('provision', purchase.subscription.id)).toHaveLength(1)
  })

  it('refuses an expired token with its own page and starts nothing', async () => {
    const purchase = h.emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'basic' })
    // Tokens issued later are valid against the moved clock, so the other tests are unaffected.
    h.emulator.marketplace.advanceClock(25 * 3_600_000)
    const page = await fetch(purchase.landingUrl)
    expect(page.status).toBe(400)
    expect(await page.text()).toContain('Configure account')
    const workflow = h.temporal.workflow.getHandle(`subscription-${purchase.subscription.id}`)
    await expect(workflow.describe()).rejects.toThrow(/not found/i)
  })

  it('tells the buyer when Microsoft is unavailable, and starts nothing', async () => {
    const purchase = h.emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'basic' })
    h.emulator.marketplace.setFaults({
      script: [1, 2, 3].map(() => ({
        target: 'api' as const,
        kind: '500' as const,
        operationId: 'FulfillmentOperations_Resolve' as const,
      })),
    })
    const page = await fetch(purchase.landingUrl)
    h.emulator.marketplace.setFaults({})
    expect(page.status).toBe(503)
    expect(page.headers.get('retry-after')).toBeTruthy()
    expect(h.emulator.marketplace.journal({ subscriptionId: purchase.subscription.id, kind: 'activate' })).toHaveLength(
      0,
    )
  })
})
