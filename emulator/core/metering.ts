/**
 * The Marketplace Metering API's rules (docs/marketplace-contract.md §6): one event per resource +
 * dimension + clock hour, quantity > 0, at most 24 hours old, only for Subscribed subscriptions (and, after a cancellation, for
 * the time before it), a dimension of the subscription's plan, the subscription's own plan. Answers
 * carry the metering spec's bodies, so they are returned, not thrown.
 * @module
 */
import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import type { CoreContext } from './context.ts'
import {
  badRequestBody,
  duplicateError,
  echo,
  NO_MESSAGE_TIME,
  okMessage,
  type MeteringAnswer,
} from './metering-answers.ts'
import { planOf } from './state.ts'
import type { Subscription, UsageEventStatus, UsageRecord } from './types.ts'

const HOUR_MS = 3_600_000
const MAX_AGE_MS = 24 * HOUR_MS
/** Inference: Microsoft refuses usage in the future; a little clock skew is tolerated. */
const MAX_SKEW_MS = 5 * 60_000
const MAX_BATCH = 25

const dateTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date-time')
const usageEventSchema = z.looseObject({
  resourceId: z.string().min(1),
  quantity: z.number(),
  dimension: z.string().min(1),
  effectiveStartTime: dateTime,
  planId: z.string().min(1),
})
const batchSchema = z.looseObject({ request: z.array(z.unknown()).min(1).max(MAX_BATCH) })
const usageQuerySchema = z.looseObject({
  usageStartDate: dateTime,
  UsageEndDate: dateTime.optional(),
  offerId: z.string().optional(),
  planId: z.string().optional(),
  dimension: z.string().optional(),
  azureSubscriptionId: z.string().optional(),
  reconStatus: z.string().optional(),
})

type Refusal = Exclude<UsageEventStatus, 'Accepted' | 'Duplicate'>
type Outcome =
  | { status: 'Accepted'; record: UsageRecord }
  | { status: 'Duplicate'; record: UsageRecord }
  | { status: Refusal; message: string; target: string }

export type Metering = ReturnType<typeof createMetering>

export function createMetering(ctx: CoreContext) {
  const { state, clock } = ctx

  /** Usage may be reported for Subscribed subscriptions, and for the time before a cancellation. */
  function acceptsUsageAt(subscription: Subscription, time: number): boolean {
    if (subscription.saasSubscriptionStatus === 'Subscribed') return true
    if (subscription.saasSubscriptionStatus !== 'Unsubscribed') return false
    const cancelled = Object.values(state.operations).find(
      (o) => o.subscriptionId === subscription.id && o.action === 'Unsubscribe' && o.status === 'Succeeded',
    )
    return cancelled !== undefined && time < Date.parse(cancelled.timeStamp)
  }

  function evaluate(input: unknown): Outcome {
    const parsed = usageEventSchema.safeParse(input)
    if (!parsed.success) {
      const [issue] = parsed.error.issues
      return { status: 'BadArgument', message: issue!.message, target: issue!.path.join('.') || 'usageEvent' }
    }
    const event = parsed.data
    const subscription = Object.hasOwn(state.subscriptions, event.resourceId) && state.subscriptions[event.resourceId]
    const time = Date.parse(event.effectiveStartTime)
    const now = clock.now()
    const fail = (status: Refusal, message: string, target: string): Outcome => ({ status, message, target })
    if (!subscription) return fail('ResourceNotFound', `Resource ${event.resourceId} was not found.`, 'resourceId')
    if (event.planId !== subscription.planId) {
      return fail('BadArgument', `Plan ${event.planId} is not the plan of resource ${subscription.id}.`, 'planId')
    }
    if (!acceptsUsageAt(subscription, time)) {
      return fail(
        'ResourceNotActive',
        `Resource ${subscription.id} is ${subscription.saasSubscriptionStatus}.`,
        'resourceId',
      )
    }
    if (!planOf(state, subscription).meteringDimensions.some((d) => d.id === event.dimension)) {
      return fail(
        'InvalidDimension',
        `Dimension ${event.dimension} is not defined for plan ${event.planId}.`,
        'dimension',
      )
    }
    if (!(event.quantity > 0)) return fail('InvalidQuantity', 'The quantity must be greater than 0.', 'quantity')
    if (time < now - MAX_AGE_MS) return fail('Expired', 'The usage event is older than 24 hours.', 'effectiveStartTime')
    if (time > now + MAX_SKEW_MS) return fail('BadArgument', 'The usage event is in the future.', 'effectiveStartTime')

    const hour = Math.floor(time / HOUR_MS)
    const earlier = state.usage.find(
      (u) =>
        u.resourceId === subscription.id &&
        u.dimension === event.dimension &&
        Math.floor(Date.parse(u.effectiveStartTime) / HOUR_MS) === hour,
    )
    if (earlier) return { status: 'Duplicate', record: earlier }
    const record: UsageRecord = {
      usageEventId: randomUUID(),
      resourceId: subscription.id,
      dimension: event.dimension,
      planId: event.planId,
      quantity: event.quantity,
      effectiveStartTime: new Date(time).toISOString(),
      messageTime: clock.iso(),
    }
    state.usage.push(record)
    ctx.changed()
    return { status: 'Accepted', record }
  }

  return {
    postUsageEvent(body: unknown): MeteringAnswer {
      const outcome = evaluate(body)
      if (outcome.status === 'Accepted') return { status: 200, body: okMessage(outcome.record, 'Accepted') }
      if (outcome.status === 'Duplicate') return { status: 409, body: duplicateError(outcome.record) }
      return { status: 400, body: badRequestBody(outcome.status, outcome.message, outcome.target) }
    },

    /** 200 with a status per event, even when some fail; more than 25 events (or none) is a 400. */
    postBatchUsageEvent(body: unknown): MeteringAnswer {
      const batch = batchSchema.safeParse(body)
      if (!batch.success) {
        return {
          status: 400,
          body: badRequestBody('BadArgument', `A batch holds 1 to ${MAX_BATCH} events.`, 'request'),
        }
      }
      const result = batch.data.request.map((event) => {
        const outcome = evaluate(event)
        if (outcome.status === 'Accepted') return okMessage(outcome.record, 'Accepted')
        const error =
          outcome.status === 'Duplicate'
            ? duplicateError(outcome.record)
            : { code: outcome.status, message: outcome.message }
        const messageTime = outcome.status === 'Duplicate' ? NO_MESSAGE_TIME : clock.iso()
        return { ...echo(event), status: outcome.status, messageTime, error }
      })
      return { status: 200, body: { count: result.length, result } }
    },

    getUsageEvents(query: Record<string, string>): MeteringAnswer {
      const parsed = usageQuerySchema.safeParse(query)
      if (!parsed.success) {
        return {
          status: 400,
          body: badRequestBody('BadArgument', 'usageStartDate is required (ISO 8601).', 'usageStartDate'),
        }
      }
      const q = parsed.data
      const from = Date.parse(q.usageStartDate)
      // A date without a time includes that whole day.
      const to = q.UsageEndDate
        ? Date.parse(q.UsageEndDate) + (q.UsageEndDate.includes('T') ? 0 : 86_400_000)
        : Infinity
      const rows = state.usage.flatMap((u) => {
        const subscription = state.subscriptions[u.resourceId]
        const offer = state.offers.find((o) => o.offerId === subscription?.offerId)
        const time = Date.parse(u.effectiveStartTime)
        const row = {
          usageDate: u.effectiveStartTime,
          usageResourceId: u.resourceId,
          dimension: u.dimension,
          planId: u.planId,
          planName: offer?.plans.find((p) => p.planId === u.planId)?.displayName ?? u.planId,
          offerId: offer?.offerId ?? '',
          offerName: offer?.displayName ?? '',
          offerType: 'SaaS',
          reconStatus: u.reconStatus ?? 'Accepted',
          submittedQuantity: u.quantity,
          processedQuantity: u.processedQuantity ?? u.quantity,
          submittedCount: 1,
        }
        const matches =
          time >= from &&
          time < to &&
          (q.offerId ?? row.offerId) === row.offerId &&
          (q.planId ?? row.planId) === row.planId &&
          (q.dimension ?? row.dimension) === row.dimension &&
          (q.reconStatus ?? row.reconStatus) === row.reconStatus &&
          q.azureSubscriptionId === undefined // SaaS usage carries no Azure subscription
        return matches ? [row] : []
      })
      return { status: 200, body: rows }
    },
  }
}
