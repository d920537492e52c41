/**
 * A subscription as operators, the vendor's API and the landing page read it: Microsoft's words for
 * status, plan and quantity, plus where the lifecycle stands.
 * @module
 */
import type { Buyer, SubscriptionEvent } from './events.ts'
import type { PendingChange, VendorRequest } from './context.ts'
import { stepOf, type SubscriptionSnapshot } from './drive.ts'
import type { SubscriptionFacts } from './facts.ts'

export interface SubscriptionView extends SubscriptionFacts {
  /** The lifecycle step inside the status, e.g. `provisioning`, `subscribed.deciding`. */
  step: string
  buyer?: Buyer
  failure?: { step: string; message: string; at?: string }
  pendingChange?: PendingChange
  pendingRequest?: VendorRequest
  recentRequests: VendorRequest[]
  unsubscribedAt?: string
  retainUntil?: string
}

export function viewOf(snapshot: SubscriptionSnapshot): SubscriptionView {
  const c = snapshot.context
  return {
    ...c.subscription,
    step: stepOf(snapshot),
    buyer: c.buyer,
    failure: c.failure,
    pendingChange: c.change,
    pendingRequest: c.request,
    recentRequests: c.requests,
    unsubscribedAt: c.unsubscribedAt,
    retainUntil: c.retainUntil,
  }
}

/**
 * Why the subscription cannot take a vendor request now, in words for the vendor's API; undefined when
 * it can. Mirrors the machine's guards: same plan or seats, a seat count that is not a positive whole
 * number, or a state where Microsoft would refuse the request.
 */
export function refusalOf(snapshot: SubscriptionSnapshot, event: SubscriptionEvent): string | undefined {
  if (snapshot.can(event)) return undefined
  const { subscription, change } = snapshot.context
  if (change)
    return `a customer ${change.action} (operation ${change.operationId}) is being decided; try again after it settles`
  if (event.type === 'vendor.changePlan' && event.planId === subscription.planId)
    return `the subscription is already on plan ${event.planId}`
  if (event.type === 'vendor.changeQuantity') {
    if (!Number.isInteger(event.quantity) || event.quantity <= 0) return 'the quantity must be a positive whole number'
    if (event.quantity === subscription.quantity) return `the subscription already has ${event.quantity} seats`
  }
  return `not possible while the subscription is ${subscription.saasSubscriptionStatus} (${stepOf(snapshot)})`
}
