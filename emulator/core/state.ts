/**
 * Everything the emulator remembers, as one plain JSON-serializable object (saved as is to the state
 * file), and the lookups every rule starts with. The object itself is never replaced, only its fields:
 * modules may hold on to it across a reset.
 * @module
 */
import { notFound } from './errors.ts'
import type { Offer, Plan } from './catalogue.ts'
import type { JournalEntry, Operation, Subscription, UsageRecord, WebhookDelivery } from './types.ts'

export interface PurchaseToken {
  subscriptionId: string
  expiresAt: string
}

export interface State {
  offers: Offer[]
  /** In purchase order, which is also the order List Subscriptions pages through. */
  subscriptions: Record<string, Subscription>
  operations: Record<string, Operation>
  purchaseTokens: Record<string, PurchaseToken>
  usage: UsageRecord[]
  journal: JournalEntry[]
  webhooks: WebhookDelivery[]
}

export function emptyState(offers: Offer[]): State {
  return {
    offers: structuredClone(offers),
    subscriptions: {},
    operations: {},
    purchaseTokens: {},
    usage: [],
    journal: [],
    webhooks: [],
  }
}

export function findSubscription(state: State, subscriptionId: string): Subscription {
  const subscription = Object.hasOwn(state.subscriptions, subscriptionId) && state.subscriptions[subscriptionId]
  if (!subscription) throw notFound(`Subscription ${subscriptionId} was not found.`)
  return subscription
}

export function findOffer(state: State, offerId: string): Offer {
  const offer = state.offers.find((o) => o.offerId === offerId)
  if (!offer) throw notFound(`Offer ${offerId} was not found.`)
  return offer
}

/** The plan of an offer, or undefined: callers decide whether an unknown plan is a 400 or a 404. */
export function findPlan(state: State, offerId: string, planId: string): Plan | undefined {
  return state.offers.find((o) => o.offerId === offerId)?.plans.find((p) => p.planId === planId)
}

/** The plan a subscription is on. The catalogue refuses to drop plans in use, so it always exists. */
export function planOf(state: State, subscription: Subscription): Plan {
  const plan = findPlan(state, subscription.offerId, subscription.planId)
  if (!plan) throw new Error(`Plan ${subscription.offerId}/${subscription.planId} is missing from the catalogue`)
  return plan
}
