/**
 * The subscription lifecycle machine and its pure driver. Importable without Temporal.
 * @module
 */
export { subscriptionMachine, type SubscriptionOutput } from './machine.ts'
export type { ActionParams, SideEffect } from './transitions.ts'
export {
  dispatch,
  persist,
  restore,
  start,
  stepOf,
  type Decision,
  type DriverState,
  type PersistedState,
  type Step,
  type SubscriptionSnapshot,
} from './drive.ts'
export type { PendingChange, SubscriptionContext, SubscriptionInput, VendorRequest } from './context.ts'
export {
  LIFECYCLE_EVENT_TYPES,
  MARKETPLACE_EVENT_TYPES,
  isMarketplaceEvent,
  type Buyer,
  type LifecycleEvent,
  type MarketplaceEvent,
  type SettledStatus,
  type SubscriptionEvent,
} from './events.ts'
export { factsOf, type Party, type SubscriptionFacts, type SubscriptionStatus } from './facts.ts'
export { refusalOf, viewOf, type SubscriptionView } from './view.ts'
