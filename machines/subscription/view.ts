/**
 * A subscription as operators, the vendor's API and the landing page read it: Microsoft's words for
 * status, plan and quantity, plus where the lifecycle stands.
 * @module
 */
import type { Buyer, SubscriptionEvent } from './events.ts'
import type { PendingChange, VendorRequest } from './context.ts'
import { stepOf, type SubscriptionSnapshot } from './drive.ts'
import type { SubscriptionFacts } from './facts.ts'
import { requestRefusal } from './transitions.ts'

export interface SubscriptionView extends SubscriptionFacts {
  /** The lifecycle step inside the status, e.g. `provisioning`, `subscribed.deciding`. */
  step: string
  buyer?: Buyer
  failure?: { step: string; message: string; at?: string }
  /** The vendor's reference of a provisioning it will report on later. */
  provisioningReference?: string
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
    provisioningReference: c.provisioningReference,
    pendingChange: c.change,
    pendingRequest: c.request,
    recentRequests: c.requests,
    unsubscribedAt: c.unsubscribedAt,
    retainUntil: c.retainUntil,
  }
}

/**
 * Why the subscription cannot take a vendor request now, in words for the vendor's API; undefined when
 * it can. The machine decides (`snapshot.can`); the words come from the rule its guard reads.
 */
export function refusalOf(snapshot: SubscriptionSnapshot, event: SubscriptionEvent): string | undefined {
  if (snapshot.can(event)) return undefined
  const { subscription } = snapshot.context
  return (
    requestRefusal(snapshot.context, event) ??
    `not possible while the subscription is ${subscription.saasSubscriptionStatus} (${stepOf(snapshot)})`
  )
}
