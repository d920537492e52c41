/**
 * Turns a Microsoft operation, as Get Operation answered it, into the lifecycle machine's event. Only
 * Microsoft's answer counts: a webhook's body is a hint to go and ask (see server/webhook/index.ts).
 * @module
 */
import type { MarketplaceEvent } from '../../machines/subscription/index.ts'
import type { Operation } from '../../marketplace/schemas.ts'

/** `receivedAt`: when the webhook reached the service; Microsoft's 10-second window counts from there. */
export function toMarketplaceEvent(operation: Operation, receivedAt: string): MarketplaceEvent {
  const base = { operationId: operation.id, status: operation.status, timeStamp: operation.timeStamp, receivedAt }
  const { action, planId, quantity } = operation
  switch (action) {
    case 'ChangePlan':
      if (planId) return { ...base, type: 'ChangePlan', planId }
      break
    case 'ChangeQuantity':
      if (quantity !== undefined) return { ...base, type: 'ChangeQuantity', quantity }
      break
    case 'Unsubscribe':
      return { ...base, type: 'Unsubscribe', planId, quantity }
    case 'Suspend':
    case 'Reinstate':
    case 'Renew':
    case 'Subscribe':
      return { ...base, type: action }
  }
  return { ...base, type: 'operation.unknown', action: action || '(none)' }
}
