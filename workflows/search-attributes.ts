/**
 * Search attributes operators filter subscriptions by in the Temporal UI, e.g.
 * `SaasStatus = "Suspended" AND SaasBeneficiaryTenantId = "…"`. Values are in Microsoft's words.
 * Workflow-safe: imported by the workflow, the server (queries) and the dev-server launcher (registration).
 * @module
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributeUpdatePair } from '@temporalio/common'
import type { SubscriptionFacts } from '../machines/subscription/index.ts'

export const SubscriptionIdKey = defineSearchAttributeKey('SaasSubscriptionId', SearchAttributeType.KEYWORD)
/** `saasSubscriptionStatus` as this service last knows it (PendingFulfillmentStart, Subscribed, …). */
export const StatusKey = defineSearchAttributeKey('SaasStatus', SearchAttributeType.KEYWORD)
/** The lifecycle step inside that status (provisioning, activationFailed, …), to find stuck subscriptions. */
export const StepKey = defineSearchAttributeKey('SaasStep', SearchAttributeType.KEYWORD)
export const OfferIdKey = defineSearchAttributeKey('SaasOfferId', SearchAttributeType.KEYWORD)
export const PlanIdKey = defineSearchAttributeKey('SaasPlanId', SearchAttributeType.KEYWORD)
export const QuantityKey = defineSearchAttributeKey('SaasQuantity', SearchAttributeType.INT)
export const BeneficiaryTenantKey = defineSearchAttributeKey('SaasBeneficiaryTenantId', SearchAttributeType.KEYWORD)
export const PurchaserTenantKey = defineSearchAttributeKey('SaasPurchaserTenantId', SearchAttributeType.KEYWORD)
export const FreeTrialKey = defineSearchAttributeKey('SaasIsFreeTrial', SearchAttributeType.BOOL)
export const TestKey = defineSearchAttributeKey('SaasIsTest', SearchAttributeType.BOOL)
/** The vendor hooks still failing after holding their lane, comma-separated (`SaasFailingHook != ""` finds them). */
export const FailingHookKey = defineSearchAttributeKey('SaasFailingHook', SearchAttributeType.KEYWORD)
/** The current term's `endDate` as Microsoft writes it: reconciliation compares it without asking the workflow. */
export const TermEndDateKey = defineSearchAttributeKey('SaasTermEndDate', SearchAttributeType.KEYWORD)

const KEYS = [
  SubscriptionIdKey,
  StatusKey,
  StepKey,
  OfferIdKey,
  PlanIdKey,
  QuantityKey,
  BeneficiaryTenantKey,
  PurchaserTenantKey,
  FreeTrialKey,
  TestKey,
  TermEndDateKey,
  FailingHookKey,
]

const CLI_TYPES = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.BOOL]: 'Bool',
} as Record<SearchAttributeType, string>

/** Name → type as `temporal operator search-attribute create` and `--search-attribute` spell it. */
export const SEARCH_ATTRIBUTES: Record<string, string> = Object.fromEntries(
  KEYS.map((k) => [k.name, CLI_TYPES[k.type]]),
)

/** A subscription's search attributes (at a lifecycle `step`, when known); `null` clears what no longer applies. */
export function searchAttributesOf(subscription: SubscriptionFacts, step?: string): SearchAttributeUpdatePair[] {
  return [
    { key: SubscriptionIdKey, value: subscription.id },
    { key: StatusKey, value: subscription.saasSubscriptionStatus },
    ...(step === undefined ? [] : [{ key: StepKey, value: step }]),
    { key: OfferIdKey, value: subscription.offerId || null },
    { key: PlanIdKey, value: subscription.planId || null },
    { key: QuantityKey, value: subscription.quantity ?? null },
    { key: BeneficiaryTenantKey, value: subscription.beneficiary?.tenantId ?? null },
    { key: PurchaserTenantKey, value: subscription.purchaser?.tenantId ?? null },
    { key: FreeTrialKey, value: subscription.isFreeTrial },
    { key: TestKey, value: subscription.isTest },
    { key: TermEndDateKey, value: subscription.term?.endDate ?? null },
  ]
}
