/**
 * The SaaS Fulfillment API v2 as Microsoft answers the publisher (docs/marketplace-contract.md §2, §3): the
 * rules of every call, independent of HTTP. Refusals are thrown as `EmulatorRefusal`s with Microsoft's status codes.
 * @module
 */
import { z } from 'zod'
import { badRequest, conflict, notFound, parseInput } from './errors.ts'
import type { CoreContext } from './context.ts'
import { awaitsAnswer, isPending, type Operations } from './operations.ts'
import { planChange, quantityChange, requireStatus } from './rules.ts'
import { toMicrosoftPlan } from './catalogue.ts'
import { findSubscription } from './state.ts'
import { startTerm } from './term.ts'
import { redeemToken } from './tokens.ts'
import type { MicrosoftPlan, Operation, Subscription } from './types.ts'

export const PAGE_SIZE = 100

const seats = z.number().int().positive()
const subscriberPlanSchema = z.looseObject({ planId: z.string().min(1).optional(), quantity: seats.optional() })
const updateOperationSchema = z.looseObject({
  status: z.enum(['Success', 'Failure']),
  planId: z.string().min(1).optional(),
  quantity: seats.optional(),
})
const continuationSchema = z.object({ skip: z.number().int().min(0) })

export interface SubscriptionsPage {
  subscriptions: Subscription[]
  /** Present when there is a next page: the opaque `continuationToken` for `@nextLink`. */
  continuationToken?: string
}

export type Fulfillment = ReturnType<typeof createFulfillment>

export function createFulfillment(ctx: CoreContext, operations: Operations) {
  const { state } = ctx
  const copy = <T>(value: T): T => structuredClone(value)

  function findOperation(subscriptionId: string, operationId: string): Operation {
    findSubscription(state, subscriptionId)
    const operation = Object.hasOwn(state.operations, operationId) ? state.operations[operationId] : undefined
    if (!operation || operation.subscriptionId !== subscriptionId) {
      throw notFound(`Operation ${operationId} was not found on subscription ${subscriptionId}.`)
    }
    return operation
  }

  return {
    /** Works for subscriptions in every status (docs/marketplace-contract.md §2.1). */
    resolve(token: string | undefined) {
      const subscription = findSubscription(state, redeemToken(ctx, token))
      const { id, name, offerId, planId, quantity } = subscription
      return copy({ id, subscriptionName: name, offerId, planId, quantity, subscription })
    },

    /** Pages of 100 in purchase order; `undefined` when there are none (Microsoft sends an empty body). */
    listSubscriptions(continuationToken?: string): SubscriptionsPage | undefined {
      const all = Object.values(state.subscriptions)
      if (all.length === 0) return undefined
      const { skip } = continuationToken ? decodeContinuation(continuationToken) : { skip: 0 }
      const next = skip + PAGE_SIZE
      return {
        subscriptions: copy(all.slice(skip, next)),
        continuationToken: next < all.length ? encodeContinuation(next) : undefined,
      }
    },

    getSubscription: (subscriptionId: string) => copy(findSubscription(state, subscriptionId)),

    /** Every plan of the offer that is still sold, including the current one; `planId` filters (unknown: none). */
    listAvailablePlans(subscriptionId: string, planId?: string): { plans: MicrosoftPlan[] } {
      const subscription = findSubscription(state, subscriptionId)
      const plans = state.offers
        .find((o) => o.offerId === subscription.offerId)!
        .plans.filter((p) => (planId ? p.planId === planId : !p.isStopSell || p.planId === subscription.planId))
      return { plans: plans.map(toMicrosoftPlan) }
    },

    /**
     * Body optional (2023 docs) or `{planId, quantity?}` matching the purchase (2022 docs, spec). Already
     * Subscribed or Suspended: 400; Unsubscribed: 404 (2022 docs).
     */
    activate(subscriptionId: string, body: unknown): void {
      const subscription = findSubscription(state, subscriptionId)
      if (subscription.saasSubscriptionStatus === 'Unsubscribed') {
        throw notFound(`Subscription ${subscriptionId} is Unsubscribed.`)
      }
      requireStatus(subscription, ['PendingFulfillmentStart'], 'activate')
      const { planId, quantity } = parseInput(subscriberPlanSchema, body ?? {}, 'activation')
      if (planId !== undefined && planId !== subscription.planId) {
        throw badRequest(`The plan ${planId} does not match the purchased plan ${subscription.planId}.`)
      }
      if (quantity !== undefined && quantity !== subscription.quantity) {
        throw badRequest(`The quantity ${quantity} does not match the purchased quantity.`)
      }
      subscription.saasSubscriptionStatus = 'Subscribed'
      startTerm(subscription, ctx.clock.now())
      ctx.changed()
    },

    /** ChangePlan or ChangeQuantity, exactly one per call (docs/marketplace-contract.md §2.7). */
    updateSubscription(subscriptionId: string, body: unknown): Operation {
      const subscription = findSubscription(state, subscriptionId)
      const { planId, quantity } = parseInput(subscriberPlanSchema, body, 'plan or quantity')
      if ((planId === undefined) === (quantity === undefined)) {
        throw badRequest('Send either planId or quantity, not both and not neither.')
      }
      if (!subscription.allowedCustomerOperations.includes('Update')) {
        throw badRequest(`Update is not an allowed operation on subscription ${subscriptionId}.`)
      }
      requireStatus(subscription, ['Subscribed'], 'update')
      operations.requireIdle(subscriptionId)
      return copy(
        planId !== undefined
          ? operations.startForPublisher(subscription, 'ChangePlan', planChange(state, subscription, planId))
          : operations.startForPublisher(
              subscription,
              'ChangeQuantity',
              quantityChange(state, subscription, quantity!),
            ),
      )
    },

    /**
     * Cancels the subscription. 409 while an operation is pending, except a Reinstate: a publisher that
     * cannot take a subscription back calls DELETE (docs/marketplace-contract.md §4.2), which fails the Reinstate.
     */
    deleteSubscription(subscriptionId: string): Operation {
      const subscription = findSubscription(state, subscriptionId)
      if (!subscription.allowedCustomerOperations.includes('Delete')) {
        throw badRequest(`Delete is not an allowed operation on subscription ${subscriptionId}.`)
      }
      requireStatus(subscription, ['PendingFulfillmentStart', 'Subscribed', 'Suspended'], 'delete')
      const pending = operations.pending(subscriptionId)
      if (pending?.action === 'Reinstate') operations.fail(pending, 'The publisher cancelled the subscription.')
      else operations.requireIdle(subscriptionId)
      return copy(operations.startForPublisher(subscription, 'Unsubscribe'))
    },

    /** Only `InProgress` operations (docs/marketplace-contract.md §3); none is an empty body, like Microsoft's. */
    listOperations(subscriptionId: string): Operation[] {
      findSubscription(state, subscriptionId)
      return copy(operations.list(subscriptionId).filter((o) => o.status === 'InProgress'))
    },

    getOperation: (subscriptionId: string, operationId: string) => copy(findOperation(subscriptionId, operationId)),

    /** PATCH `Success`/`Failure`; 409 once the operation has ended (docs/marketplace-contract.md §3). */
    updateOperation(subscriptionId: string, operationId: string, body: unknown): void {
      const operation = findOperation(subscriptionId, operationId)
      const answer = parseInput(updateOperationSchema, body, 'operation update')
      if (!isPending(operation)) throw conflict(`Operation ${operationId} has already ended: ${operation.status}.`)
      // Inference: only operations Microsoft waits on take an answer; the publisher's own ones complete alone.
      if (!awaitsAnswer(operation)) throw badRequest(`Operation ${operationId} (${operation.action}) takes no answer.`)
      if (answer.planId !== undefined && answer.planId !== operation.planId) {
        throw badRequest(`The plan ${answer.planId} does not match the operation's plan ${operation.planId}.`)
      }
      if (answer.quantity !== undefined && answer.quantity !== operation.quantity) {
        throw badRequest(`The quantity ${answer.quantity} does not match the operation's quantity.`)
      }
      operations.answer(operation, answer.status)
    },
  }
}

const encodeContinuation = (skip: number) => Buffer.from(JSON.stringify({ skip })).toString('base64')

function decodeContinuation(token: string): { skip: number } {
  try {
    return continuationSchema.parse(JSON.parse(Buffer.from(token, 'base64').toString('utf8')))
  } catch {
    throw badRequest('The continuationToken is invalid.')
  }
}
