/**
 * The Temporal Schedules that drive metering: a submission every `METERING_INTERVAL`, and a daily
 * reconciliation. Created on worker start, updated when the interval changes; overlapping runs are
 * skipped (the default overlap policy).
 * @module
 */
import { Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, type ConnectionLike } from '@temporalio/client'

export const SUBMISSION_SCHEDULE_ID = 'saas-metering-submission'
export const RECONCILIATION_SCHEDULE_ID = 'saas-metering-reconciliation'

export async function ensureMeteringSchedules(options: {
  connection: ConnectionLike
  namespace: string
  taskQueue: string
  intervalMs: number
}): Promise<void> {
  const { taskQueue, intervalMs } = options
  const client = new Client({ connection: options.connection, namespace: options.namespace })
  const schedules = [
    {
      scheduleId: SUBMISSION_SCHEDULE_ID,
      spec: { intervals: [{ every: intervalMs }] },
      action: { type: 'startWorkflow' as const, workflowType: 'meteringSubmissionWorkflow', taskQueue, args: [] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    },
    {
      scheduleId: RECONCILIATION_SCHEDULE_ID,
      // 03:17 UTC: away from the top of the hour, when every submission runs.
      spec: { calendars: [{ hour: 3, minute: 17 }] },
      action: { type: 'startWorkflow' as const, workflowType: 'meteringReconciliationWorkflow', taskQueue, args: [] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    },
  ]
  for (const options of schedules) {
    try {
      await client.schedule.create(options)
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err
      await client.schedule.getHandle(options.scheduleId).update((previous) => ({ ...previous, ...options }))
    }
  }
}
