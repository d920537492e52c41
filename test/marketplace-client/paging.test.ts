/**
 * List Subscriptions through more than 250 subscriptions (pages of 100): by the async iterator and page by
 * page (`@nextLink` as given, or its `continuationToken`), in a stable order without duplicates; and the
 * client refusing to send its token to another origin than the configured API.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { EmulatorHandle } from '../../emulator/index.ts'
import type { MarketplaceClient, SubscriptionsPage } from '../../marketplace/client/index.ts'
import { clientFor, rejectionOf, startClientEmulator, startStub, answer } from './helpers.ts'

const COUNT = 260
const PLANS = ['basic', 'trial', 'team', 'metered'] as const

let emulator: EmulatorHandle
let client: MarketplaceClient
const bought: string[] = []

beforeAll(async () => {
  emulator = await startClientEmulator()
  client = clientFor(emulator)
  for (let i = 0; i < COUNT; i++) {
    const planId = PLANS[i % PLANS.length]!
    bought.push(emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId }).subscription.id)
  }
})
beforeEach(() => emulator.marketplace.setFaults({}))
afterAll(() => emulator.stop())

const listCalls = () => emulator.marketplace.journal({ kind: 'listSubscriptions' })

async function allPages(first?: string): Promise<SubscriptionsPage[]> {
  const pages: SubscriptionsPage[] = []
  let next = first
  do {
    const page = await client.listSubscriptionsPage(next)
    pages.push(page)
    next = page.nextLink
  } while (next)
  return pages
}

describe(`${COUNT} subscriptions`, () => {
  it('the async iterator yields every one, in purchase order, once, following @nextLink', async () => {
    const before = listCalls().length
    const seen: string[] = []
    for await (const s of client.listSubscriptions({ correlationId: 'sync-all' })) seen.push(s.id)
    expect(seen).toHaveLength(COUNT)
    expect(new Set(seen).size).toBe(COUNT)
    expect(seen).toEqual(bought)

    const calls = listCalls().slice(before)
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200])
    expect(calls.every((c) => c.correlationId === 'sync-all')).toBe(true)
  })

  it('page by page: 100, 100, 60, the last without nextLink; the same again on a second run', async () => {
    const pages = await allPages()
    expect(pages.map((p) => p.subscriptions.length)).toEqual([100, 100, 60])
    expect(pages.slice(0, 2).every((p) => p.nextLink?.startsWith(`${emulator.apiUrl}/saas/subscriptions/?`))).toBe(true)
    expect(pages[2]!.nextLink).toBeUndefined()
    const ids = pages.flatMap((p) => p.subscriptions.map((s) => s.id))
    expect(ids).toEqual(bought)
    expect(new Set(ids).size).toBe(COUNT)

    const again = (await allPages()).flatMap((p) => p.subscriptions.map((s) => s.id))
    expect(again).toEqual(ids)
  })

  it('pages by continuationToken on the documented path without trailing slash', async () => {
    const first = await client.listSubscriptionsPage()
    const token = new URL(first.nextLink!).searchParams.get('continuationToken')!
    expect(token).toBeTruthy()
    const rest = await allPages(`/saas/subscriptions?continuationToken=${encodeURIComponent(token)}`)
    const ids = [...first.subscriptions, ...rest.flatMap((p) => p.subscriptions)].map((s) => s.id)
    expect(ids).toEqual(bought)
  })

  it('a throttled page in the middle is retried without losing or repeating subscriptions', async () => {
    const retrying = clientFor(emulator, { retry: { attempts: 3, baseDelayMs: 5 } })
    const before = listCalls().length
    const seen: string[] = []
    for await (const s of retrying.listSubscriptions()) {
      if (seen.length === 0) {
        // The next page's first attempt is throttled.
        emulator.marketplace.setFaults({
          script: [
            {
              target: 'api',
              kind: '429',
              operationId: 'FulfillmentOperations_ListSubscriptions',
              retryAfterSeconds: 0,
            },
          ],
        })
      }
      seen.push(s.id)
    }
    expect(seen).toEqual(bought)
    expect(
      listCalls()
        .slice(before)
        .map((c) => c.status),
    ).toEqual([200, 429, 200, 200])
  })
})

describe('absolute URLs on another origin', () => {
  let foreign: Awaited<ReturnType<typeof startStub>>

  beforeAll(async () => {
    foreign = await startStub((_req, res) => answer(res, 200, { subscriptions: [] }))
  })
  afterAll(() => foreign.close())

  it('a @nextLink on another host is refused before anything is sent: the token stays home', async () => {
    const links = [
      `${foreign.apiUrl}/saas/subscriptions/?continuationToken=abc&api-version=2018-08-31`,
      // Same host, another port; and the userinfo trick that puts the configured host before an `@`.
      `${foreign.url.replace('127.0.0.1', 'localhost')}/api/saas/subscriptions/`,
      `${emulator.url}@${foreign.url.replace('http://', '')}/api/saas/subscriptions/`,
      `https://${new URL(emulator.url).host}/api/saas/subscriptions/`,
    ]
    for (const link of links) {
      const err = await rejectionOf(client.listSubscriptionsPage(link))
      expect((err as Error).message).toMatch(/refusing to call/)
    }
    expect(foreign.requests).toEqual([])
  })

  it('a redirect to another host is not followed: neither the bearer nor the landing token goes there', async () => {
    const home = await startStub((_req, res) =>
      answer(res, 307, undefined, { location: `${foreign.apiUrl}/saas/subscriptions/resolve?api-version=2018-08-31` }),
    )
    try {
      const redirected = clientFor(emulator, { baseUrl: home.apiUrl, retry: { attempts: 3, baseDelayMs: 5 } })
      const err = await rejectionOf(redirected.resolve('landing+token/=='))
      expect(err).toMatchObject({ status: 307, retryable: false })
      expect(home.requests).toHaveLength(1)
      expect(home.requests[0]!.headers).toMatchObject({ 'x-ms-marketplace-token': 'landing+token/==' })
      expect(foreign.requests).toEqual([])
    } finally {
      await home.close()
    }
  })

  it('a @nextLink on the configured origin is followed as given', async () => {
    const link = `${emulator.apiUrl}/saas/subscriptions/?continuationToken=${encodeURIComponent(
      Buffer.from(JSON.stringify({ skip: 250 })).toString('base64'),
    )}&api-version=2018-08-31`
    const page = await client.listSubscriptionsPage(link)
    expect(page.subscriptions.map((s) => s.id)).toEqual(bought.slice(250))
  })

  it('an Operation-Location on another host is never called: the operation is read from the configured API', async () => {
    const subscribed = bought[0]!
    const transfer = emulator.marketplace.transfer(subscribed) // changes nothing, leaves a Succeeded operation
    const forged = `${foreign.apiUrl}/saas/subscriptions/${subscribed}/operations/${transfer.id}?api-version=2018-08-31`
    const done = await client.awaitOperation(forged, { deadlineMs: 1_000, intervalMs: 20 })
    expect(done).toMatchObject({ id: transfer.id, status: 'Succeeded' })
    expect(foreign.requests).toEqual([])
    expect(emulator.marketplace.journal({ kind: 'getOperation' }).at(-1)).toMatchObject({
      path: `/api/saas/subscriptions/${subscribed}/operations/${transfer.id}`,
      status: 200,
    })
  })
})
