/**
 * Rules shared by the publisher's API calls and the customer's actions: which state a subscription must
 * be in, and which plan and quantity changes are allowed (docs/marketplace-contract.md §2.7: plan offered
 * and different, quantity within the plan's limits and different).
 * @module
 */
import { badRequest } from './errors.ts'
import type { Plan } from './catalogue.ts'
import { findPlan, planOf, type State } from './state.ts'
import type { Subscription, SubscriptionStatus } from './types.ts'

/** The plan and quantity a subscription will have once a change is applied. */
export interface Change {
  planId: string
  quantity?: number
}

export function requireStatus(subscription: Subscription, allowed: readonly SubscriptionStatus[], action: string) {
  if (!allowed.includes(subscription.saasSubscriptionStatus)) {
    throw badRequest(
      `Cannot ${action} subscription ${subscription.id}: it is ${subscription.saasSubscriptionStatus} ` +
        `(must be ${allowed.join(' or ')}).`,
    )
  }
}

export function checkSeats(plan: Plan, quantity: number, hint = ''): void {
  const min = plan.minQuantity ?? 1
  const max = plan.maxQuantity ?? Infinity
  if (quantity < min || quantity > max) {
    const range = max === Infinity ? `at least ${min}` : `between ${min} and ${max}`
    throw badRequest(`Plan ${plan.planId} takes ${range} seats, not ${quantity}.${hint}`)
  }
}

export function planChange(state: State, subscription: Subscription, planId: string): Change {
  if (planId === subscription.planId) throw badRequest(`Subscription ${subscription.id} is already on plan ${planId}.`)
  const plan = findPlan(state, subscription.offerId, planId)
  if (!plan || plan.isStopSell) {
    throw badRequest(`Plan ${planId} is not available to subscription ${subscription.id}.`)
  }
  if (!plan.isPricePerSeat) return { planId }
  const quantity = subscription.quantity ?? plan.minQuantity ?? 1
  checkSeats(plan, quantity, ' Change the quantity first.')
  return { planId, quantity }
}

export function quantityChange(state: State, subscription: Subscription, quantity: number): Change {
  const plan = planOf(state, subscription)
  if (!plan.isPricePerSeat) throw badRequest(`Plan ${plan.planId} is not priced per seat: it has no quantity.`)
  if (quantity === subscription.quantity) {
    throw badRequest(`Subscription ${subscription.id} already has ${quantity} seats.`)
  }
  checkSeats(plan, quantity)
  return { planId: subscription.planId, quantity }
}
