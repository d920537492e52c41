/**
 * SaaS Fulfillment API v2, operations side: list outstanding, get, acknowledge (PATCH), and following an
 * `Operation-Location` to its end.
 * @module
 */
import { z } from 'zod'
import { operationListSchema, operationSchema, TERMINAL_OPERATION_STATUSES, type Operation } from '../schemas.ts'
import type { components } from '../openapi/saas.d.ts'
import { MarketplaceError } from './errors.ts'
import type { CallContext, Transport } from './transport.ts'

/** PATCH values: Microsoft reads `Success`/`Failure` here, though it reports `Succeeded`/`Failed`. */
export type OperationAcknowledgement = components['schemas']['UpdateOperation'] & { status: 'Success' | 'Failure' }

export interface AwaitOperationOptions extends CallContext {
  /** Give up (with a retryable `timeout` error) after this long. */
  deadlineMs: number
  /** Pause between polls; Microsoft says "every several seconds". */
  intervalMs?: number
  /** Called after every poll, e.g. to heartbeat from an activity. */
  onPoll?: (operation: Operation) => void
}

export function operationOperations(send: Transport) {
  const ops = (subscriptionId: string) => `/saas/subscriptions/${encodeURIComponent(subscriptionId)}/operations`

  async function getOperation(subscriptionId: string, operationId: string, ctx: CallContext = {}): Promise<Operation> {
    const path = `${ops(subscriptionId)}/${encodeURIComponent(operationId)}`
    return (await send({ operation: 'getOperation', method: 'GET', path, schema: operationSchema, ...ctx })).body
  }

  return {
    getOperation,

    /** Operations still waiting for the vendor's answer (`InProgress`); an empty body means none. */
    async listOperations(subscriptionId: string, ctx: CallContext = {}): Promise<Operation[]> {
      const res = await send({
        operation: 'listOperations',
        method: 'GET',
        path: ops(subscriptionId),
        schema: operationListSchema,
        ...ctx,
      })
      return res.body.operations
    },

    /** Accepts or rejects an operation Microsoft is waiting on (ChangePlan/ChangeQuantity within 10 s). */
    async updateOperation(
      subscriptionId: string,
      operationId: string,
      ack: OperationAcknowledgement,
      ctx: CallContext = {},
    ) {
      const path = `${ops(subscriptionId)}/${encodeURIComponent(operationId)}`
      await send({ operation: 'updateOperation', method: 'PATCH', path, body: ack, schema: z.unknown(), ...ctx })
    },

    /**
     * Polls an operation until it is Succeeded, Failed or Conflict and returns it; throws a retryable
     * `timeout` MarketplaceError if the deadline passes first. Accepts the `Operation-Location` URL.
     */
    async awaitOperation(
      location: string | { subscriptionId: string; operationId: string },
      options: AwaitOperationOptions,
    ): Promise<Operation> {
      const { subscriptionId, operationId } = typeof location === 'string' ? parseOperationLocation(location) : location
      const deadline = Date.now() + options.deadlineMs
      const interval = options.intervalMs ?? 2_000
      for (;;) {
        const operation = await getOperation(subscriptionId, operationId, options)
        options.onPoll?.(operation)
        if (TERMINAL_OPERATION_STATUSES.includes(operation.status)) return operation
        if (Date.now() + interval > deadline) {
          throw new MarketplaceError(
            `awaitOperation: operation ${operationId} still ${operation.status} at the deadline`,
            {
              kind: 'timeout',
              operation: 'awaitOperation',
              correlationId: options.correlationId,
            },
          )
        }
        await new Promise((r) => setTimeout(r, interval))
        options.signal?.throwIfAborted()
      }
    },
  }
}

/** Reads the subscription and operation ids out of an `Operation-Location` URL. */
export function parseOperationLocation(location: string): { subscriptionId: string; operationId: string } {
  const m = /\/saas\/subscriptions\/([^/?#]+)\/operations\/([^/?#]+)/.exec(location)
  if (!m) throw new Error(`not an Operation-Location: ${location}`)
  return { subscriptionId: decodeURIComponent(m[1]!), operationId: decodeURIComponent(m[2]!) }
}
