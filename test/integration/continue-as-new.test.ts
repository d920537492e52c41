/**
 * A long-lived subscription continues as new when Temporal suggests it (the suite's dev server suggests
 * it after a low number of events) and carries its state, its decisions and its memory of applied
 * operations into the new run.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Decision, SubscriptionView } from '../../machines/subscription/index.ts'
import { CONTINUE_AS_NEW_AFTER_EVENTS } from '../setup/temporal-server.ts'
import { eventually, startHarness, type Harness } from '../support/harness.ts'
import { confirmPurchase } from '../support/landing.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness({ signer: true })
})
afterAll(() => h?.stop())

it('continues as new with its state, decisions and operation memory intact', async () => {
  const m = h.emulator.marketplace
  const purchase = m.purchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 10 })
  const id = purchase.subscription.id
  await confirmPurchase(purchase.landingUrl)
  const handle = h.temporal.workflow.getHandle(`subscription-${id}`)
  await eventually(async () => (await handle.query<SubscriptionView>('state'))?.step === 'subscribed.idle', {
    what: 'Subscribed',
  })
  const firstRun = (await handle.describe()).runId

  m.changeQuantity(id, 20)
  await eventually(async () => (await handle.query<SubscriptionView>('state'))?.quantity === 20, {
    what: 'quantity 20',
  })
  const renewals: string[] = []
  while ((await handle.describe()).runId === firstRun) {
    expect(renewals.length, `still the first run after ${renewals.length} renewals`).toBeLessThan(
      CONTINUE_AS_NEW_AFTER_EVENTS,
    )
    const renewal = m.renew(id)
    renewals.push(renewal.id)
    await eventually(
      async () => (await handle.query<Decision[]>('decisions')).some((d) => d.operationId === renewal.id),
      { what: `renewal ${renewals.length}` },
    )
  }

  const view = await handle.query<SubscriptionView>('state')
  expect(view).toMatchObject({
    step: 'subscribed.idle',
    planId: 'team',
    quantity: 20,
    saasSubscriptionStatus: 'Subscribed',
  })
  expect(view.term?.endDate).toBe(m.getSubscription(id).subscription.term?.endDate)
  const decisions = await handle.query<Decision[]>('decisions')
  expect(decisions.map((d) => d.event)).toEqual(expect.arrayContaining(['start', 'buyer.confirmed', 'ChangeQuantity']))

  // An operation applied in the first run, delivered again now, changes nothing.
  const notified = h.vendor.callsTo('notify', id).length
  const first = m.webhooks({ subscriptionId: id }).find((w) => w.operationId === renewals[0])!
  const res = await h.deliver(first.payload)
  expect(res.status).toBe(200)
  const redelivered = await eventually(
    async () =>
      (await handle.query<Decision[]>('decisions')).filter((d) => d.operationId === renewals[0]).at(-1)?.outcome ===
      'ignored',
    { what: 'the redelivered Renew recorded' },
  )
  expect(redelivered).toBe(true)
  expect(h.vendor.callsTo('notify', id)).toHaveLength(notified)
})
