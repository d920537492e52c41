/**
 * Every activity of the subscription workflow: the I/O the lifecycle machine asks for. Activities are
 * named like the lifecycle steps they perform, so a workflow's history in the Temporal UI reads as its
 * story (provision, activate, decideChange, acknowledgeOperation, …).
 * @module
 */
import type { MarketplaceClient } from '../marketplace/client/index.ts'
import type { VendorHooks } from './hooks/index.ts'
import { marketplaceActivities } from './marketplace.ts'
import { reconciliationActivities, type ReconciliationDeps } from './reconciliation.ts'
import { vendorActivities } from './vendor.ts'

export function createActivities(deps: {
  marketplace: MarketplaceClient
  hooks: VendorHooks
  reconciliation: Omit<ReconciliationDeps, 'marketplace'>
}) {
  return {
    ...marketplaceActivities(deps.marketplace),
    ...vendorActivities(deps.hooks),
    ...reconciliationActivities({ marketplace: deps.marketplace, ...deps.reconciliation }),
  }
}

export type Activities = ReturnType<typeof createActivities>
export type { RequestOutcome } from './marketplace.ts'
