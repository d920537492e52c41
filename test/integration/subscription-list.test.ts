/**
 * `GET /api/subscriptions` pages through Temporal's real visibility store, and a `pageToken` it did not
 * hand out is an immediate 400 (Temporal itself answers a token it cannot read with a retryable UNKNOWN,
 * which took about 18 s of retries and then became a 503).
 */
import { randomUUID } from 'node:crypto'
import { Client, Connection } from '@temporalio/client'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { silentLogger } from '../../config/logger.ts'
import { api } from '../../server/api/index.ts'
import { createSubscriptionsGateway, type SubscriptionSummary } from '../../server/subscriptions-gateway.ts'
import { OfferIdKey, SubscriptionIdKey } from '../../workflows/search-attributes.ts'
import { subscriptionWorkflow, subscriptionWorkflowId } from '../../workflows/subscription.ts'
import { eventually, temporalSettings } from '../support/harness.ts'

const API_KEY = 'test-admin-api-key-0123456789'
const offerId = `paging-${randomUUID()}`
const ids = [randomUUID(), randomUUID(), randomUUID()]

let connection: Connection
let app: ReturnType<typeof api>

beforeAll(async () => {
  const settings = temporalSettings()
  connection = await Connection.connect(settings.connectionOptions)
  const client = new Client({ connection, namespace: settings.namespace })
  // Workflows nobody runs (no worker polls this queue): visibility lists them from their start.
  const taskQueue = `nobody-${randomUUID()}`
  for (const id of ids) {
    await client.workflow.start(subscriptionWorkflow, {
      workflowId: subscriptionWorkflowId(id),
      taskQueue,
      args: [{ subscriptionId: id } as Parameters<typeof subscriptionWorkflow>[0]],
      typedSearchAttributes: [
        { key: SubscriptionIdKey, value: id },
        { key: OfferIdKey, value: offerId },
      ],
    })
  }
  const gateway = createSubscriptionsGateway({ client, taskQueue, settings: {} as never })
  app = api({ subscriptions: gateway, admin: { apiKey: API_KEY }, logger: silentLogger })
})
afterAll(() => connection?.close())

const list = (qs: string) =>
  app.request(`/api/subscriptions?${qs}`, { headers: { authorization: `Bearer ${API_KEY}` } })
type Page = { subscriptions: SubscriptionSummary[]; nextPageToken?: string }

it('pages with the tokens it hands out', async () => {
  const seen: string[] = []
  await eventually(
    async () => {
      seen.length = 0
      let token: string | undefined
      do {
        const res = await list(`offerId=${offerId}&pageSize=1${token ? `&pageToken=${token}` : ''}`)
        expect(res.status).toBe(200)
        const page = (await res.json()) as Page
        seen.push(...page.subscriptions.map((s) => s.subscriptionId))
        token = page.nextPageToken
      } while (token)
      return seen.length === ids.length
    },
    { what: 'all three listed, one page at a time' },
  )
  expect(seen.sort()).toEqual([...ids].sort())
})

it('answers 400, without asking Temporal, for a token it did not hand out', async () => {
  const first = (await (await list(`offerId=${offerId}&pageSize=1`)).json()) as Page
  const token = first.nextPageToken!
  expect(token).toBeTruthy()
  const changed = `${token.slice(0, -2)}${token.endsWith('A') ? 'B' : 'A'}A`
  for (const qs of [
    'pageToken=abc', // made up (what took 18 s and became a 503)
    `offerId=${offerId}&pageSize=1&pageToken=${token.slice(0, 30)}`, // cut
    `offerId=${offerId}&pageSize=1&pageToken=${changed}`, // altered
    `offerId=other&pageSize=1&pageToken=${token}`, // from a list with other filters
  ]) {
    // Had the token reached Temporal, the answer would be its UNKNOWN, retried, then a 503.
    const res = await list(qs)
    expect(res.status, qs).toBe(400)
    expect(((await res.json()) as { error: string }).error).toMatch(/pageToken/)
  }
})
