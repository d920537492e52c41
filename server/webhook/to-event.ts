/**
 * Turns a webhook into the lifecycle machine's event. What Microsoft's Get Operation says wins over the
 * payload (the payload only arrives; the operation is what Microsoft stands behind); the payload adds who
 * started it and the subscription as Microsoft sent it.
 * @module
 */
import { factsOf, type MarketplaceEvent } from '../../machines/subscription/index.ts'
import type { Operation, WebhookPayload } from '../../marketplace/schemas.ts'

export function toMarketplaceEvent(
  operation: Operation,
  payload: WebhookPayload,
  receivedAt: string,
): MarketplaceEvent {
  const base = {
    operationId: operation.id,
    status: operation.status,
    // `Partner` marks changes the publisher asked for; everything else comes from the customer's side.
    source: payload.operationRequestSource === 'Partner' ? ('vendor' as const) : ('customer' as const),
    timeStamp: operation.timeStamp ?? payload.timeStamp,
    receivedAt,
    subscription: payload.subscription && factsOf(payload.subscription),
  }
  const action = operation.action || payload.action
  const planId = operation.planId ?? payload.planId
  const quantity = operation.quantity ?? payload.quantity
  switch (action) {
    case 'ChangePlan':
      if (planId) return { ...base, type: 'ChangePlan', planId }
      break
    case 'ChangeQuantity':
      if (quantity !== undefined) return { ...base, type: 'ChangeQuantity', quantity }
      break
    case 'Suspend':
    case 'Reinstate':
    case 'Renew':
    case 'Unsubscribe':
    case 'Subscribe':
      return { ...base, type: action }
  }
  return { ...base, type: 'operation.unknown', action: action || '(none)' }
}
