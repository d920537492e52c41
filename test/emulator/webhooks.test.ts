/** Webhook delivery: retried until a 2xx as Microsoft does, in order per subscription, and logged. */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import type { EmulatorHandle } from '../../emulator/index.ts'
import { callDriver, startReceiver, startTestEmulator, waitFor } from './helpers.ts'

let emulator: EmulatorHandle

beforeAll(async () => {
  emulator = await startTestEmulator()
})
beforeEach(() => {
  emulator.marketplace.reset()
  emulator.marketplace.configure({ webhookRetry: { attempts: 3, initialDelayMs: 10, maxDelayMs: 20 } })
})
afterAll(() => emulator.stop())

const buyInstant = () =>
  emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'instant' }).subscription.id

it('retries a webhook that did not get a 2xx, with the same body', async () => {
  const receiver = await startReceiver((call) => (call < 3 ? 500 : 200))
  emulator.marketplace.configure({ webhookUrl: receiver.url })
  const id = buyInstant()
  await waitFor(() => receiver.received.length === 3)
  await emulator.marketplace.webhooksSettled()
  expect(new Set(receiver.received.map((w) => JSON.stringify(w.body))).size).toBe(1)
  const [delivery] = emulator.marketplace.webhooks({ subscriptionId: id })
  expect(delivery).toMatchObject({
    action: 'Subscribe',
    state: 'delivered',
    attempts: [{ status: 500 }, { status: 500 }, { status: 200 }],
  })
  await receiver.close()
})

it('gives up after the configured number of attempts', async () => {
  const receiver = await startReceiver(() => 503)
  emulator.marketplace.configure({ webhookUrl: receiver.url, webhookRetry: { attempts: 2 } })
  const id = buyInstant()
  await waitFor(() => emulator.marketplace.webhooks({ subscriptionId: id })[0]?.state === 'failed')
  expect(receiver.received).toHaveLength(2)
  await receiver.close()
})

it('keeps retrying while no webhook URL is configured, and delivers once one is', async () => {
  emulator.marketplace.configure({
    webhookUrl: null,
    webhookRetry: { attempts: 100, initialDelayMs: 20, maxDelayMs: 20 },
  })
  const id = buyInstant()
  await waitFor(() => emulator.marketplace.webhooks({ subscriptionId: id })[0]!.attempts.length >= 2)
  const receiver = await startReceiver()
  expect((await callDriver(emulator, 'PUT', '/config', { webhookUrl: receiver.url })).status).toBe(200)
  // The receiver sees the body before the emulator has read the answer, so wait for the emulator's record.
  await waitFor(() => emulator.marketplace.webhooks({ subscriptionId: id })[0]!.state !== 'pending')
  expect(receiver.received).toHaveLength(1)
  expect(emulator.marketplace.webhooks({ subscriptionId: id })[0]).toMatchObject({
    state: 'delivered',
    attempts: expect.arrayContaining([
      { at: expect.any(String) as string, error: 'No webhook URL is configured.' },
    ]) as unknown,
  })
  await receiver.close()
})

it('delivers in order per subscription without holding up the others', async () => {
  // The first subscription's first webhook fails twice; the second subscription is not kept waiting.
  let slowCalls = 0
  const receiver = await startReceiver(() => 200)
  const failing = await startReceiver(() => (++slowCalls <= 2 ? 500 : 200))
  emulator.marketplace.configure({
    webhookUrl: failing.url,
    webhookRetry: { attempts: 5, initialDelayMs: 100, maxDelayMs: 100 },
  })
  const first = buyInstant()
  emulator.marketplace.suspend(first)
  await waitFor(() => failing.received.length === 1)
  emulator.marketplace.configure({ webhookUrl: receiver.url })
  const second = buyInstant()
  await waitFor(() => receiver.received.some((w) => w.body.subscriptionId === second))
  expect(receiver.received.filter((w) => w.body.subscriptionId === first)).toHaveLength(0)
  await waitFor(() => receiver.received.filter((w) => w.body.subscriptionId === first).length === 2)
  expect(receiver.received.filter((w) => w.body.subscriptionId === first).map((w) => w.body.action)).toEqual([
    'Subscribe',
    'Suspend',
  ])
  await Promise.all([receiver.close(), failing.close()])
})

it('lists deliveries through the driver', async () => {
  emulator.marketplace.configure({ webhookUrl: null })
  const id = buyInstant()
  const { json } = await callDriver(emulator, 'GET', `/webhooks?subscriptionId=${id}`)
  expect(json).toMatchObject({
    deliveries: [
      { subscriptionId: id, action: 'Subscribe', status: 'Succeeded', payload: { id: expect.any(String) as string } },
    ],
  })
})
