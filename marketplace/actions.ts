/**
 * Microsoft's operation actions, in a module of their own (no dependencies) so that the machine, which
 * runs inside workflows, can share the list with the parsers and the metrics.
 * @module
 */
/** Operation `action` values known today; the parsers accept any other string too. */
export const OPERATION_ACTIONS = [
  'Subscribe',
  'ChangePlan',
  'ChangeQuantity',
  'Suspend',
  'Reinstate',
  'Renew',
  'Unsubscribe',
  'Transfer',
] as const
export type KnownOperationAction = (typeof OPERATION_ACTIONS)[number]
