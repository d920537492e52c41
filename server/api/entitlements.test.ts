import { describe, expect, it } from 'vitest'
import type { ListFilter } from '../subscriptions-gateway.ts'
import { auth, fakeGateway, summary, TENANT, testApi } from '../../test/support/api-fakes.ts'

const OTHER = '11111111-0000-4000-8000-000000000002'
const get = (app: ReturnType<typeof testApi>, tenantId: string) =>
  app.request(`/api/entitlements?tenantId=${tenantId}`, { headers: auth })

describe('GET /api/entitlements', () => {
  it("lists the tenant's subscriptions except Unsubscribed ones; only Subscribed entitles", async () => {
    const { gateway, calls } = fakeGateway({
      list: () => ({
        subscriptions: [
          summary({ subscriptionId: 's-1', status: 'Subscribed', planId: 'gold', quantity: 25 }),
          summary({ subscriptionId: 's-2', status: 'Suspended', isFreeTrial: true }),
          summary({ subscriptionId: 's-3', status: 'PendingFulfillmentStart', quantity: undefined, isTest: true }),
          summary({ subscriptionId: 's-4', status: 'Unsubscribed' }),
          summary({ subscriptionId: 's-5', beneficiaryTenantId: OTHER, purchaserTenantId: TENANT, planId: 'silver' }),
          summary({ subscriptionId: 's-6', beneficiaryTenantId: OTHER, purchaserTenantId: OTHER }),
        ],
      }),
    })
    const res = await get(testApi(gateway), TENANT)
    expect(res.status).toBe(200)
    expect(calls).toEqual([['list', { tenantId: TENANT, pageSize: 1000, pageToken: undefined }]])
    const common = { offerId: 'contoso-saas', planId: 'gold', quantity: 25, isFreeTrial: false, isTest: false }
    expect(await res.json()).toEqual({
      tenantId: TENANT,
      entitlements: [
        { ...common, subscriptionId: 's-1', status: 'Subscribed', entitled: true },
        { ...common, subscriptionId: 's-2', status: 'Suspended', entitled: false, isFreeTrial: true },
        {
          ...common,
          subscriptionId: 's-3',
          status: 'PendingFulfillmentStart',
          entitled: false,
          isTest: true,
          quantity: undefined,
        },
        { ...common, subscriptionId: 's-5', status: 'Subscribed', entitled: true, planId: 'silver' },
      ].map((e) => JSON.parse(JSON.stringify(e)) as unknown),
    })
  })

  it('walks every page and keeps the newest run of a subscription listed twice', async () => {
    const pages: Record<string, { subscriptions: ReturnType<typeof summary>[]; nextPageToken?: string }> = {
      first: { subscriptions: [summary({ subscriptionId: 's-1', status: 'Unsubscribed' })], nextPageToken: 'p2' },
      p2: {
        subscriptions: [summary({ subscriptionId: 's-1', status: 'Subscribed', running: false })],
        nextPageToken: 'p3',
      },
      p3: { subscriptions: [summary({ subscriptionId: 's-2' })] },
    }
    const { gateway, calls } = fakeGateway({ list: (filter: ListFilter) => pages[filter.pageToken ?? 'first'] })
    const body = (await (await get(testApi(gateway), TENANT)).json()) as { entitlements: { subscriptionId: string }[] }
    expect(calls.map((c) => (c[1] as ListFilter).pageToken)).toEqual([undefined, 'p2', 'p3'])
    expect(body.entitlements.map((e) => e.subscriptionId)).toEqual(['s-2'])
  })

  it('matches the tenant whatever the case the caller used', async () => {
    const { gateway, calls } = fakeGateway({ list: () => ({ subscriptions: [summary()] }) })
    const body = (await (await get(testApi(gateway), TENANT.toUpperCase())).json()) as {
      tenantId: string
      entitlements: unknown[]
    }
    expect(calls[0]?.[1]).toMatchObject({ tenantId: TENANT })
    expect(body).toMatchObject({ tenantId: TENANT, entitlements: [expect.anything()] })
  })

  it.each(['', 'contoso', `${TENANT}x`])('refuses tenantId=%s with 400 and calls nothing', async (tenantId) => {
    const { gateway, calls } = fakeGateway()
    const res = await get(testApi(gateway), tenantId)
    expect(res.status).toBe(400)
    expect(calls).toEqual([])
  })

  it('refuses a missing tenantId with 400', async () => {
    const { gateway } = fakeGateway()
    const res = await testApi(gateway).request('/api/entitlements', { headers: auth })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'invalid request' })
  })
})
