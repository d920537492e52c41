import { ServiceError } from '@temporalio/client'
import { describe, expect, it } from 'vitest'
import { InvalidPageTokenError, visibilityQuery } from '../subscriptions-gateway.ts'
import { auth, decision, fakeGateway, SUB_ID, summary, TENANT, testApi, view } from '../../test/support/api-fakes.ts'

const unavailable = () =>
  new ServiceError('Failed to query Workflow', {
    cause: Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
      code: 14,
      details: 'No connection established',
      metadata: {},
    }),
  })

describe('GET /api/subscriptions', () => {
  it('passes the filter and page through and returns the equivalent Temporal UI query', async () => {
    const { gateway, calls } = fakeGateway({
      list: () => ({ subscriptions: [summary()], nextPageToken: 'next-page_1' }),
    })
    const qs = `status=Suspended&tenantId=${TENANT}&offerId=contoso-saas&planId=gold&pageSize=50&pageToken=abc_-1`
    const res = await testApi(gateway).request(`/api/subscriptions?${qs}`, { headers: auth })
    expect(res.status).toBe(200)
    const filter = {
      status: 'Suspended',
      tenantId: TENANT,
      offerId: 'contoso-saas',
      planId: 'gold',
      pageSize: 50,
      pageToken: 'abc_-1',
    }
    expect(calls).toEqual([['list', filter]])
    expect(await res.json()).toEqual({
      subscriptions: [summary()],
      nextPageToken: 'next-page_1',
      query: visibilityQuery(filter),
    })
  })

  it('searches tenant ids in lower case, as Microsoft writes them', async () => {
    const { gateway, calls } = fakeGateway()
    await testApi(gateway).request(`/api/subscriptions?tenantId=${TENANT.toUpperCase()}`, { headers: auth })
    expect(calls).toEqual([['list', { tenantId: TENANT, pageSize: 100 }]])
  })

  it('asks for 100 subscriptions by default and omits nextPageToken on the last page', async () => {
    const { gateway, calls } = fakeGateway()
    const res = await testApi(gateway).request('/api/subscriptions', { headers: auth })
    expect(calls).toEqual([['list', { pageSize: 100 }]])
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toEqual({ subscriptions: [], query: visibilityQuery({}) })
    expect(body).not.toHaveProperty('nextPageToken')
  })

  it.each([
    'pageSize=0',
    'pageSize=1001',
    'pageSize=2.5',
    'pageSize=many',
    'status=Active',
    'tenantId=contoso',
    'offerId=',
    'pageToken=not%20a%20token',
  ])('refuses %s with 400 and the issues, calling nothing', async (qs) => {
    const { gateway, calls } = fakeGateway()
    const res = await testApi(gateway).request(`/api/subscriptions?${qs}`, { headers: auth })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: string; details: unknown[] }
    expect(body.error).toBe('invalid request')
    expect(body.details.length).toBeGreaterThan(0)
    expect(calls).toEqual([])
  })

  it('answers 400 with what to do for a page token the list did not hand out', async () => {
    const { gateway } = fakeGateway({
      list: () => {
        throw new InvalidPageTokenError('pageToken is not a nextPageToken of this list with these filters')
      },
    })
    const res = await testApi(gateway).request('/api/subscriptions?pageToken=abc', { headers: auth })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toMatch(/pass nextPageToken exactly as returned/)
  })

  it('answers 503 when Temporal is unreachable', async () => {
    const { gateway } = fakeGateway({
      list: () => {
        throw unavailable()
      },
    })
    const res = await testApi(gateway).request('/api/subscriptions', { headers: auth })
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({ error: 'Temporal is unavailable; retry later' })
  })
})

describe('GET /api/subscriptions/{subscriptionId}', () => {
  it('returns the view and the last 20 decision records, newest first (also under their former name)', async () => {
    const log = Array.from({ length: 25 }, (_, i) => decision(i))
    const { gateway, calls } = fakeGateway({ decisions: () => log })
    const res = await testApi(gateway).request(`/api/subscriptions/${SUB_ID}`, { headers: auth })
    expect(res.status).toBe(200)
    type Records = { operationId: string }[]
    const body = (await res.json()) as ReturnType<typeof view> & { decisions: Records; recentOperations: Records }
    expect(body).toMatchObject({ ...view(), saasSubscriptionStatus: 'Subscribed', planId: 'gold', quantity: 25 })
    expect(body.term).toEqual({ termUnit: 'P1M', startDate: '2025-01-01', endDate: '2025-01-31' })
    expect(body.decisions.map((d) => d.operationId)).toEqual(Array.from({ length: 20 }, (_, i) => `op-${24 - i}`))
    expect(body.recentOperations).toEqual(body.decisions)
    // Decisions read first: the view is never older than them.
    expect(calls).toEqual([
      ['decisions', SUB_ID],
      ['get', SUB_ID],
    ])
  })

  it('answers 404 for an unknown subscription', async () => {
    const { gateway } = fakeGateway({ get: () => undefined, decisions: () => undefined })
    const res = await testApi(gateway).request('/api/subscriptions/unknown-id', { headers: auth })
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: 'subscription unknown-id not found' })
  })

  it('refuses an id that cannot be a subscription id with 400', async () => {
    const { gateway, calls } = fakeGateway()
    const res = await testApi(gateway).request('/api/subscriptions/a%22%20OR%20x', { headers: auth })
    expect(res.status).toBe(400)
    expect(calls).toEqual([])
  })

  it('answers 503 when the workflow cannot be queried', async () => {
    const { gateway } = fakeGateway({
      get: () => {
        throw unavailable()
      },
    })
    const res = await testApi(gateway).request(`/api/subscriptions/${SUB_ID}`, { headers: auth })
    expect(res.status).toBe(503)
  })

  it('answers 500 without detail for an unexpected error', async () => {
    const { gateway } = fakeGateway({
      get: () => {
        throw new Error('secret internals')
      },
    })
    const res = await testApi(gateway).request(`/api/subscriptions/${SUB_ID}`, { headers: auth })
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ error: 'internal error' })
  })
})
