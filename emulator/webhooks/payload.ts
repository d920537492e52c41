import type { Operation, Subscription } from '../core/types.ts'
import type { WebhookPayload } from './sender.ts'

/**
 * A webhook body with the fields of docs/marketplace-contract.md §4.3: the operation (its `planId`/
 * `quantity` are the new values), the subscription as it is at this moment (the old plan during a
 * ChangePlan, Suspended during a Reinstate) and `purchaseToken: null`, as in all of Microsoft's examples.
 */
export function webhookPayload(operation: Operation, subscription: Subscription, timeStamp: string): WebhookPayload {
  const { id, activityId, publisherId, offerId, planId, quantity, subscriptionId, action, status } = operation
  return structuredClone({
    id,
    activityId,
    publisherId,
    offerId,
    planId,
    ...(quantity === undefined ? {} : { quantity }),
    subscriptionId,
    timeStamp,
    action,
    status,
    operationRequestSource: operation.operationRequestSource,
    subscription,
    purchaseToken: null,
  })
}
