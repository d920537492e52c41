/**
 * Metering workflows, started by their Schedules (metering/schedules.ts) or on demand
 * (`POST /api/usage/submissions`): each is one activity, retried by Temporal until it lands. A run is
 * safe to repeat or to overlap: every hour's quantity is fixed before it is sent (see metering/submit.ts).
 * @module
 */
import { proxyActivities } from '@temporalio/workflow'
import type { MeteringActivities } from '../activities/metering.ts'

const { submitUsage } = proxyActivities<MeteringActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
})

const { reconcileUsage } = proxyActivities<MeteringActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes' },
})

/** Closes the hours that are due and reports them to Microsoft; returns the run's report. */
export async function meteringSubmissionWorkflow() {
  return submitUsage()
}

/** Compares Microsoft's record of a day with the ledger (by default the latest day 48 hours old). */
export async function meteringReconciliationWorkflow(day?: string) {
  return reconcileUsage(day)
}
