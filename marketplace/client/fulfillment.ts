/**
 * SaaS Fulfillment API v2, subscription side: resolve, activate, list, get, plans, change, cancel.
 * @module
 */
import { z } from 'zod'
import {
  plansSchema,
  resolvedSubscriptionSchema,
  subscriptionSchema,
  subscriptionsPageSchema,
  type Plan,
  type ResolvedSubscription,
  type Subscription,
} from '../schemas.ts'
import type { components } from '../openapi/saas.d.ts'
import { MarketplaceError } from './errors.ts'
import type { CallContext, Transport } from './transport.ts'

const empty = z.unknown()

/** What Activate and the change PATCH send, as Microsoft's OpenAPI file declares it (plan required here). */
export type SubscriberPlan = components['schemas']['SubscriberPlan'] & { planId: string }

/** Where Microsoft will report the outcome of a change it accepted (202). */
export interface AcceptedOperation {
  operationId: string
  operationLocation: string
}

export interface SubscriptionsPage {
  subscriptions: Subscription[]
  /** Absent on the last page. */
  nextLink?: string
}

export function fulfillmentOperations(send: Transport) {
  const sub = (id: string) => `/saas/subscriptions/${encodeURIComponent(id)}`

  async function accepted(
    operation: string,
    method: 'PATCH' | 'DELETE',
    subscriptionId: string,
    body: unknown,
    ctx: CallContext,
  ): Promise<AcceptedOperation> {
    const res = await send({ operation, method, path: sub(subscriptionId), body, schema: empty, ...ctx })
    const operationLocation = res.headers.get('operation-location') ?? ''
    const operationId = /\/operations\/([^/?#]+)/.exec(operationLocation)?.[1]
    if (!operationId) {
      throw new MarketplaceError(`${operation}: Microsoft answered ${res.status} without an Operation-Location`, {
        kind: 'invalid-response',
        status: res.status,
        operation,
        requestId: res.requestId,
        correlationId: res.correlationId,
      })
    }
    return { operationId: decodeURIComponent(operationId), operationLocation }
  }

  async function listSubscriptionsPage(next?: string, ctx: CallContext = {}): Promise<SubscriptionsPage> {
    const res = await send({
      operation: 'listSubscriptions',
      method: 'GET',
      path: next ?? '/saas/subscriptions/',
      schema: subscriptionsPageSchema,
      ...ctx,
    })
    return { subscriptions: res.body.subscriptions, nextLink: res.body['@nextLink'] || undefined }
  }

  return {
    /**
     * Exchanges a landing-page token for the subscription. Pass the token exactly as the query string
     * decoding gave it: decoding it again corrupts `+`, `/` and `%`.
     */
    async resolve(marketplaceToken: string, ctx: CallContext = {}): Promise<ResolvedSubscription> {
      const res = await send({
        operation: 'resolve',
        method: 'POST',
        path: '/saas/subscriptions/resolve',
        headers: { 'x-ms-marketplace-token': marketplaceToken },
        schema: resolvedSubscriptionSchema,
        ...ctx,
      })
      return res.body
    },

    /** Tells Microsoft the customer is set up; billing starts. Sends the purchased plan and quantity. */
    async activate(subscriptionId: string, plan: SubscriberPlan, ctx: CallContext = {}) {
      await send({
        operation: 'activate',
        method: 'POST',
        path: `${sub(subscriptionId)}/activate`,
        body: plan,
        schema: empty,
        ...ctx,
      })
    },

    async getSubscription(subscriptionId: string, ctx: CallContext = {}): Promise<Subscription> {
      return (
        await send({
          operation: 'getSubscription',
          method: 'GET',
          path: sub(subscriptionId),
          schema: subscriptionSchema,
          ...ctx,
        })
      ).body
    },

    listSubscriptionsPage,

    /** Every subscription of every offer, following `@nextLink` to the last page. */
    async *listSubscriptions(ctx: CallContext = {}): AsyncGenerator<Subscription> {
      let next: string | undefined
      do {
        const page = await listSubscriptionsPage(next, ctx)
        yield* page.subscriptions
        next = page.nextLink
      } while (next)
    },

    /** Plans the beneficiary may switch to, the current one included; `planId` narrows it to one. */
    async listAvailablePlans(
      subscriptionId: string,
      filter: { planId?: string } = {},
      ctx: CallContext = {},
    ): Promise<Plan[]> {
      const res = await send({
        operation: 'listAvailablePlans',
        method: 'GET',
        path: `${sub(subscriptionId)}/listAvailablePlans`,
        query: { planId: filter.planId },
        schema: plansSchema,
        ...ctx,
      })
      return res.body.plans
    },

    /** Asks Microsoft to change the plan; apply it only once the operation succeeds. */
    changePlan(subscriptionId: string, planId: string, ctx: CallContext = {}) {
      return accepted(
        'changePlan',
        'PATCH',
        subscriptionId,
        { planId } satisfies components['schemas']['SubscriberPlan'],
        ctx,
      )
    },

    /** Asks Microsoft to change the seats; apply them only once the operation succeeds. */
    changeQuantity(subscriptionId: string, quantity: number, ctx: CallContext = {}) {
      return accepted(
        'changeQuantity',
        'PATCH',
        subscriptionId,
        { quantity } satisfies components['schemas']['SubscriberPlan'],
        ctx,
      )
    },

    /** Cancels the subscription (vendor-initiated); it is Unsubscribed once the operation succeeds. */
    deleteSubscription(subscriptionId: string, ctx: CallContext = {}) {
      return accepted('deleteSubscription', 'DELETE', subscriptionId, undefined, ctx)
    },
  }
}
