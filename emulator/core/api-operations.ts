/**
 * The Microsoft API operations the emulator serves, by OpenAPI `operationId`, with the short name the
 * journal files each call under.
 * @module
 */
export const API_OPERATIONS = {
  FulfillmentOperations_Resolve: 'resolve',
  FulfillmentOperations_ListSubscriptions: 'listSubscriptions',
  FulfillmentOperations_GetSubscription: 'getSubscription',
  FulfillmentOperations_UpdateSubscription: 'updateSubscription',
  FulfillmentOperations_DeleteSubscription: 'deleteSubscription',
  FulfillmentOperations_ListAvailablePlans: 'listAvailablePlans',
  FulfillmentOperations_ActivateSubscription: 'activate',
  SubscriptionOperations_ListOperations: 'listOperations',
  SubscriptionOperations_GetOperationStatus: 'getOperation',
  SubscriptionOperations_UpdateOperationStatus: 'updateOperation',
  MeteringOperations_PostUsageEvent: 'usageEvent',
  MeteringOperations_PostBatchUsageEvent: 'batchUsageEvent',
  MeteringOperations_GetUsageEvent: 'getUsageEvents',
} as const

export type ApiOperationId = keyof typeof API_OPERATIONS
export const API_OPERATION_IDS = Object.keys(API_OPERATIONS) as [ApiOperationId, ...ApiOperationId[]]
