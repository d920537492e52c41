/**
 * Asking a subscription to change: the vendor's plan/quantity changes and cancellation, the vendor's
 * report on an asynchronous provisioning, and an operator's retry or resync.
 *
 * Changes and cancellation are Temporal updates: the workflow PATCHes or DELETEs the subscription at
 * Microsoft, follows `Operation-Location` to the operation's end, and only then answers, so these calls
 * take seconds. 200 means Microsoft applied it; 409 means it was not possible now (the workflow refused
 * before calling Microsoft) or Microsoft did not apply it (the body's `details` holds the result).
 * Provisioning reports, retries and resyncs are signals: 202 once the workflow has them durably.
 * @module
 */
import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { Logger } from '../../config/logger.ts'
import type { VendorRequestResult } from '../../workflows/subscription.ts'
import type { SubscriptionsGateway } from '../subscriptions-gateway.ts'
import { apiApp, errorResponses, jsonResponse, securedRoute, type ApiEnv, type RouteDeps } from './route.ts'
import { acceptedSchema, requestResultSchema } from './schemas.ts'
import { subscriptionIdParams } from './subscriptions.ts'

const changePlanBody = z
  .object({ planId: z.string().trim().min(1).max(256).openapi({ example: 'platinum' }) })
  .openapi('ChangePlan')
const changeQuantityBody = z
  .object({ quantity: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).openapi({ example: 30 }) })
  .openapi('ChangeQuantity')
const provisioningBody = z
  .object({
    status: z.enum(['succeeded', 'failed']),
    message: z.string().max(2000).optional().openapi({ example: 'tenant database created' }),
  })
  .openapi('ProvisioningReport')

const json = <T>(schema: T) => ({ required: true, content: { 'application/json': { schema } } })
const tags = ['subscriptions']
const changeResponses = {
  200: jsonResponse(requestResultSchema, 'Microsoft applied the request'),
  ...errorResponses(400, 404, 409, 410),
}
const acceptedResponses = {
  202: jsonResponse(acceptedSchema, 'The subscription has it durably'),
  ...errorResponses(400, 404, 410),
}

export interface SubscriptionRequestDeps extends RouteDeps {
  subscriptions: Pick<
    SubscriptionsGateway,
    'changePlan' | 'changeQuantity' | 'cancel' | 'reportProvisioning' | 'retry' | 'resync'
  >
  logger: Logger
}

export function subscriptionRequests(deps: SubscriptionRequestDeps) {
  const { subscriptions, auth, logger } = deps
  const path = '/api/subscriptions/{subscriptionId}'
  const route = <R extends Parameters<typeof securedRoute>[0]>(r: R) => securedRoute({ tags, ...r }, auth)

  /** Logs who asked for what and how it ended; answers 200 only for `succeeded`. */
  async function answer(
    c: Context<ApiEnv>,
    action: string,
    subscriptionId: string,
    send: () => Promise<VendorRequestResult>,
  ) {
    const result = await send()
    const { outcome, requestId, operationId, message } = result
    logger.info(
      { principal: c.get('principal'), subscriptionId, action, outcome, requestId, operationId, message },
      'vendor request ended',
    )
    if (outcome === 'succeeded') return c.json(result, 200)
    const error = message ?? (outcome === 'refused' ? 'not possible now' : 'Microsoft did not apply the request')
    return c.json({ error, details: result }, 409)
  }

  const planRoute = route({
    method: 'post',
    path: `${path}/plan`,
    operationId: 'changePlan',
    summary: "Move the subscription to another plan (PATCH at Microsoft); waits for Microsoft's confirmation",
    request: { params: subscriptionIdParams, body: json(changePlanBody) },
    responses: changeResponses,
  })
  const quantityRoute = route({
    method: 'post',
    path: `${path}/quantity`,
    operationId: 'changeQuantity',
    summary: "Change the number of seats (PATCH at Microsoft); waits for Microsoft's confirmation",
    request: { params: subscriptionIdParams, body: json(changeQuantityBody) },
    responses: changeResponses,
  })
  const cancelRoute = route({
    method: 'delete',
    path,
    operationId: 'cancelSubscription',
    summary: "Cancel the subscription (DELETE at Microsoft); waits for Microsoft's confirmation",
    request: { params: subscriptionIdParams },
    responses: changeResponses,
  })
  const provisioningRoute = route({
    method: 'post',
    path: `${path}/provisioning`,
    operationId: 'reportProvisioning',
    summary: "The vendor's app reports the end of a provisioning it accepted earlier with 202",
    request: { params: subscriptionIdParams, body: json(provisioningBody) },
    responses: acceptedResponses,
  })
  const retryRoute = route({
    method: 'post',
    path: `${path}/retry`,
    operationId: 'retrySubscription',
    summary: 'Operators: retry a failed provisioning or activation',
    request: { params: subscriptionIdParams },
    responses: acceptedResponses,
  })

  const resyncRoute = route({
    method: 'post',
    path: `${path}/resync`,
    operationId: 'resyncSubscription',
    summary: "Operators: read Microsoft's view of the subscription now and converge on it",
    request: { params: subscriptionIdParams },
    responses: acceptedResponses,
  })

  return apiApp()
    .openapi(planRoute, (c) => {
      const { subscriptionId } = c.req.valid('param')
      const { planId } = c.req.valid('json')
      return answer(c, 'changePlan', subscriptionId, () => subscriptions.changePlan(subscriptionId, planId))
    })
    .openapi(quantityRoute, (c) => {
      const { subscriptionId } = c.req.valid('param')
      const { quantity } = c.req.valid('json')
      return answer(c, 'changeQuantity', subscriptionId, () => subscriptions.changeQuantity(subscriptionId, quantity))
    })
    .openapi(cancelRoute, (c) => {
      const { subscriptionId } = c.req.valid('param')
      return answer(c, 'cancel', subscriptionId, () => subscriptions.cancel(subscriptionId))
    })
    .openapi(provisioningRoute, async (c) => {
      const { subscriptionId } = c.req.valid('param')
      const report = c.req.valid('json')
      await subscriptions.reportProvisioning(subscriptionId, report)
      logger.info({ principal: c.get('principal'), subscriptionId, status: report.status }, 'provisioning reported')
      return c.json({ status: 'accepted' as const }, 202)
    })
    .openapi(retryRoute, async (c) => {
      const { subscriptionId } = c.req.valid('param')
      await subscriptions.retry(subscriptionId)
      logger.info({ principal: c.get('principal'), subscriptionId }, 'retry requested')
      return c.json({ status: 'accepted' as const }, 202)
    })
    .openapi(resyncRoute, async (c) => {
      const { subscriptionId } = c.req.valid('param')
      await subscriptions.resync(subscriptionId, 'an operator asked')
      logger.info({ principal: c.get('principal'), subscriptionId }, 'resync requested')
      return c.json({ status: 'accepted' as const }, 202)
    })
}
