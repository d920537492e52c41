/**
 * The machine's memory, and the pure updates the transitions make to it.
 * @module
 */
import type { Buyer } from './events.ts'
import type { SubscriptionFacts, SubscriptionStatus } from './facts.ts'

/** A customer-initiated ChangePlan/ChangeQuantity waiting for the vendor's decision and its acknowledgement. */
export interface PendingChange {
  operationId: string
  action: 'ChangePlan' | 'ChangeQuantity'
  planId?: string
  quantity?: number
  timeStamp?: string
  receivedAt: string
  accept?: boolean
  reason?: string
  /** The vendor did not decide in time: accepted by default. */
  byDefault?: boolean
  /**
   * It arrived while an earlier change was still open, which is then never answered or settled here
   * (Microsoft settles it itself): Microsoft's view is read once this one closes, so the earlier one is
   * not lost. Set only when `SubscriptionContext.resyncOvertaken`.
   */
  overtook?: boolean
}

/** A change or cancellation the vendor asked for, from the request to Microsoft's answer. */
export interface VendorRequest {
  requestId: string
  kind: 'changePlan' | 'changeQuantity' | 'cancel'
  planId?: string
  quantity?: number
  /** The state to go back to if Microsoft refuses. */
  from: 'awaitingBuyer' | 'provisioningFailed' | 'activationFailed' | 'subscribed' | 'suspended'
  outcome?: 'succeeded' | 'failed'
  operationId?: string
  message?: string
}

export interface SubscriptionContext {
  subscription: SubscriptionFacts
  origin: SubscriptionInput['origin']
  /** When this service first saw the subscription. */
  startedAt?: string
  buyer?: Buyer
  retentionDays: number
  change?: PendingChange
  request?: VendorRequest
  /** Finished vendor requests, newest last: an update waiting on one reads its outcome here. */
  requests: VendorRequest[]
  /** A Reinstate being decided; `open` while Microsoft still waits on it (InProgress), so it gets an answer. */
  reinstatement?: { operationId?: string; open?: boolean }
  /** The vendor's own reference of a provisioning it accepted to finish later (shown to operators). */
  provisioningReference?: string
  failure?: { step: 'provision' | 'activate'; message: string; at?: string }
  /** Microsoft operation ids already applied or settled, newest last: a repeated webhook changes nothing. */
  operations: string[]
  /** Microsoft `timeStamp` of the latest plan/quantity change applied: an older one arriving late is stale. */
  lastChangeAt?: string
  /**
   * Converges on Microsoft's state: a webhook that changes status, plan or seats is a hint to read the
   * subscription (Get Subscription) and move to what Microsoft says now, whatever the order of delivery.
   * False only for runs recorded before convergence existed, which replay the edges they took then.
   */
  converge: boolean
  /** See `SubscriptionInput.provisionAdopted`. */
  provisionAdopted?: boolean
  /** Read Microsoft's view after a change that overtook an open one (`PendingChange.overtook`). */
  resyncOvertaken?: boolean
  /** Microsoft's view differed while the subscription was busy: read it again once it is idle. */
  resyncDue?: boolean
  unsubscribedAt?: string
  retainUntil?: string
}

export interface SubscriptionInput {
  subscription: SubscriptionFacts
  /** How long the vendor keeps a cancelled customer's data (Microsoft asks for at least 7 days). */
  retentionDays: number
  /**
   * `purchase`: a new subscription to provision (landing page, Subscribe webhook).
   * `adoption`: an existing one this service learns about from a webhook or reconciliation; it is
   * taken in the state Microsoft reports, without provisioning (but see `provisionAdopted`).
   */
  origin: 'purchase' | 'adoption'
  /** When the subscription was first seen (set by the driver). */
  startedAt?: string
  /** See `SubscriptionContext.converge`; true unless the workflow replays a run from before it. */
  converge?: boolean
  /**
   * An adopted subscription that is Subscribed at Microsoft is provisioned, not taken in as it stands: a
   * webhook other than Subscribe (a Reinstate, a ChangePlan) for one this service never saw means a customer
   * Microsoft bills and the vendor never set up, which reconciliation would then find in sync. The workflow
   * sets it for runs started since it existed; false by default.
   */
  provisionAdopted?: boolean
  /** See `SubscriptionContext.resyncOvertaken`; true unless the workflow replays a run from before it. */
  resyncOvertaken?: boolean
}

const MAX_OPERATIONS = 500
const MAX_REQUESTS = 20
const DAY_MS = 86_400_000

export function rememberOperation(context: SubscriptionContext, operationId: string | undefined): string[] {
  if (!operationId || context.operations.includes(operationId)) return context.operations
  return [...context.operations, operationId].slice(-MAX_OPERATIONS)
}

export function isNewOperation(context: SubscriptionContext, event: { operationId?: string }): boolean {
  return !event.operationId || !context.operations.includes(event.operationId)
}

/** Failed or Conflict operations changed nothing at Microsoft, so they change nothing here either. */
export function isEffective(event: { status: string }): boolean {
  return event.status !== 'Failed' && event.status !== 'Conflict'
}

/** Orders Microsoft's timestamps by time, not text (they come with 0 to 7 fraction digits). */
export function isBefore(a: string, b: string): boolean {
  return Date.parse(a) < Date.parse(b)
}

export function withStatus(context: SubscriptionContext, status: SubscriptionStatus): SubscriptionFacts {
  return { ...context.subscription, saasSubscriptionStatus: status }
}

/** Takes Microsoft's view, keeping this service's own status, plan and quantity (those change only by transition). */
export function mergeFacts(ours: SubscriptionFacts, theirs: SubscriptionFacts | undefined): SubscriptionFacts {
  if (!theirs) return ours
  return {
    ...theirs,
    saasSubscriptionStatus: ours.saasSubscriptionStatus,
    planId: ours.planId,
    quantity: ours.quantity,
  }
}

export function retention(context: SubscriptionContext, at: string | undefined) {
  const from = at ?? context.startedAt ?? new Date(0).toISOString()
  return {
    unsubscribedAt: from,
    retainUntil: new Date(Date.parse(from) + context.retentionDays * DAY_MS).toISOString(),
  }
}

export function finishRequest(
  context: SubscriptionContext,
  outcome: VendorRequest['outcome'],
  details: { operationId?: string; message?: string } = {},
): Pick<SubscriptionContext, 'request' | 'requests'> {
  if (!context.request) return { request: undefined, requests: context.requests }
  const done = { ...context.request, outcome, ...details }
  return { request: undefined, requests: [...context.requests, done].slice(-MAX_REQUESTS) }
}
