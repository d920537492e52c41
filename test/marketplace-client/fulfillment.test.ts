/**
 * Every SaaS Fulfillment API v2 operation through the client, over HTTP against the emulator: resolve,
 * activate, list, get, list available plans, change plan, change quantity, delete, and the operations
 * API (list, get, update), with `awaitOperation` following an `Operation-Location` to its end.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { EmulatorHandle } from '../../emulator/index.ts'
import { MarketplaceError, type MarketplaceClient } from '../../marketplace/client/index.ts'
import type { Operation } from '../../marketplace/schemas.ts'
import { clientFor, rejectionOf, sleep, startClientEmulator } from './helpers.ts'

let emulator: EmulatorHandle
let client: MarketplaceClient

beforeAll(async () => {
  emulator = await startClientEmulator()
  client = clientFor(emulator)
})
beforeEach(() => emulator.marketplace.reset())
afterAll(() => emulator.stop())

const journal = (kind: string) => emulator.marketplace.journal({ kind })

/** A customer buys `planId`; the publisher resolves the landing token and activates, through the client. */
async function buyAndActivate(planId = 'team', quantity?: number): Promise<string> {
  const { token } = emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId, quantity })
  const resolved = await client.resolve(token)
  await client.activate(resolved.id, { planId: resolved.planId, quantity: resolved.quantity })
  return resolved.id
}

describe('subscriptions', () => {
  it('resolves a landing token (with +, / and =) and activates with the purchased plan and quantity', async () => {
    const { subscription, token } = emulator.marketplace.purchase({
      offerId: 'contoso-analytics',
      planId: 'team',
      quantity: 5,
    })
    expect(token).toMatch(/\+/)
    expect(token).toMatch(/\//)

    const resolved = await client.resolve(token)
    expect(resolved).toMatchObject({
      id: subscription.id,
      offerId: 'contoso-analytics',
      planId: 'team',
      quantity: 5,
      subscription: { id: subscription.id, saasSubscriptionStatus: 'PendingFulfillmentStart' },
    })
    expect(resolved.subscriptionName).toBe(subscription.name)

    await expect(client.activate(resolved.id, { planId: 'team', quantity: 5 })).resolves.toBeUndefined()
    expect(journal('activate')).toMatchObject([{ status: 200, body: { planId: 'team', quantity: 5 } }])

    const got = await client.getSubscription(resolved.id)
    expect(got).toMatchObject({ id: subscription.id, saasSubscriptionStatus: 'Subscribed', planId: 'team' })
    expect(got.term?.startDate).toEqual(expect.any(String))
    expect(journal('resolve')).toMatchObject([{ status: 200 }])
    expect(journal('getSubscription')).toMatchObject([{ status: 200, path: `/api/saas/subscriptions/${resolved.id}` }])
  })

  it('activates a flat-rate plan without a quantity', async () => {
    const id = await buyAndActivate('basic')
    expect(journal('activate')).toMatchObject([{ status: 200, body: { planId: 'basic' } }])
    expect(journal('activate')[0]!.body).not.toHaveProperty('quantity')
    expect((await client.getSubscription(id)).quantity).toBeUndefined()
  })

  it('lists every subscription; no subscriptions is an empty body, read as an empty list', async () => {
    const raw = await fetch(`${emulator.apiUrl}/saas/subscriptions/?api-version=2018-08-31`, {
      headers: { authorization: `Bearer ${emulator.staticToken}` },
    })
    expect(await raw.text()).toBe('')
    await expect(client.listSubscriptionsPage()).resolves.toEqual({ subscriptions: [], nextLink: undefined })
    const none: string[] = []
    for await (const s of client.listSubscriptions()) none.push(s.id)
    expect(none).toEqual([])

    const first = await buyAndActivate('basic')
    const second = emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'trial' }).subscription.id
    const all = []
    for await (const s of client.listSubscriptions()) all.push(s)
    expect(all.map((s) => [s.id, s.saasSubscriptionStatus])).toEqual([
      [first, 'Subscribed'],
      [second, 'PendingFulfillmentStart'],
    ])
  })

  it('lists the available plans, or only the one asked for with planId', async () => {
    const id = await buyAndActivate('team', 3)
    const plans = await client.listAvailablePlans(id)
    expect(plans.map((p) => p.planId)).toEqual(['basic', 'team', 'trial', 'metered', 'instant', 'enterprise'])
    expect(plans.find((p) => p.planId === 'team')).toMatchObject({
      isPricePerSeat: true,
      minQuantity: 1,
      maxQuantity: 50,
    })

    expect(await client.listAvailablePlans(id, { planId: 'metered' })).toMatchObject([
      {
        planId: 'metered',
        planComponents: { meteringDimensions: [{ id: 'api-calls' }, { id: 'storage-gb' }] },
      },
    ])
    expect(await client.listAvailablePlans(id, { planId: 'no-such-plan' })).toEqual([])
    expect(journal('listAvailablePlans').map((e) => e.status)).toEqual([200, 200, 200])
  })

  it('changes the quantity: 202 with Operation-Location, followed to Succeeded, then applied', async () => {
    const id = await buyAndActivate('team', 2)
    const accepted = await client.changeQuantity(id, 8, { correlationId: 'seats-8' })
    expect(accepted.operationLocation).toBe(
      `${emulator.apiUrl}/saas/subscriptions/${id}/operations/${accepted.operationId}?api-version=2018-08-31`,
    )
    expect(journal('updateSubscription')).toMatchObject([
      { status: 202, body: { quantity: 8 }, operationId: accepted.operationId, correlationId: 'seats-8' },
    ])

    const polled: string[] = []
    const done = await client.awaitOperation(accepted.operationLocation, {
      deadlineMs: 5_000,
      intervalMs: 20,
      correlationId: 'seats-8',
      onPoll: (op) => polled.push(op.status),
    })
    expect(done).toMatchObject({ id: accepted.operationId, action: 'ChangeQuantity', status: 'Succeeded', quantity: 8 })
    expect(polled.length).toBeGreaterThan(1)
    expect(polled.at(-1)).toBe('Succeeded')
    expect(polled.slice(0, -1).every((s) => s === 'NotStarted' || s === 'InProgress')).toBe(true)
    expect(journal('getOperation').every((e) => e.correlationId === 'seats-8')).toBe(true)
    expect((await client.getSubscription(id)).quantity).toBe(8)
  })

  it('changes the plan, followed by ids to Succeeded', async () => {
    const id = await buyAndActivate('team', 4)
    const { operationId } = await client.changePlan(id, 'basic')
    expect(journal('updateSubscription')).toMatchObject([{ status: 202, body: { planId: 'basic' } }])
    const done = await client.awaitOperation({ subscriptionId: id, operationId }, { deadlineMs: 5_000, intervalMs: 20 })
    expect(done).toMatchObject({ action: 'ChangePlan', status: 'Succeeded', planId: 'basic' })
    const got = await client.getSubscription(id)
    expect(got.planId).toBe('basic')
    expect(got.quantity).toBeUndefined()
  })

  it('deletes (cancels) the subscription: 202, Unsubscribe operation, Unsubscribed', async () => {
    const id = await buyAndActivate('basic')
    const accepted = await client.deleteSubscription(id)
    expect(journal('deleteSubscription')).toMatchObject([{ status: 202, operationId: accepted.operationId }])
    const done = await client.awaitOperation(accepted.operationLocation, { deadlineMs: 5_000, intervalMs: 20 })
    expect(done).toMatchObject({ action: 'Unsubscribe', status: 'Succeeded' })
    expect((await client.getSubscription(id)).saasSubscriptionStatus).toBe('Unsubscribed')
  })
})

describe('operations', () => {
  it('lists outstanding operations (none: an empty body), gets one, and accepts it with updateOperation', async () => {
    const id = await buyAndActivate('team', 2)
    const raw = await fetch(`${emulator.apiUrl}/saas/subscriptions/${id}/operations?api-version=2018-08-31`, {
      headers: { authorization: `Bearer ${emulator.staticToken}` },
    })
    expect(await raw.text()).toBe('')
    expect(await client.listOperations(id)).toEqual([])

    const customer = emulator.marketplace.changeQuantity(id, 6)
    const outstanding = await client.listOperations(id)
    expect(outstanding).toMatchObject([
      { id: customer.id, subscriptionId: id, action: 'ChangeQuantity', status: 'InProgress', quantity: 6 },
    ])
    expect(await client.getOperation(id, customer.id)).toMatchObject({ id: customer.id, status: 'InProgress' })

    await client.updateOperation(id, customer.id, { status: 'Success', quantity: 6 }, { correlationId: 'ack-1' })
    expect(journal('updateOperation')).toMatchObject([
      { status: 200, body: { status: 'Success', quantity: 6 }, operationId: customer.id, correlationId: 'ack-1' },
    ])
    expect(await client.getOperation(id, customer.id)).toMatchObject({ status: 'Succeeded' })
    expect(await client.listOperations(id)).toEqual([])
    expect((await client.getSubscription(id)).quantity).toBe(6)
  })

  it('reads operations whose action is outside the spec enum (Subscribe, Transfer)', async () => {
    const { subscription } = emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'instant' })
    const transfer = emulator.marketplace.transfer(subscription.id)
    const { operations } = emulator.marketplace.getSubscription(subscription.id)
    const subscribe = operations.find((o) => o.action === 'Subscribe')!
    expect(await client.getOperation(subscription.id, subscribe.id)).toMatchObject({ action: 'Subscribe' })
    expect(await client.getOperation(subscription.id, transfer.id)).toMatchObject({
      action: 'Transfer',
      status: 'Succeeded',
    })
  })
})

describe('awaitOperation', () => {
  it('returns a Failed operation', async () => {
    const id = await buyAndActivate('team', 2)
    const customer = emulator.marketplace.changePlan(id, 'basic')
    const polled: Operation[] = []
    const waiting = client.awaitOperation(
      { subscriptionId: id, operationId: customer.id },
      { deadlineMs: 5_000, intervalMs: 20, onPoll: (op) => polled.push(op) },
    )
    await sleep(80)
    await client.updateOperation(id, customer.id, { status: 'Failure' })
    const done = await waiting
    expect(done).toMatchObject({ id: customer.id, action: 'ChangePlan', status: 'Failed' })
    expect(polled[0]!.status).toBe('InProgress')
    expect((await client.getSubscription(id)).planId).toBe('team')
  })

  it('times out with a retryable error when the deadline passes first', async () => {
    const id = await buyAndActivate('team', 2)
    const customer = emulator.marketplace.changeQuantity(id, 3) // waits 10 s for an answer
    const started = Date.now()
    const err = await rejectionOf(
      client.awaitOperation(
        { subscriptionId: id, operationId: customer.id },
        { deadlineMs: 200, intervalMs: 50, correlationId: 'late' },
      ),
    )
    const elapsed = Date.now() - started
    expect(err).toBeInstanceOf(MarketplaceError)
    expect(err).toMatchObject({ kind: 'timeout', retryable: true, operation: 'awaitOperation', correlationId: 'late' })
    expect((err as Error).message).toMatch(/InProgress/)
    expect(elapsed).toBeGreaterThanOrEqual(150)
    expect(elapsed).toBeLessThan(5_000) // the deadline, not the 10 s auto-accept, ended it
    expect(journal('getOperation').length).toBeGreaterThanOrEqual(3)
  })

  it('stops polling when the caller cancels', async () => {
    const id = await buyAndActivate('team', 2)
    const customer = emulator.marketplace.changeQuantity(id, 3)
    const controller = new AbortController()
    const waiting = rejectionOf(
      client.awaitOperation(
        { subscriptionId: id, operationId: customer.id },
        { deadlineMs: 5_000, intervalMs: 20, signal: controller.signal },
      ),
    )
    await sleep(60)
    controller.abort(new Error('cancelled by the test'))
    expect(await waiting).toMatchObject({ message: 'cancelled by the test' })
    // A poll already on its way when the caller cancelled may still reach the emulator; none starts after.
    await sleep(60)
    const polls = journal('getOperation').length
    await sleep(200)
    expect(journal('getOperation').length).toBe(polls)
  })

  it('a 404 for an unknown operation is final', async () => {
    const id = await buyAndActivate('basic')
    const err = await rejectionOf(
      client.awaitOperation({ subscriptionId: id, operationId: randomUUID() }, { deadlineMs: 1_000, intervalMs: 20 }),
    )
    expect(err).toMatchObject({ status: 404, code: 'NotFound', retryable: false })
  })
})
