/**
 * Reading subscriptions: `GET /api/subscriptions` (a page from Temporal's visibility, with the same search
 * as a Temporal UI query string so an operator can paste it) and `GET /api/subscriptions/{subscriptionId}`
 * (the workflow's own view, plus its latest decision records, newest first; `recentOperations` is their
 * former name, still answered).
 *
 * The list is eventually consistent (visibility lags a workflow by about a second); the single view is
 * the workflow's current state.
 * @module
 */
import { z } from '@hono/zod-openapi'
import { visibilityQuery, type SubscriptionsGateway } from '../subscriptions-gateway.ts'
import { notFound } from './errors.ts'
import { apiApp, errorResponses, jsonResponse, securedRoute, type RouteDeps } from './route.ts'
import { statusSchema, subscriptionDetailSchema, summarySchema, SUBSCRIPTION_ID_EXAMPLE } from './schemas.ts'

/** How many decision records a subscription's detail carries. */
export const RECENT_DECISIONS = 20

export const subscriptionIdParams = z.object({
  subscriptionId: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a subscription id (letters, digits and dashes)')
    .openapi({ param: { name: 'subscriptionId', in: 'path' }, example: SUBSCRIPTION_ID_EXAMPLE }),
})

const filterText = z.string().min(1).max(256)

const listQuery = z.object({
  status: statusSchema.optional(),
  tenantId: z.guid().toLowerCase().optional().openapi({ description: 'Beneficiary or purchaser tenant.' }),
  offerId: filterText.optional().openapi({ example: 'contoso-saas' }),
  planId: filterText.optional().openapi({ example: 'gold' }),
  pageSize: z.coerce.number().int().min(1).max(1000).default(100),
  pageToken: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,4096}$/, 'must be a nextPageToken from a previous page')
    .optional()
    .openapi({ description: '`nextPageToken` of the previous page.' }),
})

const listResponse = z
  .object({
    subscriptions: z.array(summarySchema),
    nextPageToken: z.string().optional().openapi({ description: 'Absent on the last page.' }),
    query: z.string().openapi({
      description: 'The same search as a Temporal UI query.',
      example: 'WorkflowType = "subscriptionWorkflow" AND SaasStatus = "Suspended"',
    }),
  })
  .openapi('SubscriptionPage')

export interface SubscriptionReadDeps extends RouteDeps {
  subscriptions: Pick<SubscriptionsGateway, 'list' | 'get' | 'decisions'>
}

export function subscriptionReads(deps: SubscriptionReadDeps) {
  const { subscriptions, auth } = deps
  const list = securedRoute(
    {
      method: 'get',
      path: '/api/subscriptions',
      operationId: 'listSubscriptions',
      tags: ['subscriptions'],
      summary: 'List subscriptions, newest first, one page at a time',
      request: { query: listQuery },
      responses: { 200: jsonResponse(listResponse, 'One page of subscriptions'), ...errorResponses(400) },
    },
    auth,
  )
  const get = securedRoute(
    {
      method: 'get',
      path: '/api/subscriptions/{subscriptionId}',
      operationId: 'getSubscription',
      tags: ['subscriptions'],
      summary: 'A subscription: status, plan, quantity, term, where it stands and its latest decisions',
      request: { params: subscriptionIdParams },
      responses: { 200: jsonResponse(subscriptionDetailSchema, 'The subscription'), ...errorResponses(400, 404) },
    },
    auth,
  )

  return apiApp()
    .openapi(list, async (c) => {
      const filter = c.req.valid('query')
      const page = await subscriptions.list(filter)
      return c.json({ ...page, query: visibilityQuery(filter) }, 200)
    })
    .openapi(get, async (c) => {
      const { subscriptionId } = c.req.valid('param')
      // One query after the other: two at once on a workflow that is busy can wait on each other for seconds.
      // Decisions first, so the view is never older than the decisions it comes with: a caller who sees a
      // customer change's decision and no pending change knows that change is settled (the other way round,
      // an answer could show the decision of a change opened between the two reads, and no pending change).
      const log = await subscriptions.decisions(subscriptionId)
      const view = await subscriptions.get(subscriptionId)
      if (!view) return notFound(c, subscriptionId)
      const decisions = (log ?? []).slice(-RECENT_DECISIONS).reverse()
      return c.json({ ...view, decisions, recentOperations: decisions }, 200)
    })
}
