/**
 * The Schedule `saas-reconciliation`, made to match the configuration every time a worker starts: created
 * if missing, updated otherwise (so changing `RECONCILE_INTERVAL` and restarting is all it takes; every
 * worker should have the same value, the last one started wins).
 *
 * - Every `RECONCILE_INTERVAL`; with `off` the Schedule stays but is paused, so
 *   `temporal schedule trigger --schedule-id saas-reconciliation` (and the API) still run one.
 * - Overlap `SKIP`: a run still going when the next is due makes that one skip; every run checks
 *   everything, so nothing is lost, and two runs never compete for Microsoft's API.
 * - Catch-up window of one interval: after the Temporal service was down, one missed run is made up
 *   at once (older ones would only repeat it; SKIP lets just one through).
 * @module
 */
import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
  type ScheduleUpdateOptions,
} from '@temporalio/client'
import type { Config } from '../config/env.ts'
import type { Logger } from '../config/logger.ts'
import { RECONCILIATION_ID, reconciliationWorkflow, type ReconciliationInput } from '../workflows/reconciliation.ts'

/** The spec a paused Schedule keeps, should an operator unpause it by hand. */
const PAUSED_EVERY_MS = 3_600_000

export function reconciliationSchedule(
  taskQueue: string,
  reconciliation: Config['reconciliation'],
): ScheduleUpdateOptions & Pick<ScheduleOptions, 'scheduleId'> {
  const everyMs = reconciliation.intervalMs ?? PAUSED_EVERY_MS
  const input: ReconciliationInput = {
    trigger: 'schedule',
    settings: { activationDeadlineMs: reconciliation.activationDeadlineMs, operations: reconciliation.operations },
  }
  return {
    scheduleId: RECONCILIATION_ID,
    spec: { intervals: [{ every: everyMs }] },
    action: {
      type: 'startWorkflow',
      workflowType: reconciliationWorkflow.name,
      // Temporal appends the time it fires: saas-reconciliation-2026-01-01T10:00:00Z.
      workflowId: RECONCILIATION_ID,
      taskQueue,
      args: [input],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: everyMs, pauseOnFailure: false },
    state: reconciliation.intervalMs
      ? { paused: false }
      : { paused: true, note: 'RECONCILE_INTERVAL=off: runs only when triggered' },
  }
}

/** Creates or updates the Schedule; safe to call from every worker at every start. */
export async function ensureReconciliationSchedule(options: {
  client: Client
  taskQueue: string
  reconciliation: Config['reconciliation']
  logger: Logger
}): Promise<void> {
  const { client, logger } = options
  const { scheduleId, ...wanted } = reconciliationSchedule(options.taskQueue, options.reconciliation)
  try {
    await client.schedule.create({ scheduleId, ...wanted })
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err
    await client.schedule.getHandle(scheduleId).update(() => wanted)
  }
  logger.info({ scheduleId, everyMs: options.reconciliation.intervalMs ?? 'off' }, 'reconciliation schedule ready')
}
