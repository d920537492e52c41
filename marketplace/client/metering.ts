/**
 * Marketplace Metering API: usage events, batches, and reading recorded usage back.
 * @module
 */
import {
  batchUsageEventResultSchema,
  usageConflictSchema,
  usageEventResultSchema,
  usageEventSchema,
  usageRecordsSchema,
  type UsageEvent,
  type UsageEventResult,
  type UsageRecord,
} from '../schemas.ts'
import type { components } from '../openapi/metering.d.ts'
import { isMarketplaceError } from './errors.ts'
import type { CallContext, Transport } from './transport.ts'

export const MAX_BATCH_SIZE = 25

export interface UsageQuery {
  usageStartDate: string
  usageEndDate?: string
  offerId?: string
  planId?: string
  dimension?: string
  azureSubscriptionId?: string
  reconStatus?: string
}

export function meteringOperations(send: Transport) {
  return {
    /**
     * Posts one usage event. A 409 is Microsoft saying the same resource, dimension and hour was
     * already accepted: returned as that original event with status `Duplicate`, not thrown.
     */
    async postUsageEvent(event: UsageEvent, ctx: CallContext = {}): Promise<UsageEventResult> {
      const body = usageEventSchema.parse(event) satisfies components['schemas']['UsageEvent']
      try {
        const res = await send({
          operation: 'postUsageEvent',
          method: 'POST',
          path: '/usageEvent',
          body,
          schema: usageEventResultSchema,
          ...ctx,
        })
        return res.body
      } catch (err) {
        const accepted = isMarketplaceError(err, 409) && usageConflictSchema.safeParse(err.body).data?.additionalInfo
        if (!accepted) throw err
        return { ...accepted.acceptedMessage, status: 'Duplicate' }
      }
    },

    /** Posts up to 25 events; Microsoft answers 200 with a status per event, failures included. */
    async postBatchUsageEvents(events: UsageEvent[], ctx: CallContext = {}): Promise<UsageEventResult[]> {
      if (events.length < 1 || events.length > MAX_BATCH_SIZE) {
        throw new RangeError(`a usage batch holds 1 to ${MAX_BATCH_SIZE} events, not ${events.length}`)
      }
      const body = {
        request: events.map((e) => usageEventSchema.parse(e)),
      } satisfies components['schemas']['BatchUsageEvent']
      const res = await send({
        operation: 'postBatchUsageEvents',
        method: 'POST',
        path: '/batchUsageEvent',
        body,
        schema: batchUsageEventResultSchema,
        ...ctx,
      })
      return res.body.result
    },

    async getUsageEvents(query: UsageQuery, ctx: CallContext = {}): Promise<UsageRecord[]> {
      const { usageEndDate, ...rest } = query
      const res = await send({
        operation: 'getUsageEvents',
        method: 'GET',
        path: '/usageEvents',
        // Microsoft's own spelling: every parameter is camelCase except `UsageEndDate`.
        query: { ...rest, UsageEndDate: usageEndDate },
        schema: usageRecordsSchema,
        ...ctx,
      })
      return res.body
    },
  }
}
