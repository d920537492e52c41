/**
 * Lenient where Microsoft says it may add fields or values, strict about what the service needs: the
 * parsers on crafted payloads, and the client on a local server answering what the emulator never sends
 * (a string quantity, new term units and actions, a `Conflict` operation, a body the client cannot use).
 */
import type { ServerResponse } from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  createMarketplaceClient,
  MarketplaceError,
  parseOperationLocation,
  type MarketplaceClient,
} from '../../marketplace/client/index.ts'
import { parseRetryAfter, readErrorBody } from '../../marketplace/client/errors.ts'
import {
  operationListSchema,
  operationSchema,
  plansSchema,
  quantitySchema,
  subscriptionSchema,
  subscriptionsPageSchema,
  usageConflictSchema,
  usageEventResultSchema,
  usageEventSchema,
  usageRecordsSchema,
  webhookPayloadSchema,
} from '../../marketplace/schemas.ts'
import { silentLogger } from '../../config/logger.ts'
import { answer, captureLogs, rejectionOf, startStub } from './helpers.ts'

const SUB = '8b7c1a3e-1f2d-4c5b-9a8e-7d6c5b4a3f21'
const OP = '2f9e8d7c-6b5a-4938-8271-605f4e3d2c1b'

/** A subscription as Microsoft's docs show it, with the oddities they show. */
const microsoftSubscription = (overrides: object = {}) => ({
  id: SUB,
  publisherId: 'contoso',
  offerId: 'contoso-analytics',
  name: 'Contoso Analytics 1',
  saasSubscriptionStatus: ' Subscribed ',
  beneficiary: { emailId: 'a@b.example', objectId: 'o', tenantId: 't', puid: null },
  purchaser: { emailId: 'a@b.example', objectId: 'o', tenantId: 't', puid: '1000' },
  planId: 'team',
  quantity: '5',
  term: { termUnit: 'P5Y', startDate: '2025-01-01', endDate: '2029-12-31', chargeDuration: null },
  autoRenew: true,
  isTest: false,
  isFreeTrial: false,
  allowedCustomerOperations: ['Delete', 'Update', 'Read'],
  sandboxType: 'None',
  sessionMode: 'None',
  lastModified: '0001-01-01T00:00:00',
  someFieldMicrosoftAddsLater: { nested: true },
  ...overrides,
})

describe('parsers', () => {
  it('quantity: a number, a numeric string, "" or null; anything else is refused', () => {
    expect(quantitySchema.parse(5)).toBe(5)
    expect(quantitySchema.parse('5')).toBe(5)
    expect(quantitySchema.parse(' 12 ')).toBe(12)
    expect(quantitySchema.parse('')).toBeUndefined()
    expect(quantitySchema.parse(null)).toBeUndefined()
    expect(quantitySchema.parse(undefined)).toBeUndefined()
    expect(quantitySchema.safeParse('five').success).toBe(false)
    expect(quantitySchema.safeParse({}).success).toBe(false)
  })

  it('a subscription: trims the status, takes new term units, keeps unknown fields', () => {
    const s = subscriptionSchema.parse(microsoftSubscription())
    expect(s).toMatchObject({
      id: SUB,
      saasSubscriptionStatus: 'Subscribed',
      quantity: 5,
      term: { termUnit: 'P5Y', chargeDuration: undefined },
      beneficiary: { puid: undefined },
      lastModified: '0001-01-01T00:00:00',
      someFieldMicrosoftAddsLater: { nested: true },
    })
    for (const termUnit of ['P1M', 'P1Y', 'P2Y', 'P3Y', 'P4Y', 'P5Y', 'P10Y']) {
      expect(subscriptionSchema.parse(microsoftSubscription({ term: { termUnit } })).term?.termUnit).toBe(termUnit)
    }
    const bare = subscriptionSchema.parse({ id: SUB, saasSubscriptionStatus: 'PendingFulfillmentStart' })
    expect(bare).toMatchObject({ offerId: '', planId: '', isTest: false, isFreeTrial: false })
    expect(bare.quantity).toBeUndefined()
    expect(subscriptionSchema.parse(microsoftSubscription({ quantity: null, term: null })).term).toBeUndefined()
  })

  it('a subscription without what the service needs is refused: no id, an unknown status', () => {
    expect(subscriptionSchema.safeParse(microsoftSubscription({ id: undefined })).success).toBe(false)
    expect(subscriptionSchema.safeParse(microsoftSubscription({ id: '' })).success).toBe(false)
    expect(subscriptionSchema.safeParse(microsoftSubscription({ saasSubscriptionStatus: 'Gone' })).success).toBe(false)
    expect(subscriptionSchema.safeParse(microsoftSubscription({ quantity: 'lots' })).success).toBe(false)
  })

  it('an operation: any action string, trimmed status, string quantity; ids required', () => {
    const base = { id: OP, subscriptionId: SUB, action: 'ChangeQuantity', status: 'InProgress', quantity: '7' }
    expect(operationSchema.parse(base)).toMatchObject({ quantity: 7, status: 'InProgress' })
    for (const action of ['Subscribe', 'Transfer', 'SomethingMicrosoftAddsLater', ' Renew ']) {
      expect(operationSchema.parse({ ...base, action }).action).toBe(action.trim())
    }
    expect(operationSchema.parse({ ...base, status: ' Conflict ' }).status).toBe('Conflict')
    expect(operationSchema.parse({ ...base, extra: 1 })).toHaveProperty('extra', 1)
    expect(operationSchema.safeParse({ ...base, id: undefined }).success).toBe(false)
    expect(operationSchema.safeParse({ ...base, subscriptionId: '' }).success).toBe(false)
    expect(operationSchema.safeParse({ ...base, status: 'Done' }).success).toBe(false)
  })

  it('an empty body is an empty list', () => {
    for (const empty of [undefined, null, {}]) {
      expect(subscriptionsPageSchema.parse(empty)).toEqual({ subscriptions: [], '@nextLink': undefined })
      expect(operationListSchema.parse(empty)).toEqual({ operations: [] })
      expect(plansSchema.parse(empty)).toEqual({ plans: [] })
    }
    expect(usageRecordsSchema.parse(undefined)).toEqual([])
    expect(subscriptionsPageSchema.parse({ subscriptions: null, '@nextLink': '' })['@nextLink']).toBe('')
  })

  it('a marketplace that answers List Subscriptions with a bare array gives one last page', () => {
    const page = subscriptionsPageSchema.parse([])
    expect(page).toEqual({ subscriptions: [], '@nextLink': undefined })
    expect(subscriptionsPageSchema.safeParse([{ id: SUB }]).success).toBe(false)
  })

  it('webhook payloads: old ones with operationType, minimal ones, unknown actions', () => {
    const old = webhookPayloadSchema.parse({ id: OP, subscriptionId: SUB, operationType: 'Unsubscribe' })
    expect(old.action).toBe('Unsubscribe')
    expect(old).not.toHaveProperty('operationType')
    const current = webhookPayloadSchema.parse({
      id: OP,
      subscriptionId: SUB,
      action: 'Transfer',
      status: 'Succeeded',
      quantity: '',
      subscription: microsoftSubscription(),
      purchaseToken: null,
      newField: 'kept',
    })
    expect(current).toMatchObject({ action: 'Transfer', quantity: undefined, newField: 'kept' })
    expect(current.subscription?.quantity).toBe(5)
    expect(webhookPayloadSchema.safeParse({ subscriptionId: SUB, action: 'Renew' }).success).toBe(false)
  })

  it('usage: the event sent is strict; what comes back is lenient', () => {
    const event = {
      resourceId: SUB,
      quantity: 1.5,
      dimension: 'api-calls',
      effectiveStartTime: '2025-01-01T10:00:00Z',
      planId: 'metered',
    }
    expect(usageEventSchema.parse(event)).toEqual(event)
    expect(usageEventSchema.safeParse({ ...event, quantity: 0 }).success).toBe(false)
    expect(usageEventSchema.safeParse({ ...event, quantity: '1' }).success).toBe(false)
    expect(usageEventSchema.safeParse({ ...event, dimension: '' }).success).toBe(false)

    expect(usageEventResultSchema.parse({ status: ' Accepted ', resourceUri: null, brandNew: 1 })).toMatchObject({
      status: 'Accepted',
      resourceUri: undefined,
      brandNew: 1,
    })
    expect(usageEventResultSchema.parse({ status: 'SomeNewStatus' }).status).toBe('SomeNewStatus')
    expect(
      usageConflictSchema.parse({
        code: 'Conflict',
        additionalInfo: { acceptedMessage: { usageEventId: 'u1', status: 'Duplicate' } },
      }).additionalInfo?.acceptedMessage.usageEventId,
    ).toBe('u1')
  })

  it('error bodies of both shapes, Retry-After in seconds or as a date, Operation-Location ids', () => {
    expect(readErrorBody({ error: { code: 'BadRequest', message: 'no' } })).toEqual({
      code: 'BadRequest',
      message: 'no',
    })
    expect(readErrorBody({ code: 'BadArgument', message: 'no', details: [] })).toEqual({
      code: 'BadArgument',
      message: 'no',
    })
    expect(readErrorBody('<html>')).toEqual({})
    expect(readErrorBody(undefined)).toEqual({})

    expect(parseRetryAfter('3')).toBe(3_000)
    expect(parseRetryAfter('0')).toBe(0)
    const now = Date.parse('2025-01-01T00:00:00Z')
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5_000)
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon')).toBeUndefined()
    expect(parseRetryAfter(null)).toBeUndefined()

    expect(
      parseOperationLocation(
        `https://marketplaceapi.microsoft.com/api/saas/subscriptions/${SUB}/operations/${OP}?api-version=2018-08-31`,
      ),
    ).toEqual({ subscriptionId: SUB, operationId: OP })
    expect(() => parseOperationLocation('https://marketplaceapi.microsoft.com/api/saas/subscriptions/')).toThrow()
  })
})

describe('the client on answers the emulator never gives', () => {
  /** What the local server answers next, by path. */
  let routes: Record<string, (res: ServerResponse) => void>
  let stub: Awaited<ReturnType<typeof startStub>>
  let client: MarketplaceClient

  beforeAll(async () => {
    stub = await startStub((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      const route = routes[path]
      if (route) route(res)
      else answer(res, 404, { error: { code: 'NotFound', message: `no route ${path}` } })
    })
    client = createMarketplaceClient({
      baseUrl: stub.apiUrl,
      staticToken: 'stub-token',
      logger: silentLogger,
      timeoutMs: 300,
    })
  })
  beforeEach(() => {
    routes = {}
    stub.requests.length = 0
  })
  afterAll(() => stub.close())

  const subPath = `/api/saas/subscriptions/${SUB}`
  const opPath = `${subPath}/operations/${OP}`

  it('reads a subscription with a string quantity, padded status, a new term unit and unknown fields', async () => {
    routes[subPath] = (res) => answer(res, 200, microsoftSubscription())
    const s = await client.getSubscription(SUB)
    expect(s).toMatchObject({ quantity: 5, saasSubscriptionStatus: 'Subscribed', term: { termUnit: 'P5Y' } })
    expect(s).toHaveProperty('someFieldMicrosoftAddsLater')
    expect(stub.requests[0]).toMatchObject({
      method: 'GET',
      url: `${subPath}?api-version=2018-08-31`,
      headers: { authorization: 'Bearer stub-token' },
    })
  })

  it('reads an empty body as no operations and no plans', async () => {
    routes[`${subPath}/operations`] = (res) => answer(res, 200)
    routes[`${subPath}/listAvailablePlans`] = (res) => answer(res, 200)
    expect(await client.listOperations(SUB)).toEqual([])
    expect(await client.listAvailablePlans(SUB, { planId: 'gold' })).toEqual([])
    expect(stub.requests[1]!.url).toBe(`${subPath}/listAvailablePlans?planId=gold&api-version=2018-08-31`)
  })

  it('awaitOperation ends on Conflict, and takes an action it does not know', async () => {
    let polls = 0
    routes[opPath] = (res) => {
      polls++
      const status = polls < 3 ? 'InProgress' : 'Conflict'
      answer(res, 200, { id: OP, subscriptionId: SUB, action: 'ChangeSeatsV2', status, quantity: '3' })
    }
    const location = `${stub.apiUrl}/saas/subscriptions/${SUB}/operations/${OP}?api-version=2018-08-31`
    const done = await client.awaitOperation(location, { deadlineMs: 2_000, intervalMs: 10 })
    expect(done).toMatchObject({ status: 'Conflict', action: 'ChangeSeatsV2', quantity: 3 })
    expect(polls).toBe(3)
  })

  it('a 202 whose Operation-Location carries encoded ids is read back decoded', async () => {
    routes[subPath] = (res) =>
      answer(res, 202, undefined, {
        'operation-location': `${stub.apiUrl}/saas/subscriptions/${SUB}/operations/op%2B1?api-version=2018-08-31`,
      })
    expect(await client.changeQuantity(SUB, 3)).toMatchObject({ operationId: 'op+1' })
  })

  it('an answer without what the service needs is a non-retryable invalid-response error, logged', async () => {
    const { logger, records } = captureLogs()
    const strict = createMarketplaceClient({ baseUrl: stub.apiUrl, staticToken: 'stub-token', logger })
    routes[subPath] = (res) => answer(res, 200, microsoftSubscription({ id: undefined }))
    const err = await rejectionOf(strict.getSubscription(SUB))
    expect(err).toBeInstanceOf(MarketplaceError)
    expect(err).toMatchObject({ kind: 'invalid-response', status: 200, retryable: false })
    expect(records).toMatchObject([{ level: 50, msg: 'marketplace answer not understood', status: 200 }])

    routes[subPath] = (res) => answer(res, 200)
    expect(await rejectionOf(strict.getSubscription(SUB))).toMatchObject({ kind: 'invalid-response' })
  })

  it('a non-JSON error page keeps its status and stays retryable for 5xx', async () => {
    routes[subPath] = (res) => {
      res.writeHead(503, { 'content-type': 'text/html', 'retry-after': '2' })
      res.end('<html>Service Unavailable</html>')
    }
    expect(await rejectionOf(client.getSubscription(SUB))).toMatchObject({
      kind: 'unavailable',
      status: 503,
      code: undefined,
      retryAfterMs: 2_000,
      retryable: true,
      body: '<html>Service Unavailable</html>',
    })
  })

  it('a body that stops arriving times out like a missing answer, not an empty list', async () => {
    routes['/api/saas/subscriptions/'] = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"subscriptions": [')
      // …and nothing more until the client gives up.
    }
    const err = await rejectionOf(client.listSubscriptionsPage())
    expect(err).toBeInstanceOf(MarketplaceError)
    expect(err).toMatchObject({ kind: 'timeout', retryable: true })
  })

  it('a body cut off by the network is a retryable network error, not an empty list', async () => {
    routes[`${subPath}/operations`] = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"operations": [')
      setTimeout(() => res.socket?.destroy(), 20)
    }
    const err = await rejectionOf(client.listOperations(SUB))
    expect(err).toBeInstanceOf(MarketplaceError)
    expect(err).toMatchObject({ kind: 'network', retryable: true })
  })
})
