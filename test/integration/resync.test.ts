/**
 * An operator's resync: a change made at Microsoft that the service was never told of (no webhook) is
 * found when someone asks the subscription to read Microsoft now, and applied through the vendor hooks.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { SubscriptionView } from '../../machines/subscription/index.ts'
import { eventually, startHarness, type Harness } from '../support/harness.ts'
import { confirmPurchase } from '../support/landing.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h?.stop())

const view = async (id: string) => (await (await h.api(`/api/subscriptions/${id}`)).json()) as SubscriptionView

it('POST /api/subscriptions/{id}/resync converges on a suspension Microsoft never announced', async () => {
  const m = h.emulator.marketplace
  const purchase = m.purchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 5 })
  await confirmPurchase(purchase.landingUrl)
  const id = purchase.subscription.id
  await eventually(async () => (await view(id)).step === 'subscribed.idle')
  m.suspend(id, { webhook: false })

  const res = await h.api(`/api/subscriptions/${id}/resync`, { method: 'POST' })
  expect(res.status).toBe(202)
  await eventually(async () => (await view(id)).step === 'suspended.idle', { what: 'suspended after the resync' })
  expect(h.vendor.callsTo('suspend', id)).toHaveLength(1)
  expect(
    (await h.api('/api/subscriptions/00000000-0000-4000-8000-000000000000/resync', { method: 'POST' })).status,
  ).toBe(404)
})
