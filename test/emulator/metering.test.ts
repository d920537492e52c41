/**
 * The metering rules (docs/marketplace-contract.md §6): hour slots, duplicates, 24 hours, quantity, status,
 * dimensions, batches.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { EmulatorHandle } from '../../emulator/index.ts'
import { buyAndActivate, callApi, callDriver, startTestEmulator } from './helpers.ts'

let emulator: EmulatorHandle
let id: string
const HOUR = 3_600_000

beforeAll(async () => {
  emulator = await startTestEmulator()
})
beforeEach(async () => {
  hour = Math.floor(Date.now() / HOUR) * HOUR
  emulator.marketplace.reset()
  id = await buyAndActivate(emulator, 'metered')
})
afterAll(() => emulator.stop())

let hour: number
/** The start of this test's clock hour, minus `hoursAgo` hours, plus `minutes` (fixed per test: no flake at :59). */
const at = (hoursAgo: number, minutes = 0) => new Date(hour - hoursAgo * HOUR + minutes * 60_000).toISOString()
const event = (overrides: object = {}) => ({
  resourceId: id,
  quantity: 10,
  dimension: 'api-calls',
  effectiveStartTime: at(1, 5),
  planId: 'metered',
  ...overrides,
})
const post = (body: object) => callApi(emulator, 'POST', '/usageEvent', { body })
const batch = (events: object[]) => callApi(emulator, 'POST', '/batchUsageEvent', { body: { request: events } })
const detailCode = (answer: { json: unknown }) => (answer.json as { details: { code: string }[] }).details[0]!.code

describe('single usage events', () => {
  it('accepts one event per resource, dimension and clock hour; a duplicate is a 409 with the accepted one', async () => {
    const accepted = await post(event())
    expect(accepted.status).toBe(200)
    expect(accepted.json).toMatchObject({ status: 'Accepted', resourceId: id, quantity: 10, dimension: 'api-calls' })

    const duplicate = await post(event({ quantity: 3, effectiveStartTime: at(1, 50) }))
    expect(duplicate.status).toBe(409)
    expect(duplicate.json).toMatchObject({
      code: 'Conflict',
      message: 'This usage event already exist.',
      additionalInfo: {
        acceptedMessage: {
          usageEventId: (accepted.json as { usageEventId: string }).usageEventId,
          status: 'Duplicate',
          quantity: 10,
        },
      },
    })
    expect((await post(event({ effectiveStartTime: at(2) }))).status).toBe(200)
    expect((await post(event({ dimension: 'storage-gb' }))).status).toBe(200)
    expect(emulator.marketplace.usage({ subscriptionId: id })).toHaveLength(3)
  })

  it('refuses what the rules refuse, with the metering 400 shape', async () => {
    const expired = await post(event({ effectiveStartTime: at(25) }))
    expect(expired.status).toBe(400)
    expect(expired.json).toMatchObject({ code: 'BadArgument', details: [{ code: 'Expired' }] })
    expect(detailCode(await post(event({ quantity: 0 })))).toBe('InvalidQuantity')
    expect(detailCode(await post(event({ dimension: 'seats' })))).toBe('InvalidDimension')
    expect(detailCode(await post(event({ resourceId: '00000000-0000-4000-8000-000000000000' })))).toBe(
      'ResourceNotFound',
    )
    expect(detailCode(await post(event({ planId: 'basic' })))).toBe('BadArgument')
    expect(detailCode(await post(event({ quantity: 'ten' })))).toBe('BadArgument')
    emulator.marketplace.suspend(id)
    expect(detailCode(await post(event()))).toBe('ResourceNotActive')
  })

  it('counts 24 hours on the emulator clock, and takes usage from before a cancellation', async () => {
    const earlier = at(2)
    emulator.marketplace.advanceClock(23 * HOUR)
    expect(detailCode(await post(event({ effectiveStartTime: earlier })))).toBe('Expired')
    const beforeCancel = new Date(Date.now() + 22 * HOUR).toISOString()
    emulator.marketplace.unsubscribe(id)
    expect((await post(event({ effectiveStartTime: beforeCancel }))).status).toBe(200)
  })
})

describe('batches', () => {
  it('answers 200 with a status per event', async () => {
    await post(event())
    const answer = await batch([
      event({ effectiveStartTime: at(3) }),
      event(),
      event({ effectiveStartTime: at(4) }),
      event({ effectiveStartTime: at(4) }),
      event({ quantity: -1, effectiveStartTime: at(5) }),
      event({ dimension: 'nope' }),
      event({ resourceId: '00000000-0000-4000-8000-000000000000' }),
      event({ effectiveStartTime: at(30) }),
    ])
    expect(answer.status).toBe(200)
    const { count, result } = answer.json as { count: number; result: { status: string; error?: { code: string } }[] }
    expect(count).toBe(8)
    expect(result.map((r) => r.status)).toEqual([
      'Accepted',
      'Duplicate',
      'Accepted',
      'Duplicate',
      'InvalidQuantity',
      'InvalidDimension',
      'ResourceNotFound',
      'Expired',
    ])
    expect(result[1]!.error).toMatchObject({
      code: 'Conflict',
      additionalInfo: { acceptedMessage: { status: 'Duplicate' } },
    })
    expect(result[4]!.error).toMatchObject({ code: 'InvalidQuantity' })
  })

  it('holds 1 to 25 events', async () => {
    expect((await batch([])).status).toBe(400)
    expect((await batch(Array.from({ length: 26 }, (_, i) => event({ effectiveStartTime: at(i % 20) })))).status).toBe(
      400,
    )
    const full = await batch(Array.from({ length: 25 }, (_, i) => event({ effectiveStartTime: at(i % 20) })))
    expect((full.json as { count: number }).count).toBe(25)
  })
})

it('lists recorded usage from usageStartDate, filtered', async () => {
  await post(event())
  await post(event({ dimension: 'storage-gb', quantity: 4 }))
  const list = async (query: string) =>
    (await callApi(emulator, 'GET', `/usageEvents?usageStartDate=${at(24)}${query}`)).json as object[]
  expect(await list('')).toHaveLength(2)
  expect(await list('&dimension=storage-gb')).toMatchObject([
    {
      usageResourceId: id,
      dimension: 'storage-gb',
      planId: 'metered',
      offerId: 'contoso-analytics',
      submittedQuantity: 4,
    },
  ])
  expect(await list(`&UsageEndDate=${at(3)}`)).toHaveLength(0)
})

it('takes a batch whose answer the caller never hears (a slow answer it gave up on); the same batch again is Duplicate with the accepted quantity', async () => {
  emulator.marketplace.setFaults({
    script: [{ target: 'api', kind: 'slow', operationId: 'MeteringOperations_PostBatchUsageEvent', delayMs: 300 }],
  })
  const url = `${emulator.apiUrl}/batchUsageEvent?api-version=2018-08-31`
  const init = {
    method: 'POST',
    headers: { authorization: `Bearer ${emulator.staticToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ request: [event()] }),
  }
  await expect(fetch(url, { ...init, signal: AbortSignal.timeout(50) })).rejects.toThrow()
  await expect.poll(() => emulator.marketplace.usage({ subscriptionId: id }).length).toBe(1)

  const again = await batch([event()])
  expect(again.json).toMatchObject({
    result: [{ status: 'Duplicate', error: { additionalInfo: { acceptedMessage: { quantity: 10 } } } }],
  })
})

it("reports in GET /usageEvents what Microsoft's billing made of an event: Rejected, or Mismatch with the quantity processed", async () => {
  await post(event())
  await post(event({ dimension: 'storage-gb', quantity: 4 }))
  const [calls, gb] = emulator.marketplace.usage({ subscriptionId: id })
  const settle = (usageEventId: string, body: object) =>
    callDriver(emulator, 'POST', `/usage/${usageEventId}/outcome`, body)
  expect((await settle(calls!.usageEventId, { reconStatus: 'Rejected', processedQuantity: 0 })).status).toBe(200)
  expect((await settle(gb!.usageEventId, { reconStatus: 'Mismatch', processedQuantity: 3 })).status).toBe(200)
  const listed = (await callApi(emulator, 'GET', `/usageEvents?usageStartDate=${at(24)}`)).json
  expect(listed).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        dimension: 'api-calls',
        reconStatus: 'Rejected',
        submittedQuantity: 10,
        processedQuantity: 0,
      }),
      expect.objectContaining({
        dimension: 'storage-gb',
        reconStatus: 'Mismatch',
        submittedQuantity: 4,
        processedQuantity: 3,
      }),
    ]),
  )
  const rejected = await callApi(emulator, 'GET', `/usageEvents?usageStartDate=${at(24)}&reconStatus=Rejected`)
  expect(rejected.json).toHaveLength(1)

  expect((await settle('no-such-event', { reconStatus: 'Rejected' })).status).toBe(404)
  expect((await settle(gb!.usageEventId, { reconStatus: 'Lost' })).status).toBe(400)
})
