/**
 * Webhook delivery, as Microsoft does it (docs/marketplace-contract.md §4.1): POST with JSON and a fresh
 * Entra-style bearer token per attempt; anything but a 2xx is retried (count and spacing from `webhookRetry`), except a 4xx
 * to a ChangePlan/ChangeQuantity still awaiting an answer, which is the publisher's rejection.
 *
 * Deliveries of one subscription go out in order, one at a time; other subscriptions are not held up.
 * Fault injection may drop a webhook, send it twice, delay it, or hold it back until the next one of the
 * same subscription has gone out (reorder). Every delivery and attempt is kept for the driver's log.
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { RuntimeConfig } from '../options.ts'
import type { Clock } from '../core/clock.ts'
import type { FaultInjector } from '../core/faults.ts'
import type { State } from '../core/state.ts'
import type { Timers } from '../core/timers.ts'
import type { WebhookDelivery } from '../core/types.ts'

/** A reordered webhook waits at most this long for a later one to overtake it. */
const REORDER_WINDOW_MS = 5_000

export interface WebhookPayload extends Record<string, unknown> {
  id: string
  subscriptionId: string
  action: string
  status: string
}

export interface WebhookSenderDeps {
  state: State
  config: RuntimeConfig
  clock: Clock
  timers: Timers
  faults: FaultInjector
  logger: Logger
  changed(): void
  /** A fresh bearer token for one attempt. */
  sign(): Promise<string>
  /** Called on a 4xx answer; returns true when that answer rejected the operation (then no retry). */
  rejects(operationId: string): boolean
}

export type WebhookSender = ReturnType<typeof createWebhookSender>

export function createWebhookSender(deps: WebhookSenderDeps) {
  const { state, clock, timers } = deps
  const tails = new Map<string, Promise<void>>()
  const held = new Map<string, WebhookDelivery>()
  /** Bumped by `clear`: deliveries queued before a reset or stop never start. */
  let generation = 0

  function enqueue(delivery: WebhookDelivery): void {
    const key = delivery.subscriptionId
    const queuedIn = generation
    const tail = (tails.get(key) ?? Promise.resolve()).then(() =>
      queuedIn === generation ? deliver(delivery) : undefined,
    )
    tails.set(key, tail)
    void tail.finally(() => {
      if (tails.get(key) === tail) tails.delete(key)
    })
  }

  async function deliver(delivery: WebhookDelivery): Promise<void> {
    if (delivery.delayMs && !(await timers.sleep(delivery.delayMs))) return
    const retry = deps.config.webhookRetry
    for (;;) {
      const outcome = await attempt(delivery)
      if (outcome === 'stopped') return
      if (outcome !== 'retry') {
        delivery.state = outcome
        break
      }
      const failures = delivery.attempts.length
      if (failures >= retry.attempts) {
        delivery.state = 'failed'
        break
      }
      const backoff = Math.min(retry.initialDelayMs * 2 ** (failures - 1), retry.maxDelayMs)
      if (!(await timers.sleep(backoff))) return
    }
    deps.changed()
    deps.logger.debug({ delivery: delivery.id, state: delivery.state }, 'webhook delivery ended')
  }

  async function attempt(delivery: WebhookDelivery): Promise<'delivered' | 'rejected' | 'retry' | 'stopped'> {
    const at = clock.iso()
    const url = deps.config.webhookUrl
    if (!url) {
      delivery.attempts.push({ at, error: 'No webhook URL is configured.' })
      return 'retry'
    }
    const { signal } = timers
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await deps.sign()}` },
        body: JSON.stringify(delivery.payload),
        signal: AbortSignal.any([signal, AbortSignal.timeout(deps.config.webhookRetry.timeoutMs)]),
      })
      await response.body?.cancel()
      delivery.attempts.push({ at, status: response.status })
      deps.changed()
      if (response.ok) return 'delivered'
      if (response.status >= 400 && response.status < 500 && deps.rejects(delivery.operationId)) return 'rejected'
      return 'retry'
    } catch (err) {
      if (signal.aborted) return 'stopped'
      delivery.attempts.push({ at, error: (err as Error).message })
      return 'retry'
    }
  }

  function record(payload: WebhookPayload, extra: Partial<WebhookDelivery> = {}): WebhookDelivery {
    const delivery: WebhookDelivery = {
      id: randomUUID(),
      operationId: payload.id,
      subscriptionId: payload.subscriptionId,
      action: payload.action,
      status: payload.status,
      state: 'pending',
      attempts: [],
      createdAt: clock.iso(),
      payload,
      ...extra,
    }
    state.webhooks.push(delivery)
    deps.changed()
    return delivery
  }

  return {
    send(payload: WebhookPayload): void {
      const fault = deps.faults.forWebhook(payload.action)
      const delivery = record(payload, fault.delayMs ? { delayMs: fault.delayMs } : {})
      const overtaken = held.get(delivery.subscriptionId)
      held.delete(delivery.subscriptionId)
      if (fault.kind === 'drop') delivery.state = 'dropped'
      else if (fault.kind === 'reorder') {
        held.set(delivery.subscriptionId, delivery)
        timers.set(`reorder:${delivery.id}`, REORDER_WINDOW_MS, () => {
          if (held.get(delivery.subscriptionId) !== delivery) return
          held.delete(delivery.subscriptionId)
          enqueue(delivery)
        })
      } else {
        enqueue(delivery)
        if (fault.kind === 'duplicate') enqueue(record(payload, { duplicateOf: delivery.id }))
      }
      if (overtaken) {
        timers.clear(`reorder:${overtaken.id}`)
        enqueue(overtaken)
      }
    },

    /** Sends again what was still pending when the state was saved. */
    resume(): void {
      for (const delivery of state.webhooks) if (delivery.state === 'pending') enqueue(delivery)
    },

    /** Resolves once every queued delivery has ended (held-back reordered ones excepted). */
    async settled(): Promise<void> {
      while (tails.size > 0) await Promise.all(tails.values())
    },

    /** Forgets queued and held-back deliveries (reset, stop); the timers module aborts the ones under way. */
    clear(): void {
      generation++
      held.clear()
    },
  }
}
