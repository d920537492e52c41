/**
 * The SaaS Fulfillment API v2 routes, at the paths of `saasapi.v2.json` under `/api/saas`. Bodies and
 * status codes follow the contract: empty bodies where Microsoft sends them, 202 + `Operation-Location`.
 * @module
 */
import type { EmulatorCore } from '../core/emulator.ts'
import type { Operation } from '../core/types.ts'
import { API_VERSION, createApiRouter } from './api.ts'
import { jsonBody } from './body.ts'

export function createSaasRoutes(core: EmulatorCore, apiUrl: () => string) {
  const { app, route } = createApiRouter(core, (code, message) => ({ error: { code, message } }))
  const { fulfillment } = core
  const subscriptionsUrl = () => `${apiUrl()}/saas/subscriptions`

  const accepted = (operation: Operation) =>
    `${subscriptionsUrl()}/${operation.subscriptionId}/operations/${operation.id}?api-version=${API_VERSION}`

  route('POST', '/subscriptions/resolve', 'FulfillmentOperations_Resolve', (c) => {
    const resolved = fulfillment.resolve(c.req.header('x-ms-marketplace-token'))
    c.set('subscriptionIds', [resolved.id])
    return c.json(resolved)
  })

  // The spec's path has a trailing slash, the docs' has none: both are served.
  for (const path of ['/subscriptions/', '/subscriptions']) {
    route('GET', path, 'FulfillmentOperations_ListSubscriptions', (c) => {
      const page = fulfillment.listSubscriptions(c.req.query('continuationToken'))
      if (!page) return c.body(null, 200)
      const { subscriptions, continuationToken } = page
      if (!continuationToken) return c.json({ subscriptions })
      const query = `continuationToken=${encodeURIComponent(continuationToken)}&api-version=${API_VERSION}`
      return c.json({ subscriptions, '@nextLink': `${subscriptionsUrl()}/?${query}` })
    })
  }

  route('GET', '/subscriptions/:subscriptionId', 'FulfillmentOperations_GetSubscription', (c) =>
    c.json(fulfillment.getSubscription(c.req.param('subscriptionId'))),
  )

  route('PATCH', '/subscriptions/:subscriptionId', 'FulfillmentOperations_UpdateSubscription', async (c) => {
    const operation = fulfillment.updateSubscription(c.req.param('subscriptionId'), await jsonBody(c))
    c.set('operationId', operation.id)
    c.header('Operation-Location', accepted(operation))
    return c.body(null, 202)
  })

  route('DELETE', '/subscriptions/:subscriptionId', 'FulfillmentOperations_DeleteSubscription', (c) => {
    const operation = fulfillment.deleteSubscription(c.req.param('subscriptionId'))
    c.set('operationId', operation.id)
    c.header('Operation-Location', accepted(operation))
    return c.body(null, 202)
  })

  route('GET', '/subscriptions/:subscriptionId/listAvailablePlans', 'FulfillmentOperations_ListAvailablePlans', (c) =>
    c.json(fulfillment.listAvailablePlans(c.req.param('subscriptionId'), c.req.query('planId'))),
  )

  route('POST', '/subscriptions/:subscriptionId/activate', 'FulfillmentOperations_ActivateSubscription', async (c) => {
    fulfillment.activate(c.req.param('subscriptionId'), await jsonBody(c))
    return c.body(null, 200)
  })

  route('GET', '/subscriptions/:subscriptionId/operations', 'SubscriptionOperations_ListOperations', (c) => {
    const operations = fulfillment.listOperations(c.req.param('subscriptionId'))
    return operations.length > 0 ? c.json({ operations }) : c.body(null, 200)
  })

  route(
    'GET',
    '/subscriptions/:subscriptionId/operations/:operationId',
    'SubscriptionOperations_GetOperationStatus',
    (c) => c.json(fulfillment.getOperation(c.req.param('subscriptionId'), c.req.param('operationId'))),
  )

  route(
    'PATCH',
    '/subscriptions/:subscriptionId/operations/:operationId',
    'SubscriptionOperations_UpdateOperationStatus',
    async (c) => {
      const { subscriptionId, operationId } = c.req.param()
      fulfillment.updateOperation(subscriptionId, operationId, await jsonBody(c))
      return c.body(null, 200)
    },
  )

  return app
}
