/**
 * Reconciliation's I/O: one page of List Subscriptions, and the check of a page against the service.
 *
 * A batch of pages is compared cheaply first: one visibility query per page returns the search attributes
 * (status, plan, seats, term end) of every subscription on it. Only a subscription that differs is looked at closely:
 * Microsoft's view read again (Get Subscription) and the workflow's own (its `state` query), since the
 * list and visibility may both be a moment old; if they still differ, its workflow is told Microsoft's
 * view (`statusObserved`) and converges through the vendor hooks. Operations Microsoft still waits on
 * (List Operations) that the workflow never received are delivered to it as if their webhook had come.
 * Every repair and signal is idempotent, so a batch retried, a run repeated or a webhook arriving at the
 * same time changes nothing more.
 * @module
 */
import { activityInfo, cancellationSignal, heartbeat } from '@temporalio/activity'
import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client'
import pMap from 'p-map'
import type { Logger } from '../config/logger.ts'
import { factsOf, type SubscriptionView } from '../machines/subscription/index.ts'
import type { MarketplaceClient } from '../marketplace/client/index.ts'
import { TERMINAL_OPERATION_STATUSES, type Operation, type Subscription } from '../marketplace/schemas.ts'
import { toMarketplaceEvent } from '../server/webhook/to-event.ts'
import { SubscriptionClosedError, visibilityQuery, type SubscriptionsGateway } from '../server/subscriptions-gateway.ts'
import { PlanIdKey, QuantityKey, StatusKey, SubscriptionIdKey, TermEndDateKey } from '../workflows/search-attributes.ts'
import { subscriptionWorkflowId } from '../workflows/subscription.ts'
import {
  COMPARED_FIELDS,
  isRepairKind,
  type Difference,
  type Finding,
  type ListedPage,
  type ListedSubscription,
  type PageReport,
  type ReconciliationReport,
  type ReconciliationSettings,
  type ReportKind,
} from '../workflows/reconciliation.ts'
import { translatingFailures } from './failures.ts'

/** Recorded with every repair, in the subscription's decision log. */
export const RECONCILIATION_REASON = 'found by reconciliation'

/** Reports an operator should act on: logged as warnings. */
const LOUD: readonly ReportKind[] = ['activationOverdue', 'unknownSuspended', 'closedButActive']

export interface ReconciliationDeps {
  marketplace: MarketplaceClient
  subscriptions: Pick<SubscriptionsGateway, 'observe' | 'deliver' | 'get' | 'decisions'>
  /** Temporal: visibility and describe. */
  client: Client
  logger: Logger
  /** Subscriptions of one batch looked at in parallel (List Operations, repairs). */
  concurrency?: number
}

/** Subscriptions per visibility query: Microsoft's page. */
const VISIBILITY_CHUNK = 100
/** Visibility queries of one batch at the same time. */
const VISIBILITY_CONCURRENCY = 4
/** A batch's progress is recorded at most this often (it names up to every subscription of the batch). */
const HEARTBEAT_EVERY_MS = 1_000

/** The service's view of a subscription, as its search attributes show it. */
export interface ServiceView {
  status?: string
  planId?: string
  quantity?: number
  termEndDate?: string
  /** False once the workflow has ended: the subscription is closed (Unsubscribed) at the service. */
  running: boolean
}

type Compared = Pick<ServiceView, 'status' | 'planId' | 'quantity' | 'termEndDate'>

type PageInput = Pick<ReconciliationSettings, 'activationDeadlineMs' | 'operations'>

/** A page check's heartbeat: the subscriptions done and what they found. */
interface PageProgress {
  done: string[]
  findings: Finding[]
}

export function reconciliationActivities(deps: ReconciliationDeps) {
  const { marketplace, subscriptions, client, logger } = deps
  const concurrency = deps.concurrency ?? 32
  const ctx = () => ({ signal: cancellationSignal() })

  /** One visibility query per page of ids: the current run of every subscription workflow they name. */
  async function serviceViews(ids: string[]): Promise<Map<string, ServiceView>> {
    const views = new Map<string, ServiceView>()
    const chunks = Array.from({ length: Math.ceil(ids.length / VISIBILITY_CHUNK) }, (_, n) =>
      ids.slice(n * VISIBILITY_CHUNK, (n + 1) * VISIBILITY_CHUNK),
    )
    await pMap(
      chunks,
      async (chunk) => {
        const idList = chunk.map((id) => JSON.stringify(id)).join(', ')
        const query = `${visibilityQuery({})} AND ${SubscriptionIdKey.name} IN (${idList})`
        for await (const execution of client.workflow.list({ query, pageSize: chunk.length })) {
          const id = execution.typedSearchAttributes.get(SubscriptionIdKey)
          if (id) views.set(id, serviceViewOf(execution))
        }
      },
      { concurrency: VISIBILITY_CONCURRENCY },
    )
    return views
  }

  /** Visibility lags a workflow's start by a moment: before calling a subscription unknown, ask Temporal itself. */
  async function describe(subscriptionId: string): Promise<ServiceView | undefined> {
    try {
      return serviceViewOf(await client.workflow.getHandle(subscriptionWorkflowId(subscriptionId)).describe())
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined
      throw err
    }
  }

  async function check(listed: ListedSubscription, known: ServiceView | undefined, input: PageInput) {
    const service = known ?? (await describe(listed.id))
    const overdue = isOverdue(listed, input.activationDeadlineMs)
    if (!service) return unknown(listed, overdue)
    if (!service.running) return listed.status === 'Unsubscribed' ? [] : [closedButActive(listed)]
    const findings: Finding[] = []
    if (differences(listed, service).length > 0) findings.push(...(await converge(listed.id)))
    if (overdue) findings.push(activationOverdue(listed))
    const lookForOperations = input.operations === 'all' || findings.length > 0
    if (lookForOperations && isActive(listed.status) && !findings.some((f) => f.kind === 'closedButActive')) {
      findings.push(...(await deliverOutstanding(listed.id)))
    }
    return findings
  }

  /** A subscription the service has never seen. */
  async function unknown(listed: ListedSubscription, overdue: boolean): Promise<Finding[]> {
    const { id } = listed
    switch (listed.status) {
      case 'Subscribed': {
        // Bought and active at Microsoft (a lost Subscribe webhook, an auto-activated purchase): provision it.
        const subscription = await marketplace.getSubscription(id, ctx())
        if (subscription.saasSubscriptionStatus !== 'Subscribed') return []
        await subscriptions.observe(factsOf(subscription), { reason: RECONCILIATION_REASON, origin: 'purchase' })
        const adopted: Finding = {
          subscriptionId: id,
          kind: 'adopted',
          message: 'Subscribed at Microsoft but unknown here: taken in and provisioned',
        }
        return [adopted, ...(await deliverOutstanding(id))]
      }
      case 'Suspended':
        // Not adopted: a customer who was never provisioned has no access to suspend, and once Microsoft
        // reinstates it, it is Subscribed and the next run adopts and provisions it.
        return [
          {
            subscriptionId: id,
            kind: 'unknownSuspended',
            message: 'Suspended at Microsoft but unknown here: not taken in; provisioned once Microsoft reinstates it',
          },
        ]
      case 'Unsubscribed':
        return [{ subscriptionId: id, kind: 'unknownUnsubscribed', message: 'Unsubscribed at Microsoft, unknown here' }]
      default:
        // The buyer has not come to the landing page yet: the landing page starts it when they do.
        return [
          overdue
            ? activationOverdue(listed)
            : {
                subscriptionId: id,
                kind: 'pendingFulfillmentStart',
                message: 'Bought but not configured yet: waiting for the buyer on the landing page',
              },
        ]
    }
  }

  /** Both sides read again; if they still differ, the workflow is told Microsoft's view and converges on it. */
  async function converge(id: string): Promise<Finding[]> {
    const subscription = await marketplace.getSubscription(id, ctx())
    const view = await subscriptions.get(id)
    const microsoft = listedOf(subscription)
    const found = differences(microsoft, view ? comparedOf(view) : {})
    if (found.length === 0) return []
    try {
      await subscriptions.observe(factsOf(subscription), { reason: RECONCILIATION_REASON, origin: 'adoption' })
    } catch (err) {
      if (!(err instanceof SubscriptionClosedError)) throw err
      // It ended in the meantime: closed here is final, whatever Microsoft says.
      return subscription.saasSubscriptionStatus === 'Unsubscribed' ? [] : [closedButActive(microsoft)]
    }
    const fields = found.map((d) => `${d.field} ${show(d.service)} → ${show(d.microsoft)}`).join(', ')
    return [
      { subscriptionId: id, kind: 'statusObserved', differences: found, message: `Told Microsoft's view: ${fields}` },
    ]
  }

  /** Operations Microsoft still waits on that the workflow has no trace of, handed over as if their webhook had come. */
  async function deliverOutstanding(id: string): Promise<Finding[]> {
    const outstanding = (await marketplace.listOperations(id, ctx())).filter(
      // The service follows its own requests (PATCH/DELETE) through Operation-Location.
      (op) => !TERMINAL_OPERATION_STATUSES.includes(op.status) && op.operationRequestSource !== 'Partner',
    )
    if (outstanding.length === 0) return []
    const seen = await operationsSeen(id)
    const findings: Finding[] = []
    for (const operation of outstanding.filter((op) => !seen.has(op.id))) {
      await subscriptions.deliver(id, eventOf(operation))
      findings.push({
        subscriptionId: id,
        kind: 'operationDelivered',
        operationId: operation.id,
        action: operation.action,
        message: `${operation.action} ${operation.status} at Microsoft, never received: delivered as its webhook`,
      })
    }
    return findings
  }

  /** Operation ids the workflow already knows: its decision log, the change it is deciding, its requests. */
  async function operationsSeen(id: string): Promise<Set<string | undefined>> {
    const decisions = (await subscriptions.decisions(id)) ?? []
    const view = await subscriptions.get(id)
    return new Set([
      ...decisions.map((d) => d.operationId),
      view?.pendingChange?.operationId,
      view?.pendingRequest?.operationId,
      ...(view?.recentRequests ?? []).map((r) => r.operationId),
    ])
  }

  function log(finding: Finding) {
    const loud = !isRepairKind(finding.kind) && LOUD.includes(finding.kind)
    logger[loud ? 'warn' : 'info'](
      { reconciliation: finding },
      `reconciliation: ${finding.kind} ${finding.subscriptionId}`,
    )
  }

  return {
    /**
     * Up to `maxPages` pages of List Subscriptions, from `nextLink` as Microsoft gave it (the first page when
     * absent), as one batch. A page that fails fails the batch: Temporal retries it from `nextLink`.
     */
    async listSubscriptionsPage(nextLink?: string, maxPages = 1): Promise<ListedPage> {
      return translatingFailures(async () => {
        const subscriptions: ListedSubscription[] = []
        let link = nextLink
        let pages = 0
        do {
          const page = await marketplace.listSubscriptionsPage(link, ctx())
          subscriptions.push(...page.subscriptions.map(listedOf))
          link = page.nextLink
          pages++
        } while (link && pages < maxPages)
        return { subscriptions, nextLink: link, pages }
      })
    },

    async reconcilePage(input: PageInput & { subscriptions: ListedSubscription[] }): Promise<PageReport> {
      // A retry resumes where the last attempt's heartbeat left off: one slow answer does not redo the batch.
      const progress = (activityInfo().heartbeatDetails as PageProgress | undefined) ?? { done: [], findings: [] }
      const done = new Set(progress.done)
      const findings = [...progress.findings]
      const listed = input.subscriptions
      const todo = listed.filter((s) => !done.has(s.id))
      let heartbeatAt = 0
      const record = () => {
        heartbeatAt = Date.now()
        heartbeat({ done: [...done], findings } satisfies PageProgress)
      }
      return translatingFailures(async () => {
        const known = todo.length > 0 ? await serviceViews(todo.map((s) => s.id)) : new Map<string, ServiceView>()
        try {
          await pMap(
            todo,
            async (s) => {
              const found = await check(s, known.get(s.id), input)
              found.forEach(log)
              findings.push(...found)
              done.add(s.id)
              if (Date.now() - heartbeatAt >= HEARTBEAT_EVERY_MS) record()
            },
            // Every subscription is tried; those that failed are tried again by the activity's retry.
            { concurrency, signal: cancellationSignal(), stopOnError: false },
          )
        } catch (err) {
          // The failed attempt reports all it did, so the retry looks only at what failed.
          record()
          throw err instanceof AggregateError ? (err.errors[0] as unknown) : err
        }
        const withFindings = new Set(findings.map((f) => f.subscriptionId))
        return { checked: listed.length, inSync: listed.length - withFindings.size, findings }
      })
    },

    /** The run's summary in the service's log; the full report is the workflow's result. */
    recordReconciliation(report: ReconciliationReport): Promise<void> {
      const { id, counts, durationMs, pages, failedPages, error, unlisted } = report
      const loud = LOUD.some((k) => counts.reported[k] > 0) || failedPages.length > 0 || !!error
      logger[loud ? 'warn' : 'info'](
        { reconciliation: { id, counts, durationMs, pages, failedPages, error, unlisted } },
        'reconciliation finished',
      )
      return Promise.resolve()
    },
  }
}

/** What the service knows, from a visibility row or a describe. */
function serviceViewOf(execution: Pick<WorkflowExecutionInfo, 'typedSearchAttributes' | 'status'>): ServiceView {
  const sa = execution.typedSearchAttributes
  return {
    status: sa.get(StatusKey),
    planId: sa.get(PlanIdKey),
    quantity: sa.get(QuantityKey),
    termEndDate: sa.get(TermEndDateKey),
    running: execution.status.name === 'RUNNING',
  }
}

function comparedOf(view: SubscriptionView): Compared {
  return {
    status: view.saasSubscriptionStatus,
    planId: view.planId,
    quantity: view.quantity,
    termEndDate: view.term?.endDate,
  }
}

export function listedOf(subscription: Subscription): ListedSubscription {
  return {
    id: subscription.id,
    status: subscription.saasSubscriptionStatus,
    planId: subscription.planId,
    quantity: subscription.quantity,
    termEndDate: subscription.term?.endDate,
    created: subscription.created,
  }
}

/** The fields where Microsoft and the service disagree (a missing value is a value: the term Microsoft set at activation). */
export function differences(microsoft: ListedSubscription, service: Compared): Difference[] {
  const ms: Compared = { ...microsoft }
  return COMPARED_FIELDS.filter((field) => (ms[field] ?? null) !== (service[field] ?? null)).map((field) => ({
    field,
    microsoft: ms[field],
    service: service[field],
  }))
}

/** Still waiting for the buyer (PendingFulfillmentStart) longer than the activation deadline after the purchase. */
export function isOverdue(listed: ListedSubscription, deadlineMs: number, now = Date.now()): boolean {
  const pending = listed.status === 'PendingFulfillmentStart' || listed.status === 'NotStarted'
  return pending && !!listed.created && now - Date.parse(listed.created) > deadlineMs
}

/**
 * Where List Operations can find something: Microsoft lists only `InProgress` operations, and only a
 * customer's ChangePlan/ChangeQuantity on a Subscribed subscription arrive `InProgress` today, a Reinstate on
 * a Suspended one in older examples; nothing is pending before activation, and Unsubscribed is final
 * (docs/marketplace-contract.md §3, §4.2, §5.1).
 */
const isActive = (status: string) => status === 'Subscribed' || status === 'Suspended'

function activationOverdue(listed: ListedSubscription): Finding {
  return {
    subscriptionId: listed.id,
    kind: 'activationOverdue',
    message: `Bought ${listed.created} and still not activated: past the activation deadline; Microsoft cancels after 30 days`,
  }
}

function closedButActive(listed: ListedSubscription): Finding {
  return {
    subscriptionId: listed.id,
    kind: 'closedButActive',
    differences: [{ field: 'status', microsoft: listed.status, service: 'Unsubscribed' }],
    message: `${listed.status} at Microsoft but Unsubscribed here: not brought back; check with Microsoft and the customer`,
  }
}

/** An operation from List Operations as the workflow takes a verified webhook's. */
function eventOf(operation: Operation) {
  return toMarketplaceEvent(operation, new Date().toISOString())
}

const show = (v: string | number | undefined) => (v === undefined ? '(none)' : String(v))
