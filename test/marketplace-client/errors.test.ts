/**
 * Typed failures and retries, over HTTP against the emulator's fault injection: 429 (with `Retry-After`),
 * 5xx, timeouts and network errors are retryable and retried; Microsoft's 400/401/403/404/409 are final,
 * carry its code and message, and are sent once (counted in the emulator's journal).
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { EmulatorHandle, FaultsInput } from '../../emulator/index.ts'
import { isMarketplaceError, MarketplaceError, type MarketplaceClient } from '../../marketplace/client/index.ts'
import {
  captureLogs,
  clientFor,
  closedPortUrl,
  rejectionOf,
  startClientEmulator,
  waitUntil,
  type LogRecord,
} from './helpers.ts'

let emulator: EmulatorHandle
/** No retries inside the client: what an activity sees (Temporal retries). */
let once: MarketplaceClient
/** Retries inside the client: what the HTTP server uses. */
let retrying: MarketplaceClient
let logs: ReturnType<typeof captureLogs>

const RETRY = { attempts: 3, baseDelayMs: 10, maxDelayMs: 2_000 }

beforeAll(async () => {
  emulator = await startClientEmulator()
})
beforeEach(() => {
  emulator.marketplace.reset()
  logs = captureLogs()
  once = clientFor(emulator, { logger: logs.logger })
  retrying = clientFor(emulator, { logger: logs.logger, retry: RETRY })
})
afterAll(() => emulator.stop())

const journal = (kind: string) => emulator.marketplace.journal({ kind })
const statuses = (kind: string) => journal(kind).map((e) => e.status)
const buy = (planId = 'basic') =>
  emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId, autoActivate: true }).subscription.id
const script = (...entries: NonNullable<FaultsInput['script']>) => emulator.marketplace.setFaults({ script: entries })
const attemptsOf = (operation: string) => logs.records.filter((r) => r.operation === operation)

describe('429 Too Many Requests', () => {
  it('is a retryable error exposing Retry-After as retryAfterMs (for nextRetryDelay)', async () => {
    script({ target: 'api', kind: '429', operationId: 'FulfillmentOperations_ListSubscriptions', retryAfterSeconds: 1 })
    const err = await rejectionOf(once.listSubscriptionsPage(undefined, { correlationId: 'list-1' }))
    expect(err).toBeInstanceOf(MarketplaceError)
    expect(isMarketplaceError(err, 429)).toBe(true)
    expect(err).toMatchObject({
      kind: 'throttled',
      status: 429,
      code: 'TooManyRequests',
      retryable: true,
      retryAfterMs: 1_000,
      type: 'Marketplace429',
      operation: 'listSubscriptions',
      correlationId: 'list-1',
    })
    expect(statuses('listSubscriptions')).toEqual([429])
  })

  it('with retry on, waits at least Retry-After before the second attempt, which succeeds', async () => {
    const id = buy()
    script({ target: 'api', kind: '429', operationId: 'FulfillmentOperations_GetSubscription', retryAfterSeconds: 1 })
    const started = Date.now()
    await expect(retrying.getSubscription(id)).resolves.toMatchObject({ id })
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000)
    expect(statuses('getSubscription')).toEqual([429, 200])

    const [throttled, succeeded] = attemptsOf('getSubscription') as [LogRecord, LogRecord]
    expect(throttled).toMatchObject({ attempt: 1, status: 429, msg: 'marketplace call failed' })
    expect(succeeded).toMatchObject({ attempt: 2, status: 200, msg: 'marketplace call' })
    // The second request started (its end minus its duration) no earlier than 1 s after the 429 arrived.
    expect(succeeded.time - (succeeded.durationMs as number) - throttled.time).toBeGreaterThanOrEqual(1_000 - 2)
  })

  it('gives up at once when Retry-After is longer than the retry budget allows', async () => {
    const client = clientFor(emulator, { retry: { attempts: 3, maxDelayMs: 500 } })
    script({ target: 'api', kind: '429', operationId: 'FulfillmentOperations_ListSubscriptions', retryAfterSeconds: 5 })
    const started = Date.now()
    expect(await rejectionOf(client.listSubscriptionsPage())).toMatchObject({ status: 429, retryAfterMs: 5_000 })
    expect(Date.now() - started).toBeLessThan(4_000) // did not wait the 5 s Retry-After
    expect(statuses('listSubscriptions')).toEqual([429])
  })
})

describe('5xx', () => {
  it('is retryable, and retried with backoff until it succeeds', async () => {
    script({ target: 'api', kind: '500' })
    const err = await rejectionOf(once.listSubscriptionsPage())
    expect(err).toMatchObject({
      kind: 'unavailable',
      status: 500,
      code: 'InternalServerError',
      retryable: true,
      type: 'Marketplace500',
    })

    script({ target: 'api', kind: '500' }, { target: 'api', kind: '500' })
    await expect(retrying.listSubscriptionsPage()).resolves.toEqual({ subscriptions: [], nextLink: undefined })
    expect(statuses('listSubscriptions')).toEqual([500, 500, 500, 200])
  })

  it('stops after the configured number of attempts', async () => {
    script(...Array.from({ length: 4 }, () => ({ target: 'api' as const, kind: '500' as const })))
    expect(await rejectionOf(retrying.listSubscriptionsPage())).toMatchObject({ status: 500 })
    expect(statuses('listSubscriptions')).toEqual([500, 500, 500])
  })
})

describe('timeouts', () => {
  it('a call without an answer within timeoutMs fails with a retryable timeout', async () => {
    const client = clientFor(emulator, { timeoutMs: 300, logger: logs.logger })
    script({ target: 'api', kind: 'slow', delayMs: 1_000 })
    const started = Date.now()
    const err = await rejectionOf(client.listSubscriptionsPage(undefined, { correlationId: 'slow-1' }))
    const elapsed = Date.now() - started
    expect(err).toBeInstanceOf(MarketplaceError)
    expect(err).toMatchObject({
      kind: 'timeout',
      retryable: true,
      status: undefined,
      type: 'MarketplaceTimeout',
      correlationId: 'slow-1',
    })
    expect((err as Error).message).toMatch(/within 300 ms/)
    expect(elapsed).toBeGreaterThanOrEqual(290)
    expect(attemptsOf('listSubscriptions')).toMatchObject([{ kind: 'timeout', msg: 'marketplace call failed' }])
    // The emulator answers (and journals) the abandoned request once its delay is over.
    await waitUntil(() => journal('listSubscriptions').length === 1)
  })

  it('is retried: the second attempt answers in time', async () => {
    const client = clientFor(emulator, { timeoutMs: 300, retry: RETRY, logger: logs.logger })
    const id = buy()
    script({ target: 'api', kind: 'slow', delayMs: 1_000 })
    await expect(client.getSubscription(id, { correlationId: 'slow-2' })).resolves.toMatchObject({ id })
    expect(attemptsOf('getSubscription')).toMatchObject([
      { attempt: 1, kind: 'timeout' },
      { attempt: 2, status: 200 },
    ])
    await waitUntil(() => journal('getSubscription').length === 2)
    const [a, b] = journal('getSubscription')
    expect(a!.correlationId).toBe('slow-2')
    expect(b!.correlationId).toBe('slow-2')
    expect(a!.requestId).not.toBe(b!.requestId)
  })
})

describe('network errors', () => {
  it('a closed port is a retryable network error, and is retried', async () => {
    const baseUrl = await closedPortUrl()
    const err = await rejectionOf(clientFor(emulator, { baseUrl }).getSubscription(randomUUID()))
    expect(err).toBeInstanceOf(MarketplaceError)
    expect(err).toMatchObject({ kind: 'network', retryable: true, status: undefined, type: 'MarketplaceNetwork' })
    expect((err as Error).cause).toBeDefined()

    const client = clientFor(emulator, { baseUrl, retry: RETRY, logger: logs.logger })
    expect(await rejectionOf(client.getSubscription(randomUUID()))).toMatchObject({ kind: 'network' })
    expect(attemptsOf('getSubscription').map((r) => [r.attempt, r.kind])).toEqual([
      [1, 'network'],
      [2, 'network'],
      [3, 'network'],
    ])
  })
})

describe('a request HTTP cannot carry', () => {
  it('is a final invalid-request error, never sent and never retried (a non-ASCII landing token)', async () => {
    const err = await rejectionOf(retrying.resolve('token-with-✓'))
    expect(err).toBeInstanceOf(MarketplaceError)
    expect(err).toMatchObject({ kind: 'invalid-request', retryable: false, status: undefined })
    expect(journal('resolve')).toEqual([])
    expect(attemptsOf('resolve').map((r) => r.kind)).toEqual(['invalid-request'])
  })
})

describe("Microsoft's final answers are not retried", () => {
  const expectFinal = (err: unknown, status: number, code: string, message: RegExp) => {
    expect(err).toBeInstanceOf(MarketplaceError)
    const e = err as MarketplaceError
    expect(e).toMatchObject({ kind: 'rejected', status, code, retryable: false, type: `Marketplace${status}` })
    expect(e.message).toMatch(message)
    expect(e.message).toContain(code)
    expect(e.body).toMatchObject({ error: { code } })
    expect(e.requestId).toMatch(/^[0-9a-f-]{36}$/)
  }

  it('400: activate with another plan than the purchased one', async () => {
    const { subscription } = emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'team' })
    const err = await rejectionOf(retrying.activate(subscription.id, { planId: 'basic' }))
    expectFinal(err, 400, 'BadRequest', /does not match the purchased plan team/)
    expect(statuses('activate')).toEqual([400])
  })

  it('404: an unknown subscription', async () => {
    const err = await rejectionOf(retrying.getSubscription(randomUUID()))
    expectFinal(err, 404, 'NotFound', /was not found/)
    expect(statuses('getSubscription')).toEqual([404])
  })

  it('409: a PATCH while another operation is pending', async () => {
    emulator.marketplace.configure({ operationDelayMs: 5_000 })
    try {
      const id = emulator.marketplace.purchase({
        offerId: 'contoso-analytics',
        planId: 'team',
        quantity: 2,
        autoActivate: true,
      }).subscription.id
      await retrying.changeQuantity(id, 3)
      const err = await rejectionOf(retrying.changeQuantity(id, 4))
      expectFinal(err, 409, 'Conflict', /Another operation is in progress/)
      expect(await rejectionOf(retrying.deleteSubscription(id))).toMatchObject({ status: 409, retryable: false })
      expect(statuses('updateSubscription')).toEqual([202, 409])
      expect(statuses('deleteSubscription')).toEqual([409])
    } finally {
      emulator.marketplace.configure({ operationDelayMs: 100 })
    }
  })

  it('409: answering an operation that has already ended', async () => {
    const id = emulator.marketplace.purchase({
      offerId: 'contoso-analytics',
      planId: 'team',
      quantity: 2,
      autoActivate: true,
    }).subscription.id
    const customer = emulator.marketplace.changeQuantity(id, 5)
    await retrying.updateOperation(id, customer.id, { status: 'Success' })
    const err = await rejectionOf(retrying.updateOperation(id, customer.id, { status: 'Failure' }))
    expectFinal(err, 409, 'Conflict', /already ended/)
    expect(statuses('updateOperation')).toEqual([200, 409])
  })

  it('401: no Authorization header', async () => {
    // The client always authenticates; a fetch that drops the header plays a misconfigured proxy.
    const stripping: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers)
      headers.delete('authorization')
      return fetch(input, { ...init, headers })
    }
    const client = clientFor(emulator, { retry: RETRY, fetch: stripping })
    const err = await rejectionOf(client.listSubscriptionsPage())
    expectFinal(err, 401, 'Unauthorized', /Authorization header is missing/)
    expect(statuses('listSubscriptions')).toEqual([401])
  })

  it('403: a wrong token', async () => {
    const client = clientFor(emulator, { staticToken: 'not-the-token', retry: RETRY })
    const err = await rejectionOf(client.listSubscriptionsPage())
    expectFinal(err, 403, 'Forbidden', /invalid/)
    expect(statuses('listSubscriptions')).toEqual([403])
  })

  it('logs each refusal once, with its status, code and ids', async () => {
    await rejectionOf(retrying.getSubscription(randomUUID(), { correlationId: 'corr-404' }))
    const [record] = attemptsOf('getSubscription')
    expect(attemptsOf('getSubscription')).toHaveLength(1)
    expect(record).toMatchObject({
      level: 40,
      msg: 'marketplace call failed',
      status: 404,
      code: 'NotFound',
      correlationId: 'corr-404',
      requestId: journal('getSubscription')[0]!.requestId,
      durationMs: expect.any(Number) as number,
    })
  })
})
