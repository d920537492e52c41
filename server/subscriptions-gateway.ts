/**
 * The HTTP server's only door to the subscription workflows: start or signal them durably, query them,
 * send vendor updates, and list them through Temporal's visibility (the same filters operators type in
 * the Temporal UI).
 * @module
 */
import { createHash } from 'node:crypto'
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowSignalWithStartOptions,
} from '@temporalio/client'
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes.js'
import { defaultPayloadConverter, type Payload, type SearchAttributePair } from '@temporalio/common'
import proto from '@temporalio/proto'
import type { Config } from '../config/env.ts'
import type {
  Buyer,
  Decision,
  MarketplaceEvent,
  SubscriptionFacts,
  SubscriptionView,
} from '../machines/subscription/index.ts'
import {
  BeneficiaryTenantKey,
  FreeTrialKey,
  OfferIdKey,
  PlanIdKey,
  PurchaserTenantKey,
  QuantityKey,
  StatusKey,
  StepKey,
  SubscriptionIdKey,
  TestKey,
  searchAttributesOf,
} from '../workflows/search-attributes.ts'
import {
  buyerConfirmedSignal,
  cancelUpdate,
  changePlanUpdate,
  changeQuantityUpdate,
  decisionsQuery,
  marketplaceEventSignal,
  provisioningReportedSignal,
  resyncSignal,
  retrySignal,
  stateQuery,
  statusObservedSignal,
  subscriptionWorkflow,
  subscriptionWorkflowId,
  type SubscriptionWorkflowInput,
  type VendorRequestResult,
} from '../workflows/subscription.ts'
import { messageOf } from '../workflows/errors.ts'

// A CommonJS package: its namespace comes through the default import under plain Node ESM.
const { WorkflowExecutionStatus } = proto.temporal.api.enums.v1

export interface SubscriptionSummary {
  subscriptionId: string
  status?: string
  step?: string
  offerId?: string
  planId?: string
  quantity?: number
  beneficiaryTenantId?: string
  purchaserTenantId?: string
  isFreeTrial?: boolean
  isTest?: boolean
  name?: string
  running: boolean
}

export interface ListFilter {
  status?: string
  tenantId?: string
  offerId?: string
  planId?: string
  pageSize?: number
  pageToken?: string
}

/** The workflow is closed (Unsubscribed): nothing more can happen to this subscription. */
export class SubscriptionClosedError extends Error {
  override name = 'SubscriptionClosedError'
}

/** A `pageToken` that `list()` did not hand out for the same filters (made up, cut, or from another list). */
export class InvalidPageTokenError extends Error {
  override name = 'InvalidPageTokenError'
}

/** Length of the digest at the head of a page token (16 bytes in base64url). */
const PAGE_TOKEN_DIGEST_CHARS = 22

/** A vendor update the workflow refused before doing anything (validator), with its reason. */
export class RequestRefusedError extends Error {
  override name = 'RequestRefusedError'
}

export type SubscriptionsGateway = ReturnType<typeof createSubscriptionsGateway>

/** The settings every subscription workflow starts with, from the service's configuration: one mapping for server and worker. */
export function workflowSettings(lifecycle: Config['lifecycle']): SubscriptionWorkflowInput['settings'] {
  return {
    retentionDays: lifecycle.dataRetentionDays,
    changeDecisionMs: lifecycle.changeDecisionMs,
    hookHeartbeatTimeoutMs: lifecycle.hookHeartbeatTimeoutMs,
    hookLaneHoldMs: lifecycle.hookLaneHoldMs,
  }
}

export function createSubscriptionsGateway(options: {
  client: Client
  taskQueue: string
  settings: SubscriptionWorkflowInput['settings']
}) {
  const { client, taskQueue, settings } = options
  const handle = (subscriptionId: string) => client.workflow.getHandle(subscriptionWorkflowId(subscriptionId))

  /** Starts the subscription's workflow if it has none running, and signals it; returns once Temporal has it durably. */
  async function signalWithStart<A extends unknown[]>(
    subscriptionId: string,
    start: Pick<SubscriptionWorkflowInput, 'subscription' | 'origin'>,
    signal: WorkflowSignalWithStartOptions<A>['signal'],
    signalArgs: A,
  ): Promise<void> {
    try {
      await client.workflow.signalWithStart(subscriptionWorkflow, {
        workflowId: subscriptionWorkflowId(subscriptionId),
        taskQueue,
        args: [{ subscriptionId, settings, ...start }],
        signal,
        signalArgs,
        workflowIdConflictPolicy: 'USE_EXISTING',
        // A closed subscription (Unsubscribed) never starts over.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        // Searchable from the first moment; the workflow keeps them current afterwards.
        typedSearchAttributes: start.subscription
          ? (searchAttributesOf(start.subscription).filter((p) => p.value !== null) as SearchAttributePair[])
          : [{ key: SubscriptionIdKey, value: subscriptionId }],
        memo: start.subscription?.name ? { subscriptionName: start.subscription.name } : undefined,
      })
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        throw new SubscriptionClosedError(`subscription ${subscriptionId} is closed`)
      throw err
    }
  }

  /** A vendor update; a refusal by the workflow's validator becomes a `RequestRefusedError`. */
  async function update(send: () => Promise<VendorRequestResult>): Promise<VendorRequestResult> {
    try {
      return await send()
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new RequestRefusedError(messageOf(err))
      throw err
    }
  }

  return {
    /**
     * A verified Microsoft operation, handed durably to its subscription's workflow. A workflow it starts
     * reads the subscription from Microsoft itself: nothing of a webhook's body seeds it.
     */
    deliver(subscriptionId: string, event: MarketplaceEvent) {
      const origin = event.type === 'Subscribe' ? 'purchase' : 'adoption'
      return signalWithStart(subscriptionId, { origin }, marketplaceEventSignal, [event])
    },

    /**
     * Microsoft's current view of a subscription (from List or Get Subscription, never from a webhook body),
     * handed to its workflow to converge on; starts one if the service does not know it yet. `origin`
     * `purchase` provisions it (a Subscribed one the service never saw), `adoption` takes it as it is.
     */
    observe(subscription: SubscriptionFacts, options: { reason: string; origin: 'purchase' | 'adoption' }) {
      return signalWithStart(subscription.id, { subscription, origin: options.origin }, statusObservedSignal, [
        { subscription, reason: options.reason },
      ])
    },

    /** The buyer confirmed on the landing page: provisioning and activation start. */
    confirm(subscription: SubscriptionFacts, buyer: Buyer) {
      return signalWithStart(subscription.id, { subscription, origin: 'purchase' }, buyerConfirmedSignal, [buyer])
    },

    /** The subscription's current view, or undefined when it has no workflow. Works for closed ones too. */
    async get(subscriptionId: string): Promise<SubscriptionView | undefined> {
      try {
        return await handle(subscriptionId).query(stateQuery)
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined
        throw err
      }
    },

    async decisions(subscriptionId: string): Promise<Decision[] | undefined> {
      try {
        return await handle(subscriptionId).query(decisionsQuery)
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined
        throw err
      }
    },

    changePlan: (subscriptionId: string, planId: string) =>
      update(() => handle(subscriptionId).executeUpdate(changePlanUpdate, { args: [{ planId }] })),
    changeQuantity: (subscriptionId: string, quantity: number) =>
      update(() => handle(subscriptionId).executeUpdate(changeQuantityUpdate, { args: [{ quantity }] })),
    cancel: (subscriptionId: string) => update(() => handle(subscriptionId).executeUpdate(cancelUpdate)),

    reportProvisioning: (subscriptionId: string, report: { status: 'succeeded' | 'failed'; message?: string }) =>
      handle(subscriptionId).signal(provisioningReportedSignal, report),
    retry: (subscriptionId: string) => handle(subscriptionId).signal(retrySignal),
    /** The subscription reads Microsoft's view now and converges on it (an operator's resync). */
    resync: (subscriptionId: string, reason: string) => handle(subscriptionId).signal(resyncSignal, { reason }),

    /**
     * One page of subscriptions matching the filter, newest first, from Temporal's visibility store.
     * A `pageToken` must be a `nextPageToken` this returned for the same filter, else `InvalidPageTokenError`
     * at once: Temporal answers a token it cannot read with a retryable UNKNOWN, after about 18 s of retries.
     */
    async list(filter: ListFilter): Promise<{ subscriptions: SubscriptionSummary[]; nextPageToken?: string }> {
      const query = visibilityQuery(filter)
      // Our token: a digest binding Temporal's token to the query, then Temporal's token (both base64url).
      // A check against mistakes, not a secret: only authenticated callers reach this.
      const digestOf = (temporalToken: Uint8Array) =>
        createHash('sha256')
          .update(query)
          .update('\n')
          .update(temporalToken)
          .digest()
          .subarray(0, 16)
          .toString('base64url')
      let temporalToken: Buffer | undefined
      if (filter.pageToken) {
        temporalToken = Buffer.from(filter.pageToken.slice(PAGE_TOKEN_DIGEST_CHARS), 'base64url')
        if (!temporalToken.length || filter.pageToken.slice(0, PAGE_TOKEN_DIGEST_CHARS) !== digestOf(temporalToken)) {
          throw new InvalidPageTokenError('pageToken is not a nextPageToken of this list with these filters')
        }
      }
      const res = await client.workflowService.listWorkflowExecutions({
        namespace: client.options.namespace,
        query,
        pageSize: filter.pageSize ?? 100,
        nextPageToken: temporalToken,
      })
      const subscriptions = (res.executions ?? []).map((e) =>
        summaryOf(
          e.searchAttributes?.indexedFields,
          e.memo?.fields,
          e.status === WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
        ),
      )
      const next = res.nextPageToken?.length ? res.nextPageToken : undefined
      return { subscriptions, nextPageToken: next && digestOf(next) + Buffer.from(next).toString('base64url') }
    },
  }
}

/**
 * The visibility query for a filter, e.g. `SaasStatus = "Suspended" AND SaasBeneficiaryTenantId = "…"`:
 * paste it into the Temporal UI's search box to see the same subscriptions.
 */
export function visibilityQuery(filter: ListFilter): string {
  // Runs that continued as new are the same subscription: only the current run counts.
  const clauses = [`WorkflowType = "${subscriptionWorkflow.name}"`, `ExecutionStatus != "ContinuedAsNew"`]
  const eq = (name: string, value: string | undefined) => value && clauses.push(`${name} = ${JSON.stringify(value)}`)
  eq(StatusKey.name, filter.status)
  eq(OfferIdKey.name, filter.offerId)
  eq(PlanIdKey.name, filter.planId)
  if (filter.tenantId) {
    const t = JSON.stringify(filter.tenantId)
    clauses.push(`(${BeneficiaryTenantKey.name} = ${t} OR ${PurchaserTenantKey.name} = ${t})`)
  }
  return clauses.join(' AND ')
}

function summaryOf(
  indexed: Record<string, Payload> | null | undefined,
  memo: Record<string, Payload> | null | undefined,
  running: boolean,
): SubscriptionSummary {
  const sa = decodeTypedSearchAttributes(indexed)
  const name = memo?.subscriptionName ? defaultPayloadConverter.fromPayload<string>(memo.subscriptionName) : undefined
  return {
    subscriptionId: sa.get(SubscriptionIdKey) ?? '',
    status: sa.get(StatusKey),
    step: sa.get(StepKey),
    offerId: sa.get(OfferIdKey),
    planId: sa.get(PlanIdKey),
    quantity: sa.get(QuantityKey),
    beneficiaryTenantId: sa.get(BeneficiaryTenantKey),
    purchaserTenantId: sa.get(PurchaserTenantKey),
    isFreeTrial: sa.get(FreeTrialKey),
    isTest: sa.get(TestKey),
    name: name ?? undefined,
    running,
  }
}
