/**
 * Pure pieces of the machine's transitions: the side effects' parameters, the guards' conditions and
 * the context updates that more than one state shares.
 * @module
 */
import { isBefore, isNewOperation, rememberOperation, type PendingChange, type SubscriptionContext } from './context.ts'
import type { Buyer, MarketplaceEvent, SubscriptionEvent } from './events.ts'
import type { SubscriptionFacts } from './facts.ts'

/** Parameters of each side effect, as the workflow receives them. */
export interface ActionParams {
  provision: { subscription: SubscriptionFacts; buyer?: Buyer }
  activate: { subscriptionId: string; planId: string; quantity?: number }
  /** Decide on a customer's ChangePlan/ChangeQuantity before Microsoft's 10-second window closes. */
  decideChange: { subscription: SubscriptionFacts; change: PendingChange }
  /** PATCH the operation `Success` (accepted) or `Failure` (rejected), then report how it settled. */
  acknowledgeOperation: { subscriptionId: string; change: PendingChange }
  /** PATCH Success on a Reinstate the vendor took back (an older page of the docs asks for it; harmless otherwise). */
  acknowledgeReinstatement: { subscriptionId: string; operationId: string }
  /** Microsoft confirmed a new plan or seat count: the vendor applies it. */
  applyChange: {
    subscription: SubscriptionFacts
    previous: { planId: string; quantity?: number }
    operationId?: string
  }
  requestChange: { subscriptionId: string; requestId: string; planId?: string; quantity?: number }
  requestCancellation: { subscriptionId: string; requestId: string }
  suspendAccess: { subscription: SubscriptionFacts; operationId?: string }
  decideReinstatement: { subscription: SubscriptionFacts; operationId?: string }
  deprovision: { subscription: SubscriptionFacts; retainUntil: string }
  notify: { event: string; subscription: SubscriptionFacts; operationId?: string }
  /** Read the subscription at Microsoft (Get Subscription) and report it back as `status.observed`. */
  resync: { subscriptionId: string; reason: string }
}

export type SideEffect = { [K in keyof ActionParams]: { type: K; params: ActionParams[K] } }[keyof ActionParams]

type Args = { context: SubscriptionContext; event: SubscriptionEvent }

interface Change {
  planId?: string
  /** `null`: the plan has no seats (Microsoft's view of a non-per-seat plan); absent: seats unchanged. */
  quantity?: number | null
  operationId?: string
  timeStamp?: string
}

/** The vendor hook's parameters and the context update for a plan/quantity change Microsoft confirmed. */
export function applyChange(context: SubscriptionContext, change: Change) {
  const subscription = {
    ...context.subscription,
    planId: change.planId ?? context.subscription.planId,
    quantity: change.quantity === null ? undefined : (change.quantity ?? context.subscription.quantity),
  }
  const newer = change.timeStamp && (!context.lastChangeAt || isBefore(context.lastChangeAt, change.timeStamp))
  return {
    params: {
      subscription,
      previous: { planId: context.subscription.planId, quantity: context.subscription.quantity },
      operationId: change.operationId,
    } satisfies ActionParams['applyChange'],
    update: {
      subscription,
      operations: rememberOperation(context, change.operationId),
      lastChangeAt: newer ? change.timeStamp : context.lastChangeAt,
    } satisfies Partial<SubscriptionContext>,
  }
}

/** The change a vendor request asked for, confirmed by this event. */
export function requestedChange(context: SubscriptionContext, event: SubscriptionEvent): Change {
  const request = context.request
  return {
    planId: request?.planId,
    quantity: request?.quantity,
    operationId: 'operationId' in event ? event.operationId : undefined,
    // Without Microsoft's time, when this service learned of it is the best (later) bound.
    timeStamp: ('timeStamp' in event ? event.timeStamp : undefined) ?? event.at,
  }
}

/** `applyChange` side-effect parameters, for a change taken from the event, the pending customer change, or the vendor request. */
export const applyChangeParams = {
  fromEvent: ({ context, event }: Args) => applyChange(context, changeFromEvent(event)).params,
  pending: ({ context }: Args) => applyChange(context, context.change ?? {}).params,
  requested: ({ context, event }: Args) => applyChange(context, requestedChange(context, event)).params,
}

/** Read Microsoft's view now, because of this event (a webhook's action is its type). */
export const resyncParams = ({ context, event }: Args): ActionParams['resync'] => ({
  subscriptionId: context.subscription.id,
  reason: event.type,
})

/** The open customer change, with the facts it is decided against. */
export const decideChangeParams = ({ context }: Args): ActionParams['decideChange'] => ({
  subscription: context.subscription,
  change: context.change!,
})

/** The plan or seats an event asks for: from a ChangePlan/ChangeQuantity, or what Microsoft reports now. */
export function changeFromEvent(event: SubscriptionEvent): Change {
  switch (event.type) {
    case 'ChangePlan':
      return { planId: event.planId, operationId: event.operationId, timeStamp: event.timeStamp }
    case 'ChangeQuantity':
      return { quantity: event.quantity, operationId: event.operationId, timeStamp: event.timeStamp }
    case 'status.observed':
      return { planId: event.subscription.planId, quantity: event.subscription.quantity ?? null }
    default:
      return {}
  }
}

/**
 * An open customer change (InProgress at Microsoft) not seen before, and not the one being decided now
 * (Microsoft redelivers webhooks): the vendor must decide now.
 */
export function isChangeToDecide({ context, event }: Args): boolean {
  return (
    isChange(event) &&
    isNewOperation(context, event) &&
    event.operationId !== context.change?.operationId &&
    (event.status === 'InProgress' || event.status === 'NotStarted')
  )
}

/** A change Microsoft already completed (a late webhook after the auto-accept), newer than the last applied. */
export function isConfirmedChange({ context, event }: Args): boolean {
  return isChange(event) && isNewOperation(context, event) && event.status === 'Succeeded' && !isStale(context, event)
}

/** A completed change older than the last one applied: delivered out of order, it must not overwrite it. */
export function isStaleConfirmedChange({ context, event }: Args): boolean {
  return isChange(event) && isNewOperation(context, event) && event.status === 'Succeeded' && isStale(context, event)
}

export function pendingChangeOf(event: SubscriptionEvent, overtook = false): PendingChange | undefined {
  if (!isChange(event)) return undefined
  const { operationId, timeStamp, receivedAt } = event
  const planId = event.type === 'ChangePlan' ? event.planId : undefined
  const quantity = event.type === 'ChangeQuantity' ? event.quantity : undefined
  return { operationId, action: event.type, planId, quantity, timeStamp, receivedAt, ...(overtook && { overtook }) }
}

/** Microsoft's view differs from this service's in status, plan or seats. */
export function observedDifference({ context, event }: Args): boolean {
  return (
    event.type === 'status.observed' &&
    (event.subscription.saasSubscriptionStatus !== context.subscription.saasSubscriptionStatus ||
      observedDrift({ context, event }))
  )
}

/** Microsoft's webhook confirming the vendor's own pending change (same plan or seats, Succeeded). */
export function matchesRequest({ context, event }: Args): boolean {
  const request = context.request
  if (!request || !isChange(event) || event.status !== 'Succeeded' || !isNewOperation(context, event)) return false
  return event.type === 'ChangePlan' ? event.planId === request.planId : event.quantity === request.quantity
}

/**
 * Why a vendor request cannot go to Microsoft, in words for the vendor's API; undefined when nothing in the
 * request or the open customer change stands in its way (the state decides the rest). The machine's guard
 * `requestable` and the API's refusal (`refusalOf`) both read it: one rule, one owner.
 */
export function requestRefusal(context: SubscriptionContext, event: SubscriptionEvent): string | undefined {
  const { change, subscription } = context
  if (change)
    return `a customer ${change.action} (operation ${change.operationId}) is being decided; try again after it settles`
  if (event.type === 'vendor.changePlan' && event.planId === subscription.planId)
    return `the subscription is already on plan ${event.planId}`
  if (event.type === 'vendor.changeQuantity') {
    if (!Number.isInteger(event.quantity) || event.quantity <= 0) return 'the quantity must be a positive whole number'
    if (event.quantity === subscription.quantity) return `the subscription already has ${event.quantity} seats`
  }
  return undefined
}

export function observedDrift({ context, event }: Args): boolean {
  return (
    event.type === 'status.observed' &&
    (event.subscription.planId !== context.subscription.planId ||
      event.subscription.quantity !== context.subscription.quantity)
  )
}

function isChange(
  event: SubscriptionEvent,
): event is Extract<MarketplaceEvent, { type: 'ChangePlan' | 'ChangeQuantity' }> {
  return event.type === 'ChangePlan' || event.type === 'ChangeQuantity'
}

function isStale(context: SubscriptionContext, event: { timeStamp?: string }): boolean {
  return !!(event.timeStamp && context.lastChangeAt && isBefore(event.timeStamp, context.lastChangeAt))
}
