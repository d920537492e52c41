/**
 * The metering activities: a submission run, a day's reconciliation, and the subscription workflow's
 * report of a state change (so the ledger knows, at Microsoft's time, when usage stopped being billable).
 * Alerts also go out as a metric (`saas_metering_alerts`, by kind) through the worker's runtime.
 * @module
 */
import { Context, heartbeat } from '@temporalio/activity'
import type { MeteringService } from '../metering/service.ts'
import type { ReconciliationReport } from '../metering/reconcile.ts'
import type { SubmissionReport } from '../metering/submit.ts'
import { translatingFailures } from './failures.ts'

export interface SubscriptionStateReport {
  subscriptionId: string
  status: string
  offerId: string
  planId: string
  termUnit?: string
  termStartDate?: string
  /** When Microsoft made the change (the operation's `timeStamp`), ISO 8601. */
  at: string
}

export function meteringActivities(metering: MeteringService) {
  return {
    async submitUsage(): Promise<SubmissionReport> {
      // Also between batches: closing and asking Microsoft about many subscriptions takes a while.
      const beat = setInterval(() => heartbeat(), 10_000)
      const report = await translatingFailures(() => metering.submit((sent) => heartbeat({ sent }))).finally(() =>
        clearInterval(beat),
      )
      const counter = Context.current().metricMeter.createCounter('saas_metering_alerts', 'alerts', 'Metering alerts')
      for (const alert of report.alerts) counter.add(1, { kind: alert.kind })
      return report
    },

    async reconcileUsage(day?: string): Promise<ReconciliationReport> {
      const report = await translatingFailures(() => metering.reconcile(day))
      const counter = Context.current().metricMeter.createCounter('saas_metering_reconciliation_findings')
      for (const finding of report.findings) counter.add(1, { finding: finding.finding })
      return report
    },

    async recordSubscriptionState(report: SubscriptionStateReport): Promise<void> {
      const start = report.termStartDate ? new Date(report.termStartDate) : null
      await metering.recordState(
        report.subscriptionId,
        {
          status: report.status,
          offerId: report.offerId,
          planId: report.planId,
          termUnit: report.termUnit ?? null,
          termStart: start && !Number.isNaN(start.getTime()) ? start : null,
        },
        new Date(report.at),
      )
    },
  }
}

export type MeteringActivities = ReturnType<typeof meteringActivities>

/**
 * The worker's activities, plus the metering ones when metering is on (DATABASE_URL set). With metering
 * off, `recordSubscriptionState` is still there and does nothing, so the subscription workflow can report
 * state changes whatever the configuration.
 */
export function withMetering<T extends object>(activities: T, metering: MeteringService | undefined) {
  const off: Pick<MeteringActivities, 'recordSubscriptionState'> = { recordSubscriptionState: () => Promise.resolve() }
  return { ...activities, ...(metering ? meteringActivities(metering) : off) }
}
