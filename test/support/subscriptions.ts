/**
 * What the end-to-end tests of the lifecycle core share: the service's view of a subscription (with its
 * decision log), Microsoft's own webhook body for an operation (so a test can deliver operations itself,
 * late, twice or in any order, with a valid token), and buying a subscription through the landing page.
 */
import type { SubscriptionView } from '../../machines/subscription/index.ts'
import { webhookPayload } from '../../emulator/webhooks/payload.ts'
import { eventually, type Harness } from './harness.ts'
import { confirmPurchase } from './landing.ts'

export interface DecisionRecord {
  event: string
  operationId?: string
  outcome: string
  reason?: string
  from: string
  to: string
}

export type SubscriptionDetail = SubscriptionView & { decisions: DecisionRecord[] }

/** The service's view through its API, or undefined while it has none. */
export async function detail(h: Harness, id: string): Promise<SubscriptionDetail | undefined> {
  const res = await h.api(`/api/subscriptions/${id}`)
  return res.status === 200 ? ((await res.json()) as SubscriptionDetail) : undefined
}

/** Waits until the service's view satisfies `predicate`, and returns it. */
export function until(h: Harness, id: string, predicate: (v: SubscriptionDetail) => boolean, what: string) {
  return eventually(
    async () => {
      const v = await detail(h, id)
      return v && predicate(v) && v
    },
    { what, timeoutMs: 30_000 },
  )
}

/** A subscription bought, confirmed on the landing page and Subscribed. */
export async function subscribed(h: Harness, planId = 'team', quantity = 10): Promise<string> {
  const purchase = h.emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId, quantity })
  await confirmPurchase(purchase.landingUrl)
  await until(h, purchase.subscription.id, (v) => v.step === 'subscribed.idle', 'Subscribed')
  return purchase.subscription.id
}

/** The body Microsoft sends for this operation (the subscription as Microsoft has it now). */
export function webhookBodyOf(h: Harness, subscriptionId: string, operationId: string) {
  const { subscription, operations } = h.emulator.marketplace.getSubscription(subscriptionId)
  const operation = operations.find((o) => o.id === operationId)
  if (!operation) throw new Error(`no operation ${operationId} on ${subscriptionId}`)
  return { ...webhookPayload(operation, subscription, operation.timeStamp), subscription }
}

/** Status, plan and seats: what must agree between the service and Microsoft. */
export const essentials = (s: { saasSubscriptionStatus: string; planId: string; quantity?: number }) => ({
  saasSubscriptionStatus: s.saasSubscriptionStatus,
  planId: s.planId,
  quantity: s.quantity,
})
