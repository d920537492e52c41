/**
 * Parsers for what Microsoft sends: subscriptions, operations, webhook payloads, plans, usage results.
 *
 * Lenient where Microsoft says it may add fields or values (unknown `action`, new term units, stray spaces
 * in statuses, `quantity` as a string, an empty body for an empty list); strict only about what the service
 * itself needs (ids). Unknown fields are kept, so nothing Microsoft sends is lost when it is recorded.
 * @module
 */
import { z } from 'zod'

/** `saasSubscriptionStatus` values as Microsoft spells them. */
export const SUBSCRIPTION_STATUSES = [
  'NotStarted',
  'PendingFulfillmentStart',
  'Subscribed',
  'Suspended',
  'Unsubscribed',
] as const
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number]

export const OPERATION_STATUSES = ['NotStarted', 'InProgress', 'Succeeded', 'Failed', 'Conflict'] as const
export type OperationStatus = (typeof OPERATION_STATUSES)[number]
export const TERMINAL_OPERATION_STATUSES: readonly OperationStatus[] = ['Succeeded', 'Failed', 'Conflict']

const trimmed = z.string().transform((s) => s.trim())
/** A field Microsoft may leave out or send as null: undefined after parsing. */
const absent = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined)
const optionalString = absent(z.string())

/** A list Microsoft may leave out or send as null: always an array after parsing. */
const listOf = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v) => v ?? [])

/** A list answer whose body Microsoft leaves empty when there is nothing to list. */
const orEmptyBody = <T extends z.ZodType>(body: T) => body.nullish().transform((v): z.output<T> => v ?? body.parse({}))

/** Seats: a number, a numeric string, `""` or `null` (non-per-seat plans); always a number or undefined after parsing. */
export const quantitySchema = z
  .union([z.number(), z.string(), z.null()])
  .optional()
  .transform((q, ctx) => {
    if (q === null || q === undefined || (typeof q === 'string' && q.trim() === '')) return undefined
    const n = typeof q === 'number' ? q : Number(q.trim())
    if (!Number.isFinite(n)) {
      ctx.addIssue({ code: 'custom', message: `quantity "${String(q)}" is not a number` })
      return z.NEVER
    }
    return n
  })

const statusSchema = trimmed.pipe(z.enum(SUBSCRIPTION_STATUSES))
const operationStatusSchema = trimmed.pipe(z.enum(OPERATION_STATUSES))

export const aadIdentifierSchema = z.looseObject({
  emailId: optionalString,
  objectId: optionalString,
  tenantId: optionalString,
  puid: optionalString,
})
export type AadIdentifier = z.output<typeof aadIdentifierSchema>

/** A boolean Microsoft may leave out or send as null, which means false. */
const flag = z
  .boolean()
  .nullish()
  .transform((v) => v ?? false)

export const termSchema = z.looseObject({
  /** Open: Microsoft added P2Y/P3Y in 2022 and P4Y/P5Y in 2025. */
  termUnit: optionalString,
  startDate: optionalString,
  endDate: optionalString,
  chargeDuration: optionalString,
})
export type Term = z.output<typeof termSchema>

export const subscriptionSchema = z.looseObject({
  id: z.string().min(1),
  publisherId: optionalString,
  offerId: z.string().default(''),
  name: optionalString,
  saasSubscriptionStatus: statusSchema,
  beneficiary: absent(aadIdentifierSchema),
  purchaser: absent(aadIdentifierSchema),
  planId: z.string().default(''),
  quantity: quantitySchema,
  term: absent(termSchema),
  autoRenew: absent(z.boolean()),
  isTest: flag,
  isFreeTrial: flag,
  allowedCustomerOperations: absent(z.array(z.string())),
  sandboxType: optionalString,
  sessionMode: optionalString,
  created: optionalString,
})
export type Subscription = z.output<typeof subscriptionSchema>

export const resolvedSubscriptionSchema = z.looseObject({
  id: z.string().min(1),
  subscriptionName: optionalString,
  offerId: z.string().default(''),
  planId: z.string().default(''),
  quantity: quantitySchema,
  subscription: subscriptionSchema,
})
export type ResolvedSubscription = z.output<typeof resolvedSubscriptionSchema>

/** A page of List Subscriptions; a marketplace that answers a bare array (no paging) is one last page. */
export const subscriptionsPageSchema = z.union([
  orEmptyBody(z.looseObject({ subscriptions: listOf(subscriptionSchema), '@nextLink': optionalString })),
  z.array(subscriptionSchema).transform((subscriptions) => ({ subscriptions, '@nextLink': undefined })),
])

export const operationSchema = z.looseObject({
  id: z.string().min(1),
  activityId: optionalString,
  subscriptionId: z.string().min(1),
  offerId: optionalString,
  publisherId: optionalString,
  planId: optionalString,
  quantity: quantitySchema,
  action: trimmed,
  timeStamp: optionalString,
  status: operationStatusSchema,
  errorStatusCode: optionalString,
  errorMessage: optionalString,
})
export type Operation = z.output<typeof operationSchema>

export const operationListSchema = orEmptyBody(z.looseObject({ operations: listOf(operationSchema) }))

/**
 * A webhook body. Older payloads carry only a few fields (even `operationType` instead of `action`), so
 * everything but the operation and subscription ids is optional; the operation itself is then read
 * back with Get Operation before anything is applied.
 */
export const webhookPayloadSchema = z
  .looseObject({
    id: z.string().min(1),
    activityId: optionalString,
    subscriptionId: z.string().min(1),
    publisherId: optionalString,
    offerId: optionalString,
    planId: optionalString,
    quantity: quantitySchema,
    timeStamp: optionalString,
    action: trimmed.optional(),
    operationType: trimmed.optional(),
    status: operationStatusSchema.optional(),
    operationRequestSource: optionalString,
    subscription: absent(subscriptionSchema),
    purchaseToken: optionalString,
  })
  .transform(({ operationType, ...rest }) => ({ ...rest, action: rest.action ?? operationType ?? '' }))
export type WebhookPayload = z.output<typeof webhookPayloadSchema>

export const planSchema = z.looseObject({
  planId: z.string().min(1),
  displayName: optionalString,
  isPrivate: z.boolean().nullish(),
  description: optionalString,
  minQuantity: quantitySchema,
  maxQuantity: quantitySchema,
  hasFreeTrials: z.boolean().nullish(),
  isPricePerSeat: z.boolean().nullish(),
  isStopSell: z.boolean().nullish(),
  market: optionalString,
  planComponents: z.looseObject({}).nullish(),
  sourceOffers: z.array(z.looseObject({ externalId: optionalString })).nullish(),
})
export type Plan = z.output<typeof planSchema>

export const plansSchema = orEmptyBody(z.looseObject({ plans: listOf(planSchema) }))

/** A usage event as this service sends it. Strict: it is the service's own output. */
export const usageEventSchema = z.object({
  resourceId: z.string().min(1),
  quantity: z.number().positive(),
  dimension: z.string().min(1),
  effectiveStartTime: z.string().min(1),
  planId: z.string().min(1),
})
export type UsageEvent = z.output<typeof usageEventSchema>

export const usageEventResultSchema = z.looseObject({
  usageEventId: optionalString,
  status: trimmed,
  messageTime: optionalString,
  resourceId: optionalString,
  resourceUri: optionalString,
  quantity: z.number().nullish(),
  dimension: optionalString,
  effectiveStartTime: optionalString,
  planId: optionalString,
  error: z.looseObject({ code: optionalString, message: optionalString }).nullish(),
})
export type UsageEventResult = z.output<typeof usageEventResultSchema>

export const batchUsageEventResultSchema = z.looseObject({
  count: z.number().nullish(),
  result: listOf(usageEventResultSchema),
})
export type BatchUsageEventResult = z.output<typeof batchUsageEventResultSchema>

/** Microsoft's 409 for a usage event that was already accepted: the original event, not a failure. */
export const usageConflictSchema = z.looseObject({
  code: optionalString,
  message: optionalString,
  additionalInfo: z.looseObject({ acceptedMessage: usageEventResultSchema }).nullish(),
})

export const usageRecordSchema = z.looseObject({
  usageDate: optionalString,
  usageResourceId: optionalString,
  dimension: optionalString,
  planId: optionalString,
  planName: optionalString,
  offerId: optionalString,
  offerName: optionalString,
  offerType: optionalString,
  azureSubscriptionId: optionalString,
  reconStatus: optionalString,
  submittedQuantity: z.number().nullish(),
  processedQuantity: z.number().nullish(),
  submittedCount: z.number().nullish(),
})
export const usageRecordsSchema = listOf(usageRecordSchema)
export type UsageRecord = z.output<typeof usageRecordSchema>
