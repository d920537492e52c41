/**
 * The shapes `/api` answers with, as zod schemas that also name the OpenAPI document's components.
 *
 * They describe what the gateway returns (`SubscriptionView`, `Decision` as `DecisionRecord`, `VendorRequestResult`,
 * `SubscriptionSummary`) without re-validating it: responses are typed against them at compile time, so
 * a change to the view that is not reflected here fails `tsc`, not a customer's request.
 * @module
 */
import { z } from '@hono/zod-openapi'
import { SUBSCRIPTION_STATUSES } from '../../marketplace/schemas.ts'

export const SUBSCRIPTION_ID_EXAMPLE = 'a1b2c3d4-0000-4000-8000-000000000001'
export const TENANT_ID_EXAMPLE = 'f0e1d2c3-0000-4000-8000-0000000000aa'

export const errorSchema = z
  .object({
    error: z.string().openapi({ example: 'subscription not found' }),
    details: z.unknown().optional().openapi({ description: 'Validation issues, or the request result that failed.' }),
  })
  .openapi('Error')

export const statusSchema = z.enum(SUBSCRIPTION_STATUSES).openapi('SubscriptionStatus', {
  description: "`saasSubscriptionStatus` in Microsoft's words.",
  example: 'Subscribed',
})

const partySchema = z
  .object({ emailId: z.string().optional(), objectId: z.string().optional(), tenantId: z.string().optional() })
  .openapi('Party')

const vendorRequestSchema = z
  .object({
    requestId: z.string(),
    kind: z.enum(['changePlan', 'changeQuantity', 'cancel']),
    planId: z.string().optional(),
    quantity: z.number().optional(),
    from: z.string().openapi({ description: 'The step to go back to if Microsoft refuses.' }),
    outcome: z.enum(['succeeded', 'failed']).optional(),
    operationId: z.string().optional().openapi({ description: "Microsoft's operation id (Operation-Location)." }),
    message: z.string().optional(),
  })
  .openapi('VendorRequest')

export const subscriptionViewSchema = z
  .object({
    id: z.string().openapi({ example: SUBSCRIPTION_ID_EXAMPLE }),
    name: z.string().optional().openapi({ example: 'Contoso seats' }),
    offerId: z.string().openapi({ example: 'contoso-saas' }),
    planId: z.string().openapi({ example: 'gold' }),
    quantity: z.number().optional().openapi({ example: 25 }),
    saasSubscriptionStatus: statusSchema,
    step: z.string().openapi({ description: 'Where the lifecycle stands inside the status.', example: 'subscribed' }),
    beneficiary: partySchema.optional(),
    purchaser: partySchema.optional(),
    term: z
      .object({ termUnit: z.string().optional(), startDate: z.string().optional(), endDate: z.string().optional() })
      .optional()
      .openapi({ example: { termUnit: 'P1M', startDate: '2025-01-01', endDate: '2025-01-31' } }),
    autoRenew: z.boolean().optional(),
    isFreeTrial: z.boolean(),
    isTest: z.boolean(),
    allowedCustomerOperations: z.array(z.string()).optional(),
    buyer: z
      .object({
        email: z.string().optional(),
        name: z.string().optional(),
        tenantId: z.string().optional(),
        objectId: z.string().optional(),
      })
      .optional(),
    failure: z.object({ step: z.string(), message: z.string(), at: z.string().optional() }).optional(),
    pendingChange: z
      .object({
        operationId: z.string(),
        action: z.enum(['ChangePlan', 'ChangeQuantity']),
        planId: z.string().optional(),
        quantity: z.number().optional(),
        timeStamp: z.string().optional(),
        receivedAt: z.string(),
        accept: z.boolean().optional(),
        reason: z.string().optional(),
      })
      .optional()
      .openapi({ description: "A customer's ChangePlan/ChangeQuantity waiting for the vendor's decision." }),
    pendingRequest: vendorRequestSchema.optional(),
    recentRequests: z.array(vendorRequestSchema),
    unsubscribedAt: z.string().optional(),
    retainUntil: z.string().optional(),
  })
  .openapi('Subscription')

export const decisionRecordSchema = z
  .object({
    at: z.string().openapi({ example: '2025-01-01T10:00:00.000Z' }),
    event: z.string().openapi({ example: 'ChangePlan' }),
    operationId: z.string().optional(),
    requestId: z.string().optional(),
    from: z.string().openapi({ example: 'subscribed' }),
    to: z.string().openapi({ example: 'subscribed.deciding' }),
    outcome: z.enum(['applied', 'ignored', 'deferred', 'failed']),
    reason: z.string().optional(),
    effects: z.array(z.string()),
  })
  .openapi('DecisionRecord', {
    description:
      "One entry of the subscription's decision log: what the lifecycle did with an event and why. Not " +
      "Microsoft's operation: `operationId` names the operation it was about, if any.",
  })

const recentDecisions = z.array(decisionRecordSchema)

export const subscriptionDetailSchema = subscriptionViewSchema
  .extend({
    decisions: recentDecisions.openapi({ description: 'The latest decision records, newest first.' }),
    // The former name, still answered so that existing clients keep working.
    recentOperations: recentDecisions.openapi({
      deprecated: true,
      description: 'The same list as `decisions`, under its former name. Read `decisions` instead.',
    }),
  })
  .openapi('SubscriptionDetail')

export const summarySchema = z
  .object({
    subscriptionId: z.string().openapi({ example: SUBSCRIPTION_ID_EXAMPLE }),
    status: z.string().optional().openapi({ example: 'Subscribed' }),
    step: z.string().optional(),
    offerId: z.string().optional(),
    planId: z.string().optional(),
    quantity: z.number().optional(),
    beneficiaryTenantId: z.string().optional(),
    purchaserTenantId: z.string().optional(),
    isFreeTrial: z.boolean().optional(),
    isTest: z.boolean().optional(),
    name: z.string().optional(),
    running: z.boolean(),
  })
  .openapi('SubscriptionSummary')

export const requestResultSchema = z
  .object({
    requestId: z.string(),
    outcome: z.enum(['succeeded', 'failed', 'refused']),
    operationId: z.string().optional(),
    message: z.string().optional(),
    subscription: subscriptionViewSchema,
  })
  .openapi('RequestResult', { description: "A vendor-initiated change, once Microsoft's operation has ended." })

export const acceptedSchema = z.object({ status: z.literal('accepted') }).openapi('Accepted')
