/** Fault injection: scripted and random API faults, and webhooks dropped, duplicated, reordered or delayed. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { EmulatorHandle } from '../../emulator/index.ts'
import { callApi, callDriver, startReceiver, startTestEmulator, waitFor } from './helpers.ts'

let emulator: EmulatorHandle
let receiver: Awaited<ReturnType<typeof startReceiver>>

beforeAll(async () => {
  receiver = await startReceiver()
  emulator = await startTestEmulator({ webhookUrl: receiver.url })
})
beforeEach(() => {
  emulator.marketplace.reset()
  receiver.received.length = 0
})
afterAll(async () => {
  await emulator.stop()
  await receiver.close()
})

const list = () => callApi(emulator, 'GET', '/saas/subscriptions/')

describe('API faults', () => {
  it('follows the script, one entry per matching call, in order', async () => {
    const set = await callDriver(emulator, 'PUT', '/faults', {
      script: [
        { target: 'api', kind: '429', operationId: 'FulfillmentOperations_ListSubscriptions', retryAfterSeconds: 1 },
        { target: 'api', kind: '500', operationId: 'FulfillmentOperations_ListSubscriptions' },
        { target: 'api', kind: 'slow', operationId: 'FulfillmentOperations_ListSubscriptions', delayMs: 300 },
      ],
    })
    expect(set.status).toBe(200)

    // Another operation does not consume the entries.
    expect((await callApi(emulator, 'GET', '/usageEvents?usageStartDate=2024-01-01')).status).toBe(200)
    const throttled = await list()
    expect(throttled.status).toBe(429)
    expect(throttled.headers.get('retry-after')).toBe('1')
    expect((await list()).status).toBe(500)
    const started = Date.now()
    expect((await list()).status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    expect((await list()).status).toBe(200)
    expect(emulator.marketplace.getFaults().script).toEqual([])
    expect(emulator.marketplace.journal({ kind: 'listSubscriptions' }).map((e) => e.status)).toEqual([
      429, 500, 200, 200,
    ])
  })

  it('makes a slow answer slow enough for a client timeout', async () => {
    emulator.marketplace.setFaults({ script: [{ target: 'api', kind: 'slow', delayMs: 2_000 }] })
    const url = `${emulator.apiUrl}/saas/subscriptions/?api-version=2018-08-31`
    const request = fetch(url, {
      headers: { authorization: `Bearer ${emulator.staticToken}` },
      signal: AbortSignal.timeout(100),
    })
    await expect(request).rejects.toThrow(/timeout|aborted/i)
  })

  it('draws rates from a seeded PRNG, limited to the listed operations', async () => {
    const run = async () => {
      emulator.marketplace.setFaults({
        api: { rate429: 0.3, rate500: 0.2, operations: ['FulfillmentOperations_ListSubscriptions'] },
        seed: 42,
      })
      const statuses: number[] = []
      for (let i = 0; i < 40; i++) statuses.push((await list()).status)
      return statuses
    }
    const first = await run()
    expect(first).toContain(429)
    expect(first).toContain(500)
    expect(first).toContain(200)
    expect(await run()).toEqual(first)
    expect((await callApi(emulator, 'GET', '/usageEvents?usageStartDate=2024-01-01')).status).toBe(200)
  })

  it('refuses invalid faults and keeps the old ones', async () => {
    emulator.marketplace.setFaults({ api: { rate500: 0.5 } })
    const refused = await callDriver(emulator, 'PUT', '/faults', { api: { rate429: 0.8, rate500: 0.5 } })
    expect(refused.status).toBe(400)
    expect(refused.json).toMatchObject({ error: { message: expect.stringMatching(/must not exceed 1/) as string } })
    expect((await callDriver(emulator, 'PUT', '/faults', { script: [{ target: 'api', kind: 'drop' }] })).status).toBe(
      400,
    )
    expect(emulator.marketplace.getFaults().api.rate500).toBe(0.5)
  })

  it('never faults the driver or identity routes', async () => {
    emulator.marketplace.setFaults({ api: { rate500: 1 } })
    expect((await callDriver(emulator, 'GET', '/subscriptions')).status).toBe(200)
    expect((await fetch(emulator.jwksUrl)).status).toBe(200)
    expect((await list()).status).toBe(500)
  })

  it('loses the answer of a call that took effect', async () => {
    const { subscription } = emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'basic' })
    emulator.marketplace.setFaults({
      script: [{ target: 'api', kind: 'lost', operationId: 'FulfillmentOperations_ActivateSubscription' }],
    })
    const activate = () => callApi(emulator, 'POST', `/saas/subscriptions/${subscription.id}/activate`, { body: {} })
    expect((await activate()).status).toBe(500)
    expect(emulator.marketplace.getSubscription(subscription.id).subscription.saasSubscriptionStatus).toBe('Subscribed')
    // Once the script is used up, Microsoft answers as it does to a second Activate.
    expect((await activate()).status).toBe(400)
    expect(emulator.marketplace.journal({ kind: 'activate' }).map((e) => e.status)).toEqual([500, 400])
  })
})

describe('webhook faults', () => {
  const buyInstant = () =>
    emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'instant' }).subscription.id

  it('drops a webhook', async () => {
    emulator.marketplace.setFaults({ script: [{ target: 'webhook', kind: 'drop', action: 'Subscribe' }] })
    const dropped = buyInstant()
    const delivered = buyInstant()
    await waitFor(() => receiver.received.some((w) => w.body.subscriptionId === delivered))
    await emulator.marketplace.webhooksSettled()
    expect(receiver.received.map((w) => w.body.subscriptionId)).toEqual([delivered])
    expect(emulator.marketplace.webhooks({ subscriptionId: dropped })).toMatchObject([
      { state: 'dropped', attempts: [] },
    ])
  })

  it('delivers a webhook twice', async () => {
    emulator.marketplace.setFaults({ script: [{ target: 'webhook', kind: 'duplicate' }] })
    const id = buyInstant()
    await waitFor(() => receiver.received.length === 2)
    expect(receiver.received[0]!.body).toEqual(receiver.received[1]!.body)
    expect(emulator.marketplace.webhooks({ subscriptionId: id })[1]).toMatchObject({
      duplicateOf: expect.any(String) as string,
    })
  })

  it('reorders: a held webhook goes after the next one of the same subscription', async () => {
    emulator.marketplace.setFaults({ script: [{ target: 'webhook', kind: 'reorder', action: 'Suspend' }] })
    const id = buyInstant()
    emulator.marketplace.suspend(id)
    emulator.marketplace.unsubscribe(id)
    await waitFor(() => receiver.received.length === 3)
    expect(receiver.received.map((w) => w.body.action)).toEqual(['Subscribe', 'Unsubscribe', 'Suspend'])
  })

  it('delays a webhook', async () => {
    emulator.marketplace.setFaults({ webhooks: { delayMs: 150 } })
    const started = Date.now()
    buyInstant()
    await waitFor(() => receiver.received.length === 1)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
  })
})
