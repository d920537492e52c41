/**
 * What the service knows of a SaaS subscription, in Microsoft's words, kept small enough to travel in
 * every workflow snapshot.
 * @module
 */
import type { Subscription, SubscriptionStatus } from '../../marketplace/schemas.ts'

export type { SubscriptionStatus }

export interface Party {
  emailId?: string
  objectId?: string
  tenantId?: string
}

export interface SubscriptionFacts {
  id: string
  name?: string
  offerId: string
  planId: string
  quantity?: number
  saasSubscriptionStatus: SubscriptionStatus
  beneficiary?: Party
  purchaser?: Party
  term?: { termUnit?: string; startDate?: string; endDate?: string }
  autoRenew?: boolean
  isFreeTrial: boolean
  isTest: boolean
  allowedCustomerOperations?: string[]
}

/** Keeps what the lifecycle needs out of Microsoft's subscription object; unknown fields stay behind. */
export function factsOf(subscription: Subscription): SubscriptionFacts {
  const party = (p: Subscription['beneficiary']): Party | undefined =>
    p ? { emailId: p.emailId, objectId: p.objectId, tenantId: p.tenantId } : undefined
  return {
    id: subscription.id,
    name: subscription.name,
    offerId: subscription.offerId,
    planId: subscription.planId,
    quantity: subscription.quantity,
    saasSubscriptionStatus: subscription.saasSubscriptionStatus,
    beneficiary: party(subscription.beneficiary),
    purchaser: party(subscription.purchaser),
    term: subscription.term
      ? {
          termUnit: subscription.term.termUnit,
          startDate: subscription.term.startDate,
          endDate: subscription.term.endDate,
        }
      : undefined,
    autoRenew: subscription.autoRenew,
    isFreeTrial: subscription.isFreeTrial,
    isTest: subscription.isTest,
    allowedCustomerOperations: subscription.allowedCustomerOperations,
  }
}
