/** The driver API over HTTP: purchases, customer actions, catalogue, journal, settings, clock, reset, validation. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { EmulatorHandle } from '../../emulator/index.ts'
import { buyAndActivate, callApi, callDriver, startReceiver, startTestEmulator, waitFor } from './helpers.ts'

let emulator: EmulatorHandle

beforeAll(async () => {
  emulator = await startTestEmulator({ landingPageUrl: 'http://127.0.0.1:3000/landing?source=marketplace' })
})
beforeEach(() => emulator.marketplace.reset())
afterAll(() => emulator.stop())

describe('purchases', () => {
  it('buys with every option and returns the landing URL', async () => {
    const beneficiary = {
      emailId: 'ada@fabrikam.example',
      objectId: '11111111-1111-4111-8111-111111111111',
      tenantId: '22222222-2222-4222-8222-222222222222',
    }
    const { status, json } = await callDriver(emulator, 'POST', '/purchases', {
      offerId: 'contoso-analytics',
      planId: 'trial',
      name: 'Fabrikam analytics',
      beneficiary,
      isTest: true,
      csp: true,
    })
    expect(status).toBe(201)
    const purchase = json as {
      subscription: Record<string, unknown>
      token: string
      landingUrl: string
      expiresAt: string
    }
    expect(purchase.subscription).toMatchObject({
      name: 'Fabrikam analytics',
      saasSubscriptionStatus: 'PendingFulfillmentStart',
      beneficiary,
      isTest: true,
      isFreeTrial: true,
      allowedCustomerOperations: ['Read'],
    })
    expect(purchase.landingUrl).toBe(
      `http://127.0.0.1:3000/landing?source=marketplace&token=${encodeURIComponent(purchase.token)}`,
    )
    expect(Date.parse(purchase.expiresAt) - Date.now()).toBeGreaterThan(23 * 3_600_000)
  })

  it('refuses bad purchases with a clear 400 and buys nothing', async () => {
    const refuse = async (body: object, message: RegExp) => {
      const { status, json } = await callDriver(emulator, 'POST', '/purchases', body)
      expect(status).toBe(400)
      expect((json as { error: { message: string } }).error.message).toMatch(message)
    }
    await refuse({ offerId: 'contoso-analytics' }, /planId/)
    await refuse({ offerId: 'contoso-analytics', planId: 'nope' }, /not for sale/)
    await refuse({ offerId: 'contoso-analytics', planId: 'team', quantity: 51 }, /between 1 and 50/)
    await refuse({ offerId: 'contoso-analytics', planId: 'basic', quantity: 2 }, /no seats/)
    await refuse({ offerId: 'contoso-analytics', planId: 'basic', isFreeTrial: true }, /no free trial/)
    await refuse({ offerId: 'contoso-analytics', planId: 'basic', termUnit: 'P3Y' }, /no P3Y term/)
    await refuse({ offerId: 'contoso-analytics', planId: 'basic', colour: 'red' }, /colour/)
    expect(emulator.marketplace.listSubscriptions()).toEqual([])
    const notJson = await fetch(`${emulator.driverUrl}/purchases`, { method: 'POST', body: '{' })
    expect(notJson.status).toBe(400)
  })
})

describe('customer actions', () => {
  it('fires each action and answers with its operation', async () => {
    const id = await buyAndActivate(emulator, 'team', 2)
    const act = async (action: string, body?: object) => {
      const { status, json } = await callDriver(emulator, 'POST', `/subscriptions/${id}/${action}`, body)
      expect(status, JSON.stringify(json)).toBe(200)
      return (json as { operation: { action: string; status: string; id: string } }).operation
    }
    const change = await act('change-quantity', { quantity: 4 })
    expect(change).toMatchObject({ action: 'ChangeQuantity', status: 'InProgress' })
    expect((await callDriver(emulator, 'POST', `/subscriptions/${id}/change-plan`, { planId: 'basic' })).status).toBe(
      409,
    )
    await callApi(emulator, 'PATCH', `/saas/subscriptions/${id}/operations/${change.id}`, {
      body: { status: 'Success' },
    })
    // From here on, customer changes are accepted at once.
    emulator.marketplace.configure({ autoAcceptMs: 0 })
    expect(await act('change-plan', { planId: 'basic' })).toMatchObject({ action: 'ChangePlan' })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(await act('renew')).toMatchObject({ action: 'Renew', status: 'Succeeded' })
    expect(await act('suspend')).toMatchObject({ action: 'Suspend', status: 'Succeeded' })
    // Notify-only, as Microsoft sends it today (`reinstateAwaitsAnswer` gives the older InProgress one).
    expect(await act('reinstate')).toMatchObject({ action: 'Reinstate', status: 'Succeeded' })
    expect(await act('unsubscribe')).toMatchObject({ action: 'Unsubscribe', status: 'Succeeded' })
    const { json } = await callDriver(emulator, 'GET', `/subscriptions/${id}`)
    expect(json).toMatchObject({ subscription: { planId: 'basic', saasSubscriptionStatus: 'Unsubscribed' } })
    expect((await callDriver(emulator, 'POST', `/subscriptions/${id}/landing`)).status).toBe(400)
    expect((await callDriver(emulator, 'POST', `/subscriptions/${id}/change-quantity`, { quantity: '5' })).status).toBe(
      400,
    )
    expect((await callDriver(emulator, 'POST', '/subscriptions/unknown/suspend')).status).toBe(404)
    emulator.marketplace.configure({ autoAcceptMs: 200 })
  })
})

describe('changes the publisher is never told of', () => {
  it("with `webhook: false` an action changes Microsoft's side and no webhook goes out, not even a dropped one", async () => {
    const receiver = await startReceiver()
    emulator.marketplace.configure({ webhookUrl: receiver.url, autoAcceptMs: 0 })
    try {
      const silently = async (path: string, body: object = {}) => {
        const { status, json } = await callDriver(emulator, 'POST', path, { ...body, webhook: false })
        expect(status, JSON.stringify(json)).toBeLessThan(300)
        return json as { operation?: { id: string; status: string }; subscription?: { id: string } }
      }
      const bought = await silently('/purchases', { offerId: 'contoso-analytics', planId: 'instant' })
      const instant = bought.subscription!.id
      const id = await buyAndActivate(emulator, 'team', 2)
      await emulator.marketplace.webhooksSettled()
      const before = receiver.received.length

      await silently(`/subscriptions/${id}/change-quantity`, { quantity: 3 })
      await waitFor(() => emulator.marketplace.getSubscription(id).subscription.quantity === 3)
      await silently(`/subscriptions/${id}/change-plan`, { planId: 'basic' })
      await waitFor(() => emulator.marketplace.getSubscription(id).subscription.planId === 'basic')
      await silently(`/subscriptions/${id}/renew`)
      await silently(`/subscriptions/${id}/suspend`)
      expect(emulator.marketplace.getSubscription(id).subscription.saasSubscriptionStatus).toBe('Suspended')
      await silently(`/subscriptions/${id}/reinstate`)
      await waitFor(() => emulator.marketplace.getSubscription(id).subscription.saasSubscriptionStatus === 'Subscribed')
      await silently(`/subscriptions/${instant}/unsubscribe`)

      expect(emulator.marketplace.getSubscription(instant).subscription.saasSubscriptionStatus).toBe('Unsubscribed')
      expect(emulator.marketplace.getSubscription(instant).operations.map((o) => o.action)).toEqual([
        'Subscribe',
        'Unsubscribe',
      ])
      await emulator.marketplace.webhooksSettled()
      expect(receiver.received.slice(before)).toEqual([])
      expect(emulator.marketplace.webhooks({ subscriptionId: instant })).toEqual([])

      // Without the option the same action is announced as always.
      await callDriver(emulator, 'POST', `/subscriptions/${id}/renew`, { webhook: true })
      await waitFor(() => receiver.received.length > before)
      expect(receiver.received.slice(before).map((w) => w.body.action)).toEqual(['Renew'])
    } finally {
      emulator.marketplace.configure({ webhookUrl: null, autoAcceptMs: 200 })
      await receiver.close()
    }
  })

  it('refuses an option it does not know, and changes nothing', async () => {
    const id = await buyAndActivate(emulator)
    const { status, json } = await callDriver(emulator, 'POST', `/subscriptions/${id}/suspend`, { webhook: 'no' })
    expect(status).toBe(400)
    expect(JSON.stringify(json)).toMatch(/webhook/)
    expect(emulator.marketplace.getSubscription(id).subscription.saasSubscriptionStatus).toBe('Subscribed')
  })
})

describe('catalogue', () => {
  const offer = {
    displayName: 'Northwind',
    plans: [{ planId: 'seats', displayName: 'Seats', isPricePerSeat: true, minQuantity: 5, maxQuantity: 10 }],
  }

  it('adds, reads, replaces and deletes offers', async () => {
    expect((await callDriver(emulator, 'PUT', '/offers/northwind', offer)).status).toBe(200)
    expect((await callDriver(emulator, 'GET', '/offers/northwind')).json).toMatchObject({
      offerId: 'northwind',
      plans: [{ planId: 'seats', minQuantity: 5 }],
    })
    const { subscription } = emulator.marketplace.purchase({ offerId: 'northwind', planId: 'seats' })
    expect(subscription.quantity).toBe(5)
    const plans = await callApi(emulator, 'GET', `/saas/subscriptions/${subscription.id}/listAvailablePlans`)
    expect(plans.json).toMatchObject({
      plans: [{ planId: 'seats', isPricePerSeat: true, minQuantity: 5, maxQuantity: 10 }],
    })
    // A plan in use cannot go away.
    expect(
      (
        await callDriver(emulator, 'PUT', '/offers/northwind', {
          ...offer,
          plans: [{ planId: 'flat', displayName: 'Flat' }],
        })
      ).status,
    ).toBe(409)
    expect((await callDriver(emulator, 'DELETE', '/offers/northwind')).status).toBe(409)
    emulator.marketplace.reset()
    expect((await callDriver(emulator, 'GET', '/offers/northwind')).status).toBe(404)
  })

  it('validates offers as Partner Center does', async () => {
    const refuse = async (plans: object[]) =>
      expect((await callDriver(emulator, 'PUT', '/offers/northwind', { ...offer, plans })).status).toBe(400)
    await refuse([{ planId: 'Bad Id', displayName: 'x' }])
    await refuse([{ planId: 'a', displayName: 'x', minQuantity: 2 }])
    await refuse([{ planId: 'a', displayName: 'x', isPricePerSeat: true, minQuantity: 5, maxQuantity: 2 }])
    await refuse([
      {
        planId: 'a',
        displayName: 'x',
        hasFreeTrials: true,
        meteringDimensions: [{ id: 'd', displayName: 'd', unitOfMeasure: 'u', pricePerUnit: 1 }],
      },
    ])
    await refuse([
      { planId: 'a', displayName: 'x' },
      { planId: 'a', displayName: 'y' },
    ])
    expect((await callDriver(emulator, 'PUT', '/offers/northwind', { ...offer, offerId: 'other' })).status).toBe(400)
  })
})

describe('journal, settings, clock', () => {
  it('records what the publisher did, filtered by subscription and kind', async () => {
    const id = await buyAndActivate(emulator, 'team', 2)
    await callApi(emulator, 'PATCH', `/saas/subscriptions/${id}`, { body: { quantity: 3 } })
    const { json } = await callDriver(emulator, 'GET', `/journal?subscriptionId=${id}`)
    const entries = (json as { entries: { kind: string; status: number; body?: unknown; operationId?: string }[] })
      .entries
    expect(entries.map((e) => [e.kind, e.status])).toEqual([
      ['resolve', 200],
      ['activate', 200],
      ['updateSubscription', 202],
    ])
    expect(entries[2]).toMatchObject({ body: { quantity: 3 }, operationId: expect.any(String) as string })
    const patches = (await callDriver(emulator, 'GET', '/journal?kind=FulfillmentOperations_UpdateSubscription')).json
    expect((patches as { entries: unknown[] }).entries).toHaveLength(1)
  })

  it('changes settings and keeps what is not sent', async () => {
    const before = emulator.marketplace.getConfig()
    const { status, json } = await callDriver(emulator, 'PUT', '/config', {
      autoAcceptMs: 1234,
      webhookRetry: { attempts: 7 },
    })
    expect(status).toBe(200)
    expect(json).toMatchObject({ autoAcceptMs: 1234, webhookRetry: { ...before.webhookRetry, attempts: 7 } })
    expect((await callDriver(emulator, 'PUT', '/config', { autoAcceptMs: -1 })).status).toBe(400)
    expect((await callDriver(emulator, 'PUT', '/config', { webhookUrl: 'not a url' })).status).toBe(400)
    expect((await callDriver(emulator, 'GET', '/config')).json).toMatchObject({ autoAcceptMs: 1234 })
    emulator.marketplace.configure({ autoAcceptMs: before.autoAcceptMs, webhookRetry: before.webhookRetry })
  })

  it('moves the clock forward, and reset moves it back', async () => {
    const { json } = await callDriver(emulator, 'POST', '/clock', { advanceMs: 3_600_000 })
    expect(json).toMatchObject({ offsetMs: 3_600_000 })
    expect((await callDriver(emulator, 'POST', '/clock', { advanceMs: -1 })).status).toBe(400)
    expect((await callDriver(emulator, 'POST', '/reset')).status).toBe(204)
    expect(emulator.marketplace.advanceClock(0).offsetMs).toBe(0)
  })
})

it('serves a storefront whose Buy button lands on the publisher landing page', async () => {
  const home = await fetch(emulator.url)
  expect(await home.text()).toContain('Contoso Analytics')
  const bought = await fetch(`${emulator.url}/buy`, {
    method: 'POST',
    body: new URLSearchParams({ offerId: 'contoso-analytics', planId: 'team', quantity: '3' }),
    redirect: 'manual',
  })
  expect(bought.status).toBe(303)
  expect(bought.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:3000\/landing\?source=marketplace&token=/)
  expect(emulator.marketplace.listSubscriptions()).toMatchObject([{ planId: 'team', quantity: 3 }])
})
