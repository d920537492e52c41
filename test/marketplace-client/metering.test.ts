/**
 * The Metering API through the client: an accepted event; the duplicate for the same resource, dimension
 * and hour returned as the original event with status `Duplicate`; expired and other refusals; batches
 * with a status per event, refused locally above 25; and reading the recorded usage back.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { EmulatorHandle } from '../../emulator/index.ts'
import { MarketplaceError, type MarketplaceClient } from '../../marketplace/client/index.ts'
import type { UsageEvent } from '../../marketplace/schemas.ts'
import { clientFor, rejectionOf, startClientEmulator } from './helpers.ts'

const HOUR = 3_600_000

let emulator: EmulatorHandle
let client: MarketplaceClient
let id: string
/** The start of this test's clock hour (fixed per test: no flake at :59). */
let hour: number

beforeAll(async () => {
  emulator = await startClientEmulator()
  client = clientFor(emulator, { retry: { attempts: 3, baseDelayMs: 10 } })
})
beforeEach(() => {
  emulator.marketplace.reset()
  hour = Math.floor(Date.now() / HOUR) * HOUR
  id = emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'metered', autoActivate: true })
    .subscription.id
})
afterAll(() => emulator.stop())

const at = (hoursAgo: number, minutes = 0) => new Date(hour - hoursAgo * HOUR + minutes * 60_000).toISOString()
const event = (overrides: Partial<UsageEvent> = {}): UsageEvent => ({
  resourceId: id,
  quantity: 10,
  dimension: 'api-calls',
  effectiveStartTime: at(1, 5),
  planId: 'metered',
  ...overrides,
})
const journal = (kind: string) => emulator.marketplace.journal({ kind })

describe('single usage events', () => {
  it('an accepted event', async () => {
    const result = await client.postUsageEvent(event(), { correlationId: 'usage-1' })
    expect(result).toMatchObject({
      status: 'Accepted',
      usageEventId: expect.any(String) as string,
      resourceId: id,
      quantity: 10,
      dimension: 'api-calls',
      planId: 'metered',
      messageTime: expect.any(String) as string,
    })
    expect(journal('usageEvent')).toMatchObject([
      { status: 200, correlationId: 'usage-1', body: event(), subscriptionIds: [id] },
    ])
    expect(emulator.marketplace.usage({ subscriptionId: id })).toHaveLength(1)
  })

  it('a duplicate (same resource, dimension and hour) returns the original accepted event as Duplicate', async () => {
    const original = await client.postUsageEvent(event())
    const duplicate = await client.postUsageEvent(event({ quantity: 3, effectiveStartTime: at(1, 50) }))
    expect(duplicate).toMatchObject({
      status: 'Duplicate',
      usageEventId: original.usageEventId,
      quantity: 10,
      effectiveStartTime: original.effectiveStartTime,
      resourceId: id,
    })
    // Microsoft answered 409 once; it is not an error and is not retried.
    expect(journal('usageEvent').map((e) => e.status)).toEqual([200, 409])
    // Another hour or another dimension is a new event.
    expect((await client.postUsageEvent(event({ effectiveStartTime: at(2) }))).status).toBe('Accepted')
    expect((await client.postUsageEvent(event({ dimension: 'storage-gb' }))).status).toBe('Accepted')
  })

  it('an event older than 24 hours is refused (Expired), without retry', async () => {
    const err = await rejectionOf(client.postUsageEvent(event({ effectiveStartTime: at(25) })))
    expect(err).toBeInstanceOf(MarketplaceError)
    expect(err).toMatchObject({
      status: 400,
      code: 'BadArgument',
      retryable: false,
      body: { code: 'BadArgument', details: [{ code: 'Expired', target: 'effectiveStartTime' }] },
    })
    expect(journal('usageEvent').map((e) => e.status)).toEqual([400])
  })

  it('expires on the marketplace clock: an hour-old event a day later', async () => {
    const earlier = at(1)
    emulator.marketplace.advanceClock(24 * HOUR)
    const err = await rejectionOf(client.postUsageEvent(event({ effectiveStartTime: earlier })))
    expect(err).toMatchObject({ status: 400, body: { details: [{ code: 'Expired' }] } })
  })

  it('other refusals carry their per-event code', async () => {
    const detail = async (e: UsageEvent) =>
      ((await rejectionOf(client.postUsageEvent(e))) as MarketplaceError & { body: { details: { code: string }[] } })
        .body.details[0]!.code
    expect(await detail(event({ dimension: 'seats' }))).toBe('InvalidDimension')
    expect(await detail(event({ resourceId: randomUUID() }))).toBe('ResourceNotFound')
    expect(await detail(event({ planId: 'basic' }))).toBe('BadArgument')
    emulator.marketplace.suspend(id)
    expect(await detail(event())).toBe('ResourceNotActive')
  })

  it('an event the service could not have meant (quantity ≤ 0, no plan) is refused before sending', async () => {
    await expect(client.postUsageEvent(event({ quantity: 0 }))).rejects.toThrow()
    await expect(client.postUsageEvent({ ...event(), planId: '' })).rejects.toThrow()
    expect(journal('usageEvent')).toEqual([])
  })
})

describe('batches', () => {
  it('answers with a status per event, failures included', async () => {
    const original = await client.postUsageEvent(event())
    const suspended = emulator.marketplace.purchase({
      offerId: 'contoso-analytics',
      planId: 'metered',
      autoActivate: true,
    }).subscription.id
    emulator.marketplace.suspend(suspended)

    const results = await client.postBatchUsageEvents(
      [
        event({ effectiveStartTime: at(3) }),
        event(),
        event({ effectiveStartTime: at(30) }),
        event({ dimension: 'nope', effectiveStartTime: at(4) }),
        event({ resourceId: randomUUID() }),
        event({ resourceId: suspended }),
        event({ planId: 'basic', effectiveStartTime: at(5) }),
        event({ dimension: 'storage-gb', quantity: 2.5 }),
      ],
      { correlationId: 'batch-1' },
    )
    expect(results.map((r) => r.status)).toEqual([
      'Accepted',
      'Duplicate',
      'Expired',
      'InvalidDimension',
      'ResourceNotFound',
      'ResourceNotActive',
      'BadArgument',
      'Accepted',
    ])
    expect(results[1]).toMatchObject({
      messageTime: '0001-01-01T00:00:00Z',
      error: {
        code: 'Conflict',
        additionalInfo: { acceptedMessage: { usageEventId: original.usageEventId, status: 'Duplicate' } },
      },
    })
    expect(results[2]!.error).toMatchObject({ code: 'Expired' })
    expect(results[7]).toMatchObject({ quantity: 2.5, usageEventId: expect.any(String) as string })
    expect(journal('batchUsageEvent')).toMatchObject([{ status: 200, correlationId: 'batch-1' }])
    expect((journal('batchUsageEvent')[0]!.body as { request: unknown[] }).request).toHaveLength(8)
  })

  it('takes 25 events; 26 (or none) are refused before sending', async () => {
    const events = Array.from({ length: 26 }, (_, i) =>
      event({ dimension: i % 2 ? 'storage-gb' : 'api-calls', effectiveStartTime: at(1 + Math.floor(i / 2)) }),
    )
    await expect(client.postBatchUsageEvents(events)).rejects.toThrow(RangeError)
    await expect(client.postBatchUsageEvents(events)).rejects.toThrow(/1 to 25 events, not 26/)
    await expect(client.postBatchUsageEvents([])).rejects.toThrow(RangeError)
    expect(journal('batchUsageEvent')).toEqual([])

    const results = await client.postBatchUsageEvents(events.slice(0, 25))
    expect(results).toHaveLength(25)
    expect(results.every((r) => r.status === 'Accepted')).toBe(true)
    expect(journal('batchUsageEvent').map((e) => e.status)).toEqual([200])
  })
})

it('reads recorded usage back, filtered, with Microsoft spelling of UsageEndDate', async () => {
  await client.postUsageEvent(event())
  await client.postUsageEvent(event({ dimension: 'storage-gb', quantity: 4, effectiveStartTime: at(3) }))

  expect(await client.getUsageEvents({ usageStartDate: at(24) })).toHaveLength(2)
  expect(await client.getUsageEvents({ usageStartDate: at(24), dimension: 'storage-gb' })).toMatchObject([
    {
      usageResourceId: id,
      dimension: 'storage-gb',
      planId: 'metered',
      offerId: 'contoso-analytics',
      submittedQuantity: 4,
      reconStatus: 'Accepted',
    },
  ])
  // Only the capitalised `UsageEndDate` narrows the emulator's answer, as Microsoft's.
  expect(await client.getUsageEvents({ usageStartDate: at(24), usageEndDate: at(2) })).toMatchObject([
    { dimension: 'storage-gb' },
  ])
  expect(await client.getUsageEvents({ usageStartDate: at(24), planId: 'basic' })).toEqual([])
  expect(journal('getUsageEvents').map((e) => e.status)).toEqual([200, 200, 200, 200])
})
