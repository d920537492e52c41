// The worker's workflow bundle: every workflow type this service runs.
export { subscriptionWorkflow } from './subscription.ts'
export { meteringReconciliationWorkflow, meteringSubmissionWorkflow } from './metering.ts'
export { reconciliationWorkflow } from './reconciliation.ts'
