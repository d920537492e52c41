/**
 * What customers (and CSPs) do on Microsoft's side: buy, open the landing page ("Configure account" /
 * "Manage account"), change plan or seats, and what Microsoft's billing does to them (suspend, reinstate,
 * renew, cancel). Each action updates the subscription and sends the webhook the contract describes,
 * unless it is asked not to (`webhook: false`): then the change happens at Microsoft and the publisher
 * is never told, as when a webhook is lost for good or Microsoft's support staff change a subscription.
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { z } from 'zod'
import { TERM_UNITS } from './catalogue.ts'
import type { CoreContext } from './context.ts'
import { badRequest, parseInput } from './errors.ts'
import { createOperations, type Operations } from './operations.ts'
import { checkSeats, planChange, quantityChange, requireStatus } from './rules.ts'
import { findSubscription } from './state.ts'
import { issueToken, type LandingToken } from './tokens.ts'
import type { AadIdentifier, Subscription, SubscriptionStatus } from './types.ts'

const identitySchema = z.strictObject({
  emailId: z.email(),
  objectId: z.uuid(),
  tenantId: z.uuid(),
  puid: z.string().min(1).optional(),
})

export const purchaseSchema = z.strictObject({
  offerId: z.string().min(1),
  planId: z.string().min(1),
  /** Seats, for per-seat plans only; default the plan's minimum. */
  quantity: z.number().int().positive().optional(),
  name: z.string().min(1).optional(),
  /** Who uses the subscription; default a new customer tenant. */
  beneficiary: identitySchema.optional(),
  /** Who bought it; default the beneficiary, or a reseller in another tenant for CSP purchases. */
  purchaser: identitySchema.optional(),
  /** Default: whether the plan has a free trial. */
  isFreeTrial: z.boolean().optional(),
  /** Default: the plan's `autoActivate`. */
  autoActivate: z.boolean().optional(),
  /** Bought by a CSP for its customer: `allowedCustomerOperations` is `['Read']`. */
  csp: z.boolean().default(false),
  isTest: z.boolean().default(false),
  /** Default: the plan's first billing term. */
  termUnit: z.enum(TERM_UNITS).optional(),
  /** `false`: the `Subscribe` webhook of an auto-activated purchase is never delivered. */
  webhook: z.boolean().default(true),
})
export type PurchaseInput = z.input<typeof purchaseSchema>

export interface Purchase extends LandingToken {
  subscription: Subscription
}

/** Every customer action takes these: `webhook: false` changes Microsoft's side without telling the publisher. */
export const actionOptionsSchema = z.strictObject({ webhook: z.boolean().default(true) })
export type ActionOptions = z.input<typeof actionOptionsSchema>

const planIdSchema = z.string().min(1)
const quantitySchema = z.number().int().positive()
const ACTIVE: SubscriptionStatus[] = ['PendingFulfillmentStart', 'Subscribed', 'Suspended']

function newIdentity(role: 'buyer' | 'reseller'): AadIdentifier {
  const tenantId = randomUUID()
  const puid = randomBytes(8).toString('hex').toUpperCase()
  return { emailId: `${role}@${tenantId.slice(0, 8)}.example.com`, objectId: randomUUID(), tenantId, puid }
}

export type Customer = ReturnType<typeof createCustomer>

export function createCustomer(ctx: CoreContext, announced: Operations) {
  const { state } = ctx
  // The same operations, kept to Microsoft's side: no webhook goes out (and none shows in the webhook log).
  const unannounced = createOperations({ ...ctx, notify: () => undefined })
  const operationsFor = (options: ActionOptions | undefined) =>
    parseInput(actionOptionsSchema, options ?? {}, 'options').webhook ? announced : unannounced

  /** The subscription, if it is in one of the `allowed` states and has no pending operation. */
  function subscriptionFor(subscriptionId: string, allowed: SubscriptionStatus[], action: string) {
    const subscription = findSubscription(state, subscriptionId)
    requireStatus(subscription, allowed, action)
    announced.requireIdle(subscriptionId)
    return subscription
  }

  /** The plan bought, with the seats and term it is bought for: what Microsoft's storefront lets a customer pick. */
  function checkOrder(order: z.output<typeof purchaseSchema>) {
    const offer = state.offers.find((o) => o.offerId === order.offerId)
    const plan = offer?.plans.find((p) => p.planId === order.planId)
    if (!offer || !plan || plan.isStopSell) throw badRequest(`Plan ${order.offerId}/${order.planId} is not for sale.`)
    if (!plan.isPricePerSeat && order.quantity !== undefined) throw badRequest(`Plan ${plan.planId} has no seats.`)
    const quantity = plan.isPricePerSeat ? (order.quantity ?? plan.minQuantity ?? 1) : undefined
    if (quantity !== undefined) checkSeats(plan, quantity)
    const termUnit = order.termUnit ?? plan.terms[0]!.termUnit
    if (!plan.terms.some((t) => t.termUnit === termUnit)) {
      throw badRequest(`Plan ${plan.planId} has no ${termUnit} term.`)
    }
    if (order.isFreeTrial && !plan.hasFreeTrials) throw badRequest(`Plan ${plan.planId} has no free trial.`)
    return { offer, plan, quantity, termUnit }
  }

  return {
    purchase(input: PurchaseInput): Purchase {
      const order = parseInput(purchaseSchema, input, 'purchase')
      const { offer, plan, quantity, termUnit } = checkOrder(order)
      const beneficiary = order.beneficiary ?? newIdentity('buyer')
      const purchaser = order.purchaser ?? (order.csp ? newIdentity('reseller') : beneficiary)
      if (order.csp && purchaser.tenantId === beneficiary.tenantId) {
        throw badRequest('A CSP purchase has its purchaser (the reseller) in another tenant than the beneficiary.')
      }

      const subscription: Subscription = {
        id: randomUUID(),
        publisherId: ctx.publisherId,
        offerId: offer.offerId,
        name: order.name ?? `${offer.displayName} ${Object.keys(state.subscriptions).length + 1}`,
        saasSubscriptionStatus: 'PendingFulfillmentStart',
        beneficiary,
        purchaser,
        planId: plan.planId,
        ...(quantity === undefined ? {} : { quantity }),
        term: { termUnit },
        autoRenew: true,
        isTest: order.isTest,
        isFreeTrial: order.isFreeTrial ?? plan.hasFreeTrials,
        allowedCustomerOperations: order.csp ? ['Read'] : ['Delete', 'Update', 'Read'],
        sandboxType: 'None',
        sessionMode: 'None',
        created: ctx.clock.iso(),
      }
      state.subscriptions[subscription.id] = subscription
      ctx.changed()
      if (order.autoActivate ?? plan.autoActivate) {
        ;(order.webhook ? announced : unannounced).complete(subscription, 'Subscribe')
      }
      return { subscription: structuredClone(subscription), ...issueToken(ctx, subscription.id) }
    },

    /** A fresh landing URL, as "Configure account" / "Manage account" opens it. */
    openLanding(subscriptionId: string): LandingToken {
      requireStatus(findSubscription(state, subscriptionId), ACTIVE, 'open the landing page of')
      return issueToken(ctx, subscriptionId)
    },

    changePlan(subscriptionId: string, planId: string, options?: ActionOptions) {
      const operations = operationsFor(options)
      const subscription = subscriptionFor(subscriptionId, ['Subscribed'], 'change the plan of')
      const change = planChange(state, subscription, parseInput(planIdSchema, planId, 'planId'))
      return structuredClone(operations.startForCustomer(subscription, 'ChangePlan', change))
    },

    changeQuantity(subscriptionId: string, quantity: number, options?: ActionOptions) {
      const operations = operationsFor(options)
      const subscription = subscriptionFor(subscriptionId, ['Subscribed'], 'change the quantity of')
      const change = quantityChange(state, subscription, parseInput(quantitySchema, quantity, 'quantity'))
      return structuredClone(operations.startForCustomer(subscription, 'ChangeQuantity', change))
    },

    /** Payment not received: suspended first, then the webhook (docs/marketplace-contract.md §5.1). */
    suspend: (subscriptionId: string, options?: ActionOptions) =>
      structuredClone(
        operationsFor(options).complete(subscriptionFor(subscriptionId, ['Subscribed'], 'suspend'), 'Suspend'),
      ),

    /**
     * Payment made: reinstated at once and notified Succeeded, as Microsoft does today; with
     * `reinstateAwaitsAnswer` (older docs), Suspended until the InProgress Reinstate operation succeeds.
     */
    reinstate: (subscriptionId: string, options?: ActionOptions) => {
      const operations = operationsFor(options)
      const subscription = subscriptionFor(subscriptionId, ['Suspended'], 'reinstate')
      return structuredClone(
        ctx.config.reinstateAwaitsAnswer
          ? operations.startForCustomer(subscription, 'Reinstate')
          : operations.complete(subscription, 'Reinstate'),
      )
    },

    renew: (subscriptionId: string, options?: ActionOptions) =>
      structuredClone(
        operationsFor(options).complete(subscriptionFor(subscriptionId, ['Subscribed'], 'renew'), 'Renew'),
      ),

    /**
     * An action outside the spec's enum (the SaaS Accelerator knows `Transfer`): nothing changes, a webhook
     * goes out, so a publisher can check it records actions it does not know instead of failing on them.
     */
    transfer: (subscriptionId: string, options?: ActionOptions) =>
      structuredClone(operationsFor(options).complete(subscriptionFor(subscriptionId, ACTIVE, 'transfer'), 'Transfer')),

    unsubscribe: (subscriptionId: string, options?: ActionOptions) =>
      structuredClone(
        operationsFor(options).complete(subscriptionFor(subscriptionId, ACTIVE, 'cancel'), 'Unsubscribe'),
      ),
  }
}
