/**
 * Everything that can happen to a subscription, as events of its lifecycle machine.
 *
 * Marketplace events carry Microsoft's action names (`ChangePlan`, `Suspend`, …) and describe an
 * operation the HTTP server already checked with Get Operation. The others come from the buyer, the
 * vendor, an operator, reconciliation, or the result of an activity the machine asked for.
 * Every event may carry `at`, the time it happened (stamped by the driver when absent).
 * @module
 */
import { OPERATION_ACTIONS, type KnownOperationAction } from '../../marketplace/actions.ts'
import type { OperationStatus } from '../../marketplace/schemas.ts'
import type { SubscriptionFacts } from './facts.ts'

export type { OperationStatus }

interface Stamped {
  at?: string
}

/**
 * A Microsoft operation delivered by webhook (or found by reconciliation). Every field comes from Get
 * Operation, Microsoft's answer, never from the webhook's body: a body is only a hint to go and ask.
 */
interface OperationEvent extends Stamped {
  operationId: string
  /** Microsoft's status of the operation as Get Operation reported it. */
  status: OperationStatus
  /** Microsoft's `timeStamp` of the operation; orders changes that arrive out of order. */
  timeStamp?: string
  /** When the webhook reached the service: the 10-second decision window counts from here. */
  receivedAt: string
}

export type MarketplaceEvent =
  | (OperationEvent & { type: 'ChangePlan'; planId: string })
  | (OperationEvent & { type: 'ChangeQuantity'; quantity: number })
  | (OperationEvent & { type: 'Suspend' })
  | (OperationEvent & { type: 'Reinstate' })
  | (OperationEvent & { type: 'Renew' })
  /** With the plan and seats the subscription ended on, as the operation reports them. */
  | (OperationEvent & { type: 'Unsubscribe'; planId?: string; quantity?: number })
  | (OperationEvent & { type: 'Subscribe' })
  /** An action this service does not know (Microsoft adds them); recorded, never applied. */
  | (OperationEvent & { type: 'operation.unknown'; action: string })

/** Microsoft's actions that are events of the machine; Transfer is not one yet (it arrives as `operation.unknown`). */
type MarketplaceAction = Exclude<KnownOperationAction, 'Transfer'>
export const MARKETPLACE_EVENT_TYPES = [
  ...OPERATION_ACTIONS.filter((action): action is MarketplaceAction => action !== 'Transfer'),
  'operation.unknown' as const,
] satisfies readonly MarketplaceEvent['type'][]

export interface Buyer {
  email?: string
  name?: string
  tenantId?: string
  objectId?: string
}

/** Outcome of a vendor-initiated change or cancellation, once Microsoft has answered. */
export type SettledStatus = 'Succeeded' | 'Failed' | 'Conflict'

export type LifecycleEvent =
  /** The buyer confirmed the purchase on the landing page. */
  | (Stamped & { type: 'buyer.confirmed'; buyer: Buyer })
  | (Stamped & { type: 'provisioning.completed' })
  /** The vendor accepted the provisioning request and will report completion later. */
  | (Stamped & { type: 'provisioning.pending'; reference?: string })
  | (Stamped & { type: 'provisioning.failed'; message: string })
  | (Stamped & { type: 'activation.completed' })
  | (Stamped & { type: 'activation.failed'; message: string })
  /** The vendor's answer to a customer ChangePlan/ChangeQuantity (accepted by default when late). */
  | (Stamped & { type: 'change.decided'; operationId: string; accept: boolean; reason?: string; byDefault?: boolean })
  /** A Microsoft operation reached its end (after an acknowledgement, or by following Operation-Location). */
  | (Stamped & {
      type: 'operation.settled'
      operationId: string
      status: SettledStatus
      /** Set when the operation answers a vendor request. */
      requestId?: string
      /** Microsoft's `timeStamp` of the operation, to order it against changes that arrive by webhook. */
      timeStamp?: string
    })
  | (Stamped & { type: 'vendor.changePlan'; requestId: string; planId: string })
  | (Stamped & { type: 'vendor.changeQuantity'; requestId: string; quantity: number })
  | (Stamped & { type: 'vendor.cancel'; requestId: string })
  /** Microsoft refused a vendor request outright (a 4xx on PATCH/DELETE). */
  | (Stamped & { type: 'vendor.requestFailed'; requestId: string; message: string })
  | (Stamped & { type: 'reinstatement.decided'; accept: boolean; reason?: string })
  /** Microsoft's current view of the subscription, from reconciliation or a fresh Get Subscription. */
  | (Stamped & { type: 'status.observed'; subscription: SubscriptionFacts; reason?: string })
  /** An operator retries the failed step. */
  | (Stamped & { type: 'retry' })
  /** Someone (an operator) asks the subscription to read Microsoft's view now and converge on it. */
  | (Stamped & { type: 'resync.requested'; reason: string })

export type SubscriptionEvent = MarketplaceEvent | LifecycleEvent

export const LIFECYCLE_EVENT_TYPES = [
  'buyer.confirmed',
  'provisioning.completed',
  'provisioning.pending',
  'provisioning.failed',
  'activation.completed',
  'activation.failed',
  'change.decided',
  'operation.settled',
  'vendor.changePlan',
  'vendor.changeQuantity',
  'vendor.cancel',
  'vendor.requestFailed',
  'reinstatement.decided',
  'status.observed',
  'retry',
  'resync.requested',
] as const satisfies readonly LifecycleEvent['type'][]

export function isMarketplaceEvent(event: SubscriptionEvent): event is MarketplaceEvent {
  return (MARKETPLACE_EVENT_TYPES as readonly string[]).includes(event.type)
}
