/**
 * The subscription life cycle through HTTP, as the contract describes it: landing tokens, activation,
 * publisher and customer changes, the 10-second answer window (shortened), suspension, reinstatement,
 * renewal and cancellation, each with the webhook Microsoft sends.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { EmulatorHandle, Subscription } from '../../emulator/index.ts'
import { buyAndActivate, callApi, startReceiver, startTestEmulator, waitFor } from './helpers.ts'

let emulator: EmulatorHandle
let receiver: Awaited<ReturnType<typeof startReceiver>>

beforeAll(async () => {
  receiver = await startReceiver()
  emulator = await startTestEmulator({ webhookUrl: receiver.url, landingPageUrl: 'https://publisher.example/landing' })
})
beforeEach(() => {
  emulator.marketplace.configure({ autoAcceptMs: 200, operationDelayMs: 20 })
  emulator.marketplace.reset()
  receiver.received.length = 0
})
afterAll(async () => {
  await emulator.stop()
  await receiver.close()
})

const subscriptionUrl = (id: string) => `/saas/subscriptions/${id}`
const getSubscription = async (id: string) => (await callApi(emulator, 'GET', subscriptionUrl(id))).json as Subscription
const webhooksFor = (id: string, action: string) =>
  receiver.received.filter((w) => w.body.subscriptionId === id && w.body.action === action)
const operationStatus = async (location: string) =>
  ((await callApi(emulator, 'GET', new URL(location).pathname.slice('/api'.length))).json as { status: string }).status

describe('landing page token', () => {
  it('is URL-encoded in the landing URL and resolves once decoded once', async () => {
    const purchase = emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'basic' })
    expect(purchase.token).toMatch(/\+/)
    expect(purchase.token).toMatch(/\//)
    expect(purchase.token).toMatch(/=$/)
    const landing = new URL(purchase.landingUrl)
    expect(`${landing.origin}${landing.pathname}`).toBe('https://publisher.example/landing')
    expect(landing.search).toBe(`?token=${encodeURIComponent(purchase.token)}`)

    const token = landing.searchParams.get('token')!
    const resolved = await callApi(emulator, 'POST', '/saas/subscriptions/resolve', {
      headers: { 'x-ms-marketplace-token': token },
    })
    expect(resolved.status).toBe(200)
    expect(resolved.json).toMatchObject({ id: purchase.subscription.id, planId: 'basic', offerId: 'contoso-analytics' })

    // A landing page that turns `+` into a space (form decoding) cannot resolve it.
    const mangled = await callApi(emulator, 'POST', '/saas/subscriptions/resolve', {
      headers: { 'x-ms-marketplace-token': token.replaceAll('+', ' ') },
    })
    expect(mangled.status).toBe(400)
  })

  it('expires after purchaseTokenTtlMs of emulator time; "Manage account" gives a fresh one', async () => {
    const { subscription, token } = emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'basic' })
    emulator.marketplace.advanceClock(24 * 3_600_000 + 1)
    const resolve = (t: string) =>
      callApi(emulator, 'POST', '/saas/subscriptions/resolve', { headers: { 'x-ms-marketplace-token': t } })
    const expired = await resolve(token)
    expect(expired.status).toBe(400)
    expect(expired.json).toMatchObject({ error: { message: expect.stringMatching(/expired/) as string } })
    expect((await resolve(emulator.marketplace.openLanding(subscription.id).token)).status).toBe(200)
  })

  it('resolves in every status, and is required', async () => {
    const { subscription, token } = emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'basic' })
    emulator.marketplace.unsubscribe(subscription.id)
    const resolved = await callApi(emulator, 'POST', '/saas/subscriptions/resolve', {
      headers: { 'x-ms-marketplace-token': token },
    })
    expect(resolved.json).toMatchObject({ subscription: { saasSubscriptionStatus: 'Unsubscribed' } })
    expect((await callApi(emulator, 'POST', '/saas/subscriptions/resolve')).status).toBe(400)
  })
})

describe('activation', () => {
  it('makes the subscription Subscribed with its first term', async () => {
    const id = await buyAndActivate(emulator, 'basic')
    const subscription = await getSubscription(id)
    expect(subscription.saasSubscriptionStatus).toBe('Subscribed')
    const { startDate, endDate } = subscription.term
    expect(Date.parse(endDate!) - Date.parse(startDate!)).toBeGreaterThanOrEqual(27 * 86_400_000)
    expect(emulator.marketplace.journal({ subscriptionId: id, kind: 'activate' })).toMatchObject([
      { status: 200, body: { planId: 'basic' } },
    ])
  })

  it('refuses a mismatched plan or quantity, and a cancelled subscription', async () => {
    const { subscription } = emulator.marketplace.purchase({
      offerId: 'contoso-analytics',
      planId: 'team',
      quantity: 4,
    })
    const activate = (body: object) =>
      callApi(emulator, 'POST', `${subscriptionUrl(subscription.id)}/activate`, { body })
    expect((await activate({ planId: 'basic' })).status).toBe(400)
    expect((await activate({ planId: 'team', quantity: 5 })).status).toBe(400)
    emulator.marketplace.unsubscribe(subscription.id)
    expect((await activate({ planId: 'team', quantity: 4 })).status).toBe(404)
  })
})

describe('publisher-initiated changes', () => {
  it('answer 202, complete after operationDelayMs, then send the webhook', async () => {
    const id = await buyAndActivate(emulator, 'team', 2)
    const answer = await callApi(emulator, 'PATCH', subscriptionUrl(id), { body: { quantity: 5 } })
    expect(answer.status).toBe(202)
    const location = answer.headers.get('operation-location')!
    expect(location).toMatch(
      new RegExp(`/api/saas/subscriptions/${id}/operations/[0-9a-f-]+\\?api-version=2018-08-31$`),
    )
    expect(['NotStarted', 'InProgress']).toContain(await operationStatus(location))

    const [webhook] = await waitFor(
      () => webhooksFor(id, 'ChangeQuantity').length > 0 && webhooksFor(id, 'ChangeQuantity'),
    )
    expect(webhook!.body).toMatchObject({ status: 'Succeeded', operationRequestSource: 'Partner', quantity: 5 })
    expect(await operationStatus(location)).toBe('Succeeded')
    expect((await getSubscription(id)).quantity).toBe(5)
  })

  it('answer 409 while another operation is pending', async () => {
    emulator.marketplace.configure({ operationDelayMs: 5_000 })
    const id = await buyAndActivate(emulator, 'team', 2)
    expect((await callApi(emulator, 'PATCH', subscriptionUrl(id), { body: { quantity: 3 } })).status).toBe(202)
    expect((await callApi(emulator, 'PATCH', subscriptionUrl(id), { body: { planId: 'basic' } })).status).toBe(409)
    expect((await callApi(emulator, 'DELETE', subscriptionUrl(id))).status).toBe(409)
    expect(() => emulator.marketplace.changeQuantity(id, 4)).toThrow(/in progress/)
  })

  it('refuse what the contract refuses', async () => {
    const id = await buyAndActivate(emulator, 'team', 2)
    const patch = (body: object) => callApi(emulator, 'PATCH', subscriptionUrl(id), { body })
    expect((await patch({})).status).toBe(400)
    expect((await patch({ planId: 'team' })).status).toBe(400)
    expect((await patch({ planId: 'nope' })).status).toBe(400)
    expect((await patch({ quantity: 2 })).status).toBe(400)
    expect((await patch({ quantity: 51 })).status).toBe(400)
    emulator.marketplace.suspend(id)
    expect((await patch({ quantity: 3 })).status).toBe(400)

    const { subscription } = emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'team', csp: true })
    expect(subscription.allowedCustomerOperations).toEqual(['Read'])
    expect(subscription.purchaser.tenantId).not.toBe(subscription.beneficiary.tenantId)
    expect((await callApi(emulator, 'PATCH', subscriptionUrl(subscription.id), { body: { quantity: 3 } })).status).toBe(
      400,
    )
  })

  it('DELETE cancels: Unsubscribed, then the Unsubscribe webhook', async () => {
    const id = await buyAndActivate(emulator, 'basic')
    expect((await callApi(emulator, 'DELETE', subscriptionUrl(id))).status).toBe(202)
    const [webhook] = await waitFor(() => webhooksFor(id, 'Unsubscribe').length > 0 && webhooksFor(id, 'Unsubscribe'))
    expect(webhook!.body).toMatchObject({ status: 'Succeeded', operationRequestSource: 'Partner' })
    expect(webhook!.body.subscription).toMatchObject({ saasSubscriptionStatus: 'Unsubscribed' })
  })
})

describe('customer ChangePlan / ChangeQuantity', () => {
  it('sends an InProgress webhook with the new values while the subscription shows the old ones', async () => {
    const id = await buyAndActivate(emulator, 'team', 2)
    const operation = emulator.marketplace.changePlan(id, 'basic')
    const [webhook] = await waitFor(() => webhooksFor(id, 'ChangePlan').length > 0 && webhooksFor(id, 'ChangePlan'))
    expect(webhook!.body).toMatchObject({
      id: operation.id,
      activityId: expect.any(String) as string,
      publisherId: 'contoso',
      offerId: 'contoso-analytics',
      planId: 'basic',
      subscriptionId: id,
      timeStamp: expect.any(String) as string,
      action: 'ChangePlan',
      status: 'InProgress',
      operationRequestSource: 'Azure',
      subscription: { id, planId: 'team', quantity: 2 },
      purchaseToken: null,
    })
    const listed = await callApi(emulator, 'GET', `${subscriptionUrl(id)}/operations`)
    expect(listed.json).toMatchObject({ operations: [{ id: operation.id, status: 'InProgress' }] })
  })

  it('applies the change on PATCH Success', async () => {
    const id = await buyAndActivate(emulator, 'team', 2)
    const operation = emulator.marketplace.changeQuantity(id, 8)
    const url = `${subscriptionUrl(id)}/operations/${operation.id}`
    expect((await callApi(emulator, 'PATCH', url, { body: { status: 'Success', quantity: 8 } })).status).toBe(200)
    expect((await callApi(emulator, 'GET', url)).json).toMatchObject({ status: 'Succeeded' })
    expect((await getSubscription(id)).quantity).toBe(8)
    expect((await callApi(emulator, 'PATCH', url, { body: { status: 'Failure' } })).status).toBe(409)
  })

  it('keeps the subscription as it was on PATCH Failure', async () => {
    const id = await buyAndActivate(emulator, 'team', 2)
    const operation = emulator.marketplace.changePlan(id, 'basic')
    const url = `${subscriptionUrl(id)}/operations/${operation.id}`
    expect((await callApi(emulator, 'PATCH', url, { body: { status: 'Failure' } })).status).toBe(200)
    expect((await callApi(emulator, 'GET', url)).json).toMatchObject({ status: 'Failed' })
    expect((await getSubscription(id)).planId).toBe('team')
  })

  it('is accepted automatically after autoAcceptMs without an answer', async () => {
    emulator.marketplace.configure({ autoAcceptMs: 50 })
    const id = await buyAndActivate(emulator, 'team', 2)
    const operation = emulator.marketplace.changeQuantity(id, 6)
    await waitFor(async () => (await getSubscription(id)).quantity === 6)
    expect(emulator.marketplace.getSubscription(id).operations).toContainEqual(
      expect.objectContaining({ id: operation.id, status: 'Succeeded' }),
    )
    expect((await callApi(emulator, 'GET', `${subscriptionUrl(id)}/operations`)).text).toBe('')
  })

  it('is rejected by a 4xx answer to its webhook', async () => {
    const rejecting = await startReceiver(() => 400)
    emulator.marketplace.configure({ webhookUrl: rejecting.url, autoAcceptMs: 5_000 })
    const id = await buyAndActivate(emulator, 'team', 2)
    const operation = emulator.marketplace.changeQuantity(id, 6)
    await waitFor(() =>
      emulator.marketplace.getSubscription(id).operations.find((o) => o.id === operation.id && o.status === 'Failed'),
    )
    expect(rejecting.received).toHaveLength(1)
    expect(emulator.marketplace.webhooks({ subscriptionId: id })).toMatchObject([{ state: 'rejected' }])
    emulator.marketplace.configure({ webhookUrl: receiver.url })
    await rejecting.close()
  })

  it('ends a free trial when moving to a plan without one', async () => {
    const id = await buyAndActivate(emulator, 'trial')
    expect((await getSubscription(id)).isFreeTrial).toBe(true)
    emulator.marketplace.changePlan(id, 'basic')
    await waitFor(async () => (await getSubscription(id)).planId === 'basic')
    expect((await getSubscription(id)).isFreeTrial).toBe(false)
  })
})

describe('suspend, reinstate, renew, unsubscribe', () => {
  it('suspends, then reinstates at once with a Succeeded webhook, as Microsoft does today', async () => {
    const id = await buyAndActivate(emulator, 'basic')
    emulator.marketplace.suspend(id)
    const reinstate = emulator.marketplace.reinstate(id)
    expect(reinstate).toMatchObject({ action: 'Reinstate', status: 'Succeeded' })
    expect((await getSubscription(id)).saasSubscriptionStatus).toBe('Subscribed')
    const [webhook] = await waitFor(() => webhooksFor(id, 'Reinstate').length > 0 && webhooksFor(id, 'Reinstate'))
    expect(webhook!.body).toMatchObject({ status: 'Succeeded', subscription: { saasSubscriptionStatus: 'Subscribed' } })
  })

  it('suspends, then reinstates with an InProgress webhook and completes on its own (older docs)', async () => {
    emulator.marketplace.configure({ reinstateAwaitsAnswer: true })
    const id = await buyAndActivate(emulator, 'basic')
    emulator.marketplace.suspend(id)
    expect((await getSubscription(id)).saasSubscriptionStatus).toBe('Suspended')
    const [suspended] = await waitFor(() => webhooksFor(id, 'Suspend').length > 0 && webhooksFor(id, 'Suspend'))
    expect(suspended!.body).toMatchObject({
      status: 'Succeeded',
      subscription: { saasSubscriptionStatus: 'Suspended' },
    })

    emulator.marketplace.reinstate(id)
    const [reinstate] = await waitFor(() => webhooksFor(id, 'Reinstate').length > 0 && webhooksFor(id, 'Reinstate'))
    expect(reinstate!.body).toMatchObject({
      status: 'InProgress',
      subscription: { saasSubscriptionStatus: 'Suspended' },
    })
    await waitFor(async () => (await getSubscription(id)).saasSubscriptionStatus === 'Subscribed')
  })

  it('lets a publisher refuse a reinstatement with DELETE (older docs)', async () => {
    emulator.marketplace.configure({ autoAcceptMs: 5_000, reinstateAwaitsAnswer: true })
    const id = await buyAndActivate(emulator, 'basic')
    emulator.marketplace.suspend(id)
    const reinstate = emulator.marketplace.reinstate(id)
    expect((await callApi(emulator, 'DELETE', subscriptionUrl(id))).status).toBe(202)
    const reinstated = await callApi(emulator, 'GET', `${subscriptionUrl(id)}/operations/${reinstate.id}`)
    expect(reinstated.json).toMatchObject({ action: 'Reinstate', status: 'Failed' })
    await waitFor(async () => (await getSubscription(id)).saasSubscriptionStatus === 'Unsubscribed')
  })

  it('also takes a PATCH for a Reinstate (older docs)', async () => {
    emulator.marketplace.configure({ autoAcceptMs: 5_000, reinstateAwaitsAnswer: true })
    const id = await buyAndActivate(emulator, 'basic')
    emulator.marketplace.suspend(id)
    const reinstate = emulator.marketplace.reinstate(id)
    const url = `${subscriptionUrl(id)}/operations/${reinstate.id}`
    expect((await callApi(emulator, 'PATCH', url, { body: { status: 'Failure' } })).status).toBe(200)
    expect((await getSubscription(id)).saasSubscriptionStatus).toBe('Suspended')
  })

  it('renews one term further and cancels', async () => {
    const id = await buyAndActivate(emulator, 'basic')
    const before = (await getSubscription(id)).term
    emulator.marketplace.renew(id)
    const after = (await getSubscription(id)).term
    expect(Date.parse(after.startDate!)).toBe(Date.parse(before.endDate!) + 86_400_000)
    emulator.marketplace.unsubscribe(id)
    expect((await getSubscription(id)).saasSubscriptionStatus).toBe('Unsubscribed')
    await waitFor(() => webhooksFor(id, 'Renew').length > 0 && webhooksFor(id, 'Unsubscribe').length > 0)
    expect(() => emulator.marketplace.suspend(id)).toThrow(/Unsubscribed/)
  })

  it('activates auto-activated plans at purchase with a Subscribe webhook', async () => {
    const { subscription } = emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'instant' })
    expect(subscription.saasSubscriptionStatus).toBe('Subscribed')
    const [webhook] = await waitFor(
      () => webhooksFor(subscription.id, 'Subscribe').length > 0 && webhooksFor(subscription.id, 'Subscribe'),
    )
    expect(webhook!.body).toMatchObject({ status: 'Succeeded', subscription: { saasSubscriptionStatus: 'Subscribed' } })
  })
})
