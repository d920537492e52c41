/**
 * The records the emulator keeps. Subscriptions and operations are stored in Microsoft's own shapes (the
 * generated OpenAPI types, with the fields the emulator always sets made required), so the API returns
 * them as they are and the contract tests hold them to the official schemas.
 * @module
 */
import type { components } from '../../marketplace/openapi/saas.d.ts'
import type { components as meteringComponents } from '../../marketplace/openapi/metering.d.ts'
import type { KnownOperationAction } from '../../marketplace/actions.ts'

type Saas = components['schemas']
export type AadIdentifier = Required<Pick<Saas['AadIdentifier'], 'emailId' | 'objectId' | 'tenantId'>> &
  Saas['AadIdentifier']
export type TermUnit = Saas['TermUnit']
export type SubscriptionStatus = NonNullable<Saas['Subscription']['saasSubscriptionStatus']>
export type MicrosoftPlan = Saas['Plan']

export type Subscription = Saas['Subscription'] &
  Required<
    Pick<
      Saas['Subscription'],
      | 'id'
      | 'publisherId'
      | 'offerId'
      | 'name'
      | 'saasSubscriptionStatus'
      | 'planId'
      | 'autoRenew'
      | 'isTest'
      | 'isFreeTrial'
      | 'allowedCustomerOperations'
      | 'sandboxType'
      | 'sessionMode'
      | 'created'
    >
  > & {
    beneficiary: AadIdentifier
    purchaser: AadIdentifier
    term: { termUnit: TermUnit } & Saas['Subscription']['term']
  }

/** Who started an operation, as webhooks say it: the customer on Microsoft's side, or the publisher's API call. */
export type OperationSource = 'Azure' | 'Partner'

/**
 * A SaaS operation. `action` includes `Subscribe` (auto-activated purchases), which the spec's enum lacks
 * but Microsoft sends; `operationRequestSource` is the webhook field, kept on the operation.
 */
export type Operation = Omit<Saas['SaaSOperation'], 'action' | 'status'> &
  Required<Pick<Saas['SaaSOperation'], 'id' | 'activityId' | 'subscriptionId' | 'offerId' | 'publisherId'>> & {
    planId: string
    action: KnownOperationAction
    status: NonNullable<Saas['SaaSOperation']['status']>
    timeStamp: string
    operationRequestSource: OperationSource
    errorStatusCode?: string
    errorMessage?: string
  }

export type UsageEventStatus = meteringComponents['schemas']['StatusEnum']

/** An accepted usage event: one per resource + dimension + clock hour. */
export interface UsageRecord {
  usageEventId: string
  resourceId: string
  dimension: string
  planId: string
  quantity: number
  effectiveStartTime: string
  messageTime: string
  /**
   * What Microsoft's billing later made of it, as `GET /usageEvents` reports it (set through the driver's
   * `settleUsage`); absent: `Accepted`, the whole quantity processed.
   */
  reconStatus?: ReconStatus
  processedQuantity?: number
}

/** `GET /usageEvents`' `reconStatus` (meteringapi.v1.json `ReconStatus`). */
export type ReconStatus = 'Submitted' | 'Accepted' | 'Rejected' | 'Mismatch'

/** One call the publisher made to the marketplace API, and how it was answered. */
export interface JournalEntry {
  seq: number
  time: string
  /** Short name of the API operation, e.g. `activate` (see `API_OPERATIONS`). */
  kind: string
  /** The OpenAPI `operationId`, e.g. `FulfillmentOperations_ActivateSubscription`. */
  apiOperationId: string
  method: string
  path: string
  subscriptionIds: string[]
  /** The SaaS operation the call created or acted on, if any. */
  operationId?: string
  body?: unknown
  status: number
  requestId: string
  correlationId: string
}

export type WebhookDeliveryState = 'pending' | 'delivered' | 'rejected' | 'failed' | 'dropped'

export interface WebhookAttempt {
  at: string
  /** The publisher's HTTP status, or absent when the request itself failed. */
  status?: number
  error?: string
}

/** One webhook call the emulator makes (or, under fault injection, drops), with every attempt. */
export interface WebhookDelivery {
  id: string
  operationId: string
  subscriptionId: string
  action: string
  status: string
  state: WebhookDeliveryState
  /** Set on the second copy of a webhook delivered twice by fault injection. */
  duplicateOf?: string
  /** Fault injection: wait this long before the first attempt. */
  delayMs?: number
  attempts: WebhookAttempt[]
  createdAt: string
  payload: Record<string, unknown>
}
