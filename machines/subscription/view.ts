/**
 * A subscription as operators, the vendor's API and the landing page read it: Microsoft's words for
 * status, plan and quantity, plus where the lifecycle stands.
 * @module
 */
import type { Buyer } from './events.ts'
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
