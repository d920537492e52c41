/**
 * Reconciliation: the service and Microsoft agree even when webhooks were lost. One run reads every
 * subscription from List Subscriptions, page after page, and checks each page against the service's own
 * view (activities/reconciliation.ts): what differs is repaired through the subscription's workflow, as
 * if the webhook had come, or reported. Started by the Schedule `saas-reconciliation` or by the API.
 *
 * Pages are listed one after the other (each names the next), `pagesPerBatch` of them by one activity,
 * and each batch is checked by one activity, in a sliding window of `pageConcurrency` batches at once; the
 * run continues as new after `pagesPerRun` pages, carrying the report, so 100k subscriptions never
 * overflow one history. Batches keep the workflow tasks and activity round trips per subscription few:
 * a run where all is in sync is then mostly the calls to Microsoft. The report is the workflow's result,
 * and the `progress` query answers it while the run goes on.
 * @module
 */
import * as wf from '@temporalio/workflow'
import type { Activities } from '../activities/index.ts'
import type { SubscriptionStatus } from '../machines/subscription/index.ts'

/** Id of the Schedule, and prefix of every run's workflow id (the Schedule appends the time it fires). */
export const RECONCILIATION_ID = 'saas-reconciliation'

const DAY_MS = 24 * 3_600_000

export interface ReconciliationSettings {
  /** A subscription still PendingFulfillmentStart this long after its purchase is reported as `activationOverdue`. */
  activationDeadlineMs: number
  /**
   * Which subscriptions List Operations is called for (operations Microsoft waits on that the service never
   * received): `all` active ones, or only those found new or different (one call per subscription saved;
   * a customer change is outstanding for Microsoft's 10 seconds at most, and shows as drift afterwards).
   */
  operations: 'all' | 'drifted'
  /** Pages of List Subscriptions listed by one activity and checked by another, as one batch. */
  pagesPerBatch: number
  /** Batches checked at the same time. */
  pageConcurrency: number
  /** Pages per run before continuing as new (sooner if Temporal suggests it). */
  pagesPerRun: number
}

/**
 * Batches of 10 pages (1,000 subscriptions with Microsoft's pages of 100): one listing activity, one
 * check and two workflow tasks per 1,000. Two batches at once, each checking 32 subscriptions at a time,
 * keep at most 64 calls at Microsoft, as four single pages of 16 did before. A run carries 5 batches'
 * subscriptions (under 2 MB of history) before it continues as new.
 */
export const DEFAULT_RECONCILIATION_SETTINGS: ReconciliationSettings = {
  activationDeadlineMs: 7 * DAY_MS,
  operations: 'all',
  pagesPerBatch: 10,
  pageConcurrency: 2,
  pagesPerRun: 50,
}

/**
 * Runs started before batches replay with the settings they ran with (one page per batch, four at once,
 * 25 per run): the window decides when each activity is scheduled, so it must not change under them.
 */
const BATCHES_PATCH = 'reconciliation-batches'
const SETTINGS_BEFORE_BATCHES: ReconciliationSettings = {
  ...DEFAULT_RECONCILIATION_SETTINGS,
  pagesPerBatch: 1,
  pageConcurrency: 4,
  pagesPerRun: 25,
}

export interface ReconciliationInput {
  trigger: 'schedule' | 'api'
  settings?: Partial<ReconciliationSettings>
  /** Set by continue-as-new: where listing resumes, and the report so far. */
  carried?: { nextLink: string; report: ReconciliationReport }
}

/** One entry of List Subscriptions, reduced to what is compared; a repair reads the subscription again. */
export interface ListedSubscription {
  id: string
  status: SubscriptionStatus
  planId: string
  quantity?: number
  termEndDate?: string
  /** When it was bought, to tell an overdue activation. */
  created?: string
}

/** One batch: the subscriptions of one or more pages of List Subscriptions. */
export interface ListedPage {
  subscriptions: ListedSubscription[]
  /** Absent on the last page. */
  nextLink?: string
  /** Pages of List Subscriptions it holds; absent in runs from before batches, which listed one. */
  pages?: number
}

/** Repairs: the service now does what Microsoft says. */
export const REPAIR_KINDS = ['adopted', 'statusObserved', 'operationDelivered'] as const
/** Reports: told to operators, nothing changed. */
export const REPORT_KINDS = [
  'pendingFulfillmentStart',
  'activationOverdue',
  'unknownSuspended',
  'unknownUnsubscribed',
  'closedButActive',
] as const
export type RepairKind = (typeof REPAIR_KINDS)[number]
export type ReportKind = (typeof REPORT_KINDS)[number]

export const COMPARED_FIELDS = ['status', 'planId', 'quantity', 'termEndDate'] as const
export type ComparedField = (typeof COMPARED_FIELDS)[number]

export interface Difference {
  field: ComparedField
  microsoft?: string | number
  service?: string | number
}

export interface Finding {
  subscriptionId: string
  kind: RepairKind | ReportKind
  /** What Microsoft says and what the service had, for each field that differed. */
  differences?: Difference[]
  operationId?: string
  action?: string
  /** In words, for the operator. */
  message: string
}

/** What checking one page found: `inSync` subscriptions needed nothing; each other one has findings. */
export interface PageReport {
  checked: number
  inSync: number
  findings: Finding[]
}

export interface ReconciliationReport {
  id: string
  trigger: ReconciliationInput['trigger']
  startedAt: string
  finishedAt?: string
  durationMs?: number
  /** Pages of List Subscriptions read so far. */
  pages: number
  counts: {
    checked: number
    inSync: number
    repaired: Record<RepairKind, number>
    reported: Record<ReportKind, number>
  }
  repairs: Finding[]
  reports: Finding[]
  /** Findings counted but not listed, past the first `MAX_LISTED_FINDINGS`. */
  unlisted: number
  /**
   * Batches whose check still failed after its retries, by their first page: their subscriptions are not
   * counted as checked.
   */
  failedPages: { page: number; error: string }[]
  /** Why the run ended before the last page (List Subscriptions kept failing). */
  error?: string
}

/** Keeps a report of a run with much drift small enough to carry across continue-as-new. */
export const MAX_LISTED_FINDINGS = 1_000

/** The report so far, while the run goes on (and the final one after it ended). */
export const progressQuery = wf.defineQuery<ReconciliationReport>('progress')

const { listSubscriptionsPage } = wf.proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  // Throttling is retried after Retry-After; a marketplace down for ~10 minutes ends the run (the next one resumes).
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 12 },
})
const { reconcilePage, recordReconciliation } = wf.proxyActivities<Activities>({
  startToCloseTimeout: '15m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 8 },
})

export async function reconciliationWorkflow(input: ReconciliationInput): Promise<ReconciliationReport> {
  const defaults = wf.patched(BATCHES_PATCH) ? DEFAULT_RECONCILIATION_SETTINGS : SETTINGS_BEFORE_BATCHES
  const settings = { ...defaults, ...input.settings }
  // Started when Temporal started the run (the chain's start), not when its first task ran: two runs started
  // one after the other list in that order even when the second's first task runs first.
  const { workflowId, startTime } = wf.workflowInfo()
  let report = input.carried?.report ?? emptyReport(workflowId, input.trigger, startTime.toISOString())
  wf.setHandler(progressQuery, () => report)

  const window = new Set<Promise<void>>()
  let nextLink = input.carried?.nextLink
  let pagesThisRun = 0
  do {
    let page: ListedPage
    try {
      page = await listSubscriptionsPage(nextLink, settings.pagesPerBatch)
    } catch (err) {
      report = { ...report, error: `List Subscriptions failed: ${messageOf(err)}` }
      break
    }
    const firstPage = report.pages + 1
    const pages = page.pages ?? 1
    report = { ...report, pages: report.pages + pages }
    while (window.size >= settings.pageConcurrency) await Promise.race(window)
    if (page.subscriptions.length > 0) check(page.subscriptions, firstPage)
    nextLink = page.nextLink
    pagesThisRun += pages
    if (nextLink && (pagesThisRun >= settings.pagesPerRun || wf.workflowInfo().continueAsNewSuggested)) {
      await Promise.all(window)
      return wf.continueAsNew<typeof reconciliationWorkflow>({ ...input, carried: { nextLink, report } })
    }
  } while (nextLink)
  await Promise.all(window)

  const finishedAt = now()
  report = { ...report, finishedAt, durationMs: Date.parse(finishedAt) - Date.parse(report.startedAt) }
  await recordReconciliation(report)
  return report

  function check(subscriptions: ListedSubscription[], pageNumber: number) {
    const { activationDeadlineMs, operations } = settings
    const task = reconcilePage({ subscriptions, activationDeadlineMs, operations }).then(
      (result) => void (report = withPage(report, result)),
      (err) =>
        void (report = {
          ...report,
          failedPages: [...report.failedPages, { page: pageNumber, error: messageOf(err) }],
        }),
    )
    const tracked: Promise<void> = task.finally(() => window.delete(tracked))
    window.add(tracked)
  }
}

export function emptyReport(
  id: string,
  trigger: ReconciliationReport['trigger'],
  startedAt: string,
): ReconciliationReport {
  const zero = <K extends string>(kinds: readonly K[]) =>
    Object.fromEntries(kinds.map((k) => [k, 0])) as Record<K, number>
  return {
    id,
    trigger,
    startedAt,
    pages: 0,
    counts: { checked: 0, inSync: 0, repaired: zero(REPAIR_KINDS), reported: zero(REPORT_KINDS) },
    repairs: [],
    reports: [],
    unlisted: 0,
    failedPages: [],
  }
}

/** Adds one page's findings: every one counted, the first `MAX_LISTED_FINDINGS` listed. */
export function withPage(report: ReconciliationReport, page: PageReport): ReconciliationReport {
  const repaired = { ...report.counts.repaired }
  const reported = { ...report.counts.reported }
  const repairs = [...report.repairs]
  const reports = [...report.reports]
  let unlisted = report.unlisted
  for (const finding of page.findings) {
    const isRepair = isRepairKind(finding.kind)
    if (isRepair) repaired[finding.kind as RepairKind]++
    else reported[finding.kind as ReportKind]++
    if (repairs.length + reports.length >= MAX_LISTED_FINDINGS) unlisted++
    else (isRepair ? repairs : reports).push(finding)
  }
  return {
    ...report,
    counts: {
      checked: report.counts.checked + page.checked,
      inSync: report.counts.inSync + page.inSync,
      repaired,
      reported,
    },
    repairs,
    reports,
    unlisted,
  }
}

export const isRepairKind = (kind: Finding['kind']): kind is RepairKind =>
  (REPAIR_KINDS as readonly string[]).includes(kind)

function messageOf(err: unknown): string {
  let e = err
  // Temporal wraps an activity's failure: the cause is what went wrong.
  while (e instanceof Error && e.cause instanceof Error) e = e.cause
  return e instanceof Error ? e.message : String(err)
}

const now = () => new Date().toISOString()
