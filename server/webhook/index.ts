/**
 * `POST /webhook`: Microsoft's notifications, applied exactly once.
 *
 * Nothing is started unless every check passes: body at most 64 KiB (413), a valid Entra token (401; 503
 * when the keys cannot be fetched, so that Microsoft retries instead of the call counting as a rejection),
 * a well-formed payload (400), and the operation confirmed by Get Operation for the same subscription.
 * Only once the subscription's workflow has the event durably does Microsoft get its 200; if it cannot be
 * recorded the answer is 503, so Microsoft retries. Duplicates are harmless: the workflow remembers the
 * operation ids it has applied.
 *
 * THE BODY IS A HINT. A webhook token is valid for minutes and is not bound to the body, so whoever holds
 * one can replay it with any body. The body therefore only says which operation of which subscription to
 * ask Microsoft about: every fact that reaches the workflow (action, status, plan, seats, time) comes from
 * Get Operation, and the subscription itself from Get Subscription. A body whose ids disagree with each
 * other or with Get Operation changes nothing (400).
 * @module
 */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { Logger } from '../../config/logger.ts'
import { isMarketplaceError, type MarketplaceClient } from '../../marketplace/client/index.ts'
import { recordWebhook } from '../../observability/metrics.ts'
import { annotateActiveSpan } from '../../observability/tracing.ts'
import { webhookPayloadSchema, type Operation, type WebhookPayload } from '../../marketplace/schemas.ts'
import { SubscriptionClosedError, type SubscriptionsGateway } from '../subscriptions-gateway.ts'
import { toMarketplaceEvent } from './to-event.ts'
import { WebhookAuthError, type WebhookVerifier } from './verify.ts'

export const MAX_WEBHOOK_BYTES = 64 * 1024

export interface WebhookDeps {
  /** Absent only with WEBHOOK_AUTH=none (local emulators). */
  verify?: WebhookVerifier
  marketplace: MarketplaceClient
  subscriptions: SubscriptionsGateway
  logger: Logger
}

export function webhook(deps: WebhookDeps) {
  const { logger } = deps
  return new Hono().post(
    '/webhook',
    bodyLimit({
      maxSize: MAX_WEBHOOK_BYTES,
      onError: (c) => c.json({ error: `body larger than ${MAX_WEBHOOK_BYTES} bytes` }, 413),
    }),
    async function receiveWebhook(c) {
      const receivedAt = new Date().toISOString()
      if (deps.verify) {
        try {
          await deps.verify(c.req.header('authorization'))
        } catch (err) {
          const unauthorized = err instanceof WebhookAuthError
          // The reason stays in the log: telling the caller which check failed helps forge a token.
          logger.warn({ reason: String(err) }, unauthorized ? 'webhook refused' : 'webhook not verifiable now')
          recordWebhook('unknown', unauthorized ? 'unauthorized' : 'unconfirmed')
          return unauthorized
            ? c.json({ error: 'unauthorized' }, 401)
            : c.json({ error: 'cannot verify the token now; retry' }, 503)
        }
      }

      const parsed = webhookPayloadSchema.safeParse(await c.req.json().catch(() => undefined))
      if (!parsed.success) {
        recordWebhook('unknown', 'invalid')
        return c.json(
          {
            error: 'invalid webhook payload',
            issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
          },
          400,
        )
      }
      const payload = parsed.data
      // The operation id is the correlation id of every call about it (Get Operation here, the PATCH later),
      // so Microsoft's logs and this request's trace meet on it.
      annotateActiveSpan({ 'x-ms-correlationid': payload.id })
      const log = logger.child({
        subscriptionId: payload.subscriptionId,
        operationId: payload.id,
        action: payload.action,
      })

      let operation
      try {
        operation = await deps.marketplace.getOperation(payload.subscriptionId, payload.id, {
          correlationId: payload.id,
        })
      } catch (err) {
        // Not found or unreachable: the operation cannot be confirmed now; Microsoft will deliver it again.
        log.warn(
          { reason: String(err), status: isMarketplaceError(err) ? err.status : undefined },
          'webhook operation not confirmed',
        )
        recordWebhook(payload.action, 'unconfirmed')
        return c.json({ error: 'the operation could not be confirmed with Microsoft' }, 503)
      }
      const disagreement = disagreementOf(payload, operation)
      if (disagreement) {
        log.warn({ disagreement }, 'webhook body disagrees with Microsoft')
        recordWebhook(payload.action, 'invalid')
        return c.json({ error: `the webhook does not match Microsoft's operation: ${disagreement}` }, 400)
      }

      const event = toMarketplaceEvent(operation, receivedAt)
      try {
        await deps.subscriptions.deliver(payload.subscriptionId, event)
      } catch (err) {
        if (err instanceof SubscriptionClosedError) {
          log.info('webhook for a closed subscription; nothing to apply')
          recordWebhook(operation.action, 'duplicate')
          return c.json({ status: 'closed', operationId: operation.id })
        }
        log.error({ err }, 'webhook could not be recorded')
        recordWebhook(operation.action, 'failed')
        return c.json({ error: 'the event could not be recorded; retry' }, 503)
      }
      log.info({ event: event.type, status: event.status }, 'webhook recorded')
      recordWebhook(operation.action, 'accepted')
      return c.json({ status: 'recorded', operationId: operation.id })
    },
  )
}

/** Why the body cannot be the operation Microsoft reports, if it cannot: ids or action that differ. */
function disagreementOf(payload: WebhookPayload, operation: Operation): string | undefined {
  if (operation.id !== payload.id) return 'operation id differs'
  if (operation.subscriptionId !== payload.subscriptionId) return 'the operation belongs to another subscription'
  if (payload.subscription && payload.subscription.id !== payload.subscriptionId)
    return 'subscription.id differs from subscriptionId'
  if (payload.action && operation.action && payload.action !== operation.action) return 'action differs'
  return undefined
}
