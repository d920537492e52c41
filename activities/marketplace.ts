/**
 * Activities that talk to Microsoft: read a subscription, activate it, acknowledge an operation, and the
 * vendor-initiated change and cancellation followed to their end.
 * @module
 */
import { activityInfo, cancellationSignal, heartbeat } from '@temporalio/activity'
import type { SettledStatus, SubscriptionFacts } from '../machines/subscription/index.ts'
import { factsOf } from '../machines/subscription/index.ts'
import { isMarketplaceError, type MarketplaceClient } from '../marketplace/client/index.ts'
import type { Operation } from '../marketplace/schemas.ts'
import { observeWebhookAck, recordDecision } from '../observability/metrics.ts'
import { translatingFailures } from './failures.ts'

/** How long a vendor request may wait for Microsoft to finish the operation ("can take several minutes"). */
const OPERATION_DEADLINE_MS = 15 * 60_000
const POLL_INTERVAL_MS = 1_000

export type RequestOutcome =
  | { outcome: 'settled'; operationId: string; status: SettledStatus; timeStamp?: string }
  | { outcome: 'refused'; message: string }

export function marketplaceActivities(marketplace: MarketplaceClient) {
  const ctx = (correlationId?: string) => ({ correlationId, signal: cancellationSignal() })

  /** PATCH/DELETE once, then follow the operation; a retry resumes polling instead of asking again. */
  async function requestAndFollow(
    request: () => Promise<{ operationLocation: string; operationId: string }>,
    correlationId: string,
  ): Promise<RequestOutcome> {
    let accepted = activityInfo().heartbeatDetails as { operationLocation: string; operationId: string } | undefined
    if (!accepted) {
      try {
        accepted = await request()
      } catch (err) {
        if (isMarketplaceError(err) && !err.retryable) return { outcome: 'refused', message: err.message }
        throw err
      }
      heartbeat(accepted)
    }
    const operation = await marketplace.awaitOperation(accepted.operationLocation, {
      ...ctx(correlationId),
      deadlineMs: OPERATION_DEADLINE_MS,
      intervalMs: POLL_INTERVAL_MS,
      onPoll: () => heartbeat(accepted),
    })
    return {
      outcome: 'settled',
      operationId: operation.id,
      status: operation.status as SettledStatus,
      timeStamp: operation.timeStamp,
    }
  }

  return {
    async getSubscription(subscriptionId: string): Promise<SubscriptionFacts> {
      return translatingFailures(async () => factsOf(await marketplace.getSubscription(subscriptionId, ctx())))
    },

    /**
     * Activate; billing starts. A retry after an attempt whose answer was lost reads the subscription
     * first and does not activate again when Microsoft already says Subscribed; an Activate that still
     * meets a 400 "already Subscribed" is success too, confirmed by reading the subscription.
     */
    async activate(params: {
      subscriptionId: string
      planId: string
      quantity?: number
      correlationId?: string
    }): Promise<void> {
      return translatingFailures(async () => {
        const call = ctx(params.correlationId)
        // Suspended too: Microsoft suspends only what it activated (the customer may stop paying at once).
        const subscribed = async () =>
          ['Subscribed', 'Suspended'].includes(
            (await marketplace.getSubscription(params.subscriptionId, call)).saasSubscriptionStatus,
          )
        if (activityInfo().attempt > 1 && (await subscribed())) return
        try {
          await marketplace.activate(params.subscriptionId, { planId: params.planId, quantity: params.quantity }, call)
        } catch (err) {
          if (!isMarketplaceError(err, 400) || !(await subscribed())) throw err
        }
      })
    },

    /**
     * Answers an operation Microsoft waits on (PATCH Success/Failure, retried on 429/5xx by the activity's
     * policy), then reports how Microsoft settled it. Past `deadline` (a change's 10-second window) the
     * PATCH is moot, Microsoft decided already, so only the final status is read.
     */
    async acknowledgeOperation(params: {
      subscriptionId: string
      operationId: string
      accept: boolean
      deadline?: string
      /** For a customer change: what the metrics record of its decision and its 10-second window. */
      change?: { action: string; receivedAt: string; decision: 'accepted' | 'rejected' | 'defaulted' }
    }): Promise<{ status: SettledStatus; timeStamp?: string }> {
      return translatingFailures(async () => {
        const { subscriptionId, operationId } = params
        const call = ctx(operationId)
        if (!params.deadline || Date.now() < Date.parse(params.deadline)) {
          try {
            await marketplace.updateOperation(
              subscriptionId,
              operationId,
              { status: params.accept ? 'Success' : 'Failure' },
              call,
            )
            if (params.change) {
              recordDecision(params.change.decision)
              observeWebhookAck(params.change.action, params.accept ? 'Success' : 'Failure', params.change.receivedAt)
            }
          } catch (err) {
            // 409: Microsoft already settled it (a newer update, or its own auto-accept); read what it decided.
            if (!isMarketplaceError(err, 409)) throw err
          }
        }
        const operation: Operation = await marketplace.awaitOperation(
          { subscriptionId, operationId },
          { ...call, deadlineMs: 60_000, intervalMs: 500, onPoll: (op) => heartbeat(op.status) },
        )
        return { status: operation.status as SettledStatus, timeStamp: operation.timeStamp }
      })
    },

    async requestChange(params: {
      subscriptionId: string
      requestId: string
      planId?: string
      quantity?: number
    }): Promise<RequestOutcome> {
      return translatingFailures(() =>
        requestAndFollow(
          () =>
            params.planId !== undefined
              ? marketplace.changePlan(params.subscriptionId, params.planId, ctx(params.requestId))
              : marketplace.changeQuantity(params.subscriptionId, params.quantity!, ctx(params.requestId)),
          params.requestId,
        ),
      )
    },

    async requestCancellation(params: { subscriptionId: string; requestId: string }): Promise<RequestOutcome> {
      return translatingFailures(() =>
        requestAndFollow(
          () => marketplace.deleteSubscription(params.subscriptionId, ctx(params.requestId)),
          params.requestId,
        ),
      )
    },
  }
}
