/**
 * `GET /api/entitlements?tenantId=…`: the vendor's app asks "is this tenant entitled, to which plan and
 * how many seats?".
 *
 * It lists the subscriptions whose beneficiary or purchaser is the tenant, except Unsubscribed ones;
 * `entitled` is true only for `Subscribed` (a Suspended customer keeps its data but not its access, and
 * a pending one has not been activated yet). Answered from Temporal's visibility store, which keeps
 * working while workers are down and lags the workflows by about a second.
 * @module
 */
import { z } from '@hono/zod-openapi'
import type { SubscriptionsGateway, SubscriptionSummary } from '../subscriptions-gateway.ts'
import { apiApp, errorResponses, jsonResponse, securedRoute, type RouteDeps } from './route.ts'
import { SUBSCRIPTION_ID_EXAMPLE, TENANT_ID_EXAMPLE } from './schemas.ts'
import type { IncludedRemaining } from '../../metering/read.ts'

/** Enough for any real tenant; a bound so one call cannot walk the whole store. */
const MAX_PAGES = 10
const PAGE_SIZE = 1000

const entitlementSchema = z
  .object({
    subscriptionId: z.string().openapi({ example: SUBSCRIPTION_ID_EXAMPLE }),
    offerId: z.string().optional().openapi({ example: 'contoso-saas' }),
    planId: z.string().optional().openapi({ example: 'gold' }),
    quantity: z.number().optional().openapi({ example: 25 }),
    status: z.string().optional().openapi({ example: 'Subscribed' }),
    entitled: z.boolean().openapi({ description: 'True only when the status is Subscribed.' }),
    isFreeTrial: z.boolean(),
    isTest: z.boolean(),
    included: z
      .array(
        z.object({
          dimension: z.string().openapi({ example: 'api-calls' }),
          periodStart: z.string().openapi({ description: 'Start of the current term period (month or year).' }),
          included: z.number(),
          consumed: z.number(),
          remaining: z.number().openapi({ description: 'Included quantity left in this term period.' }),
        }),
      )
      .optional()
      .openapi({
        description: 'Metered dimensions of the plan (when metering is on): what the base price still covers.',
      }),
  })
  .openapi('Entitlement')

const entitlementsResponse = z
  .object({ tenantId: z.string().openapi({ example: TENANT_ID_EXAMPLE }), entitlements: z.array(entitlementSchema) })
  .openapi('Entitlements')

const entitlementsQuery = z.object({
  tenantId: z
    .guid()
    .toLowerCase()
    .openapi({ description: 'Entra tenant id of the customer.', example: TENANT_ID_EXAMPLE }),
})

export interface EntitlementsDeps extends RouteDeps {
  subscriptions: Pick<SubscriptionsGateway, 'list'>
  /** The included quantities left per metered dimension (metering on). */
  included?: (subscriptionId: string) => Promise<IncludedRemaining[]>
}

export function entitlements(deps: EntitlementsDeps) {
  const route = securedRoute(
    {
      method: 'get',
      path: '/api/entitlements',
      operationId: 'getEntitlements',
      tags: ['entitlements'],
      summary: "A tenant's subscriptions and whether each entitles it to the product",
      request: { query: entitlementsQuery },
      responses: { 200: jsonResponse(entitlementsResponse, "The tenant's entitlements"), ...errorResponses(400) },
    },
    deps.auth,
  )

  return apiApp().openapi(route, async (c) => {
    // Lower-cased by the schema, as Microsoft writes tenant ids: whatever case the caller used matches.
    const { tenantId } = c.req.valid('query')
    const found = await subscriptionsOf(deps.subscriptions, tenantId)
    const active = found.filter((s) => s.status !== 'Unsubscribed')
    const listed = active.map(entitlementOf)
    const { included } = deps
    if (included) await Promise.all(listed.map(async (e) => (e.included = await included(e.subscriptionId))))
    return c.json({ tenantId, entitlements: listed }, 200)
  })
}

/** Every subscription of the tenant, once each (the newest run wins if a subscription is listed twice). */
async function subscriptionsOf(gateway: EntitlementsDeps['subscriptions'], tenantId: string) {
  const byId = new Map<string, SubscriptionSummary>()
  let pageToken: string | undefined
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await gateway.list({ tenantId, pageSize: PAGE_SIZE, pageToken })
    for (const s of result.subscriptions) {
      const ofTenant = [s.beneficiaryTenantId, s.purchaserTenantId].some((t) => t?.toLowerCase() === tenantId)
      if (ofTenant && s.subscriptionId && !byId.has(s.subscriptionId)) byId.set(s.subscriptionId, s)
    }
    pageToken = result.nextPageToken
    if (!pageToken) break
  }
  return [...byId.values()]
}

function entitlementOf(s: SubscriptionSummary): z.output<typeof entitlementSchema> {
  return {
    subscriptionId: s.subscriptionId,
    offerId: s.offerId,
    planId: s.planId,
    quantity: s.quantity,
    status: s.status,
    entitled: s.status === 'Subscribed',
    isFreeTrial: s.isFreeTrial ?? false,
    isTest: s.isTest ?? false,
  }
}
