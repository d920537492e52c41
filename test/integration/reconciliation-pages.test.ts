/**
 * More subscriptions than one page of List Subscriptions (the emulator pages by 100): a run reads every page
 * once, checks them in a sliding window, continues as new between pages, and finds each subscription once,
 * wherever its page is; batched (several pages per activity, the default) it finds the same. Only the
 * subscriptions that differ cost more than the page's one visibility query.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { RECONCILIATION_ID, reconciliationWorkflow } from '../../workflows/reconciliation.ts'
import { eventually, startHarness, type Harness } from '../support/harness.ts'

const PENDING = 255
let h: Harness
beforeAll(async () => {
  h = await startHarness({ env: { RECONCILE_INTERVAL: 'off' } })
})
afterAll(() => h?.stop())

it(`checks ${PENDING + 6} subscriptions over 3 pages, one run per page, each subscription once`, async () => {
  const m = h.emulator.marketplace
  const buy = (planId: string, extra = {}) =>
    m.purchase({ offerId: 'contoso-analytics', planId, ...extra }).subscription.id
  // Known and in sync: auto-activated with their Subscribe webhook, on the first page.
  const known = [buy('instant'), buy('instant'), buy('instant')]
  const lost: string[] = []
  for (let n = 0; n < PENDING; n++) {
    buy('team')
    // Lost Subscribe webhooks, one on each page.
    if (n === 50 || n === 150 || n === 250) lost.push(buy('instant', { webhook: false }))
  }
  const step = async (id: string) =>
    ((await (await h.api(`/api/subscriptions/${id}`)).json()) as { step?: string }).step
  await eventually(async () => (await Promise.all(known.map(step))).every((s) => s === 'subscribed.idle'))
  const calls = (kind: string, subscriptionId?: string) => m.journal({ kind, subscriptionId }).length
  const before = { list: calls('listSubscriptions'), reads: known.map((id) => calls('getSubscription', id)) }

  const workflowId = `${RECONCILIATION_ID}-test-${randomUUID()}`
  const report = await h.temporal.workflow.execute(reconciliationWorkflow, {
    workflowId,
    taskQueue: h.config.taskQueue,
    args: [{ trigger: 'api', settings: { pagesPerBatch: 1, pagesPerRun: 1, pageConcurrency: 2 } }],
  })

  expect(report.pages).toBe(3)
  expect(calls('listSubscriptions') - before.list).toBe(3)
  expect(report.failedPages).toEqual([])
  expect(report.counts).toMatchObject({
    checked: PENDING + 6,
    inSync: 3,
    repaired: { adopted: 3, statusObserved: 0, operationDelivered: 0 },
    reported: { pendingFulfillmentStart: PENDING },
  })
  expect(report.repairs.map((f) => f.subscriptionId).sort()).toEqual([...lost].sort())
  const reported = report.reports.map((f) => f.subscriptionId)
  expect(new Set(reported).size).toBe(PENDING)
  // Three runs of one page each: the report crossed continue-as-new twice.
  const runs = []
  for await (const run of h.temporal.workflow.list({ query: `WorkflowId = "${workflowId}"` }))
    runs.push(run.status.name)
  expect(runs.sort()).toEqual(['COMPLETED', 'CONTINUED_AS_NEW', 'CONTINUED_AS_NEW'])
  // In sync costs nothing per subscription beyond List Operations; drift is read again.
  expect(known.map((id) => calls('getSubscription', id))).toEqual(before.reads)
  for (const id of lost) expect(calls('getSubscription', id)).toBeGreaterThan(0)

  // With RECONCILE_OPERATIONS=drifted, a subscription in sync costs no call to Microsoft at all. The three
  // pages are one batch here (the default): listed by one activity, each page still read once.
  const operationCalls = known.map((id) => calls('listOperations', id))
  const listCalls = calls('listSubscriptions')
  const cheap = await h.temporal.workflow.execute(reconciliationWorkflow, {
    workflowId: `${RECONCILIATION_ID}-test-${randomUUID()}`,
    taskQueue: h.config.taskQueue,
    args: [{ trigger: 'api', settings: { operations: 'drifted' } }],
  })
  expect(cheap).toMatchObject({ pages: 3, failedPages: [] })
  expect(calls('listSubscriptions') - listCalls).toBe(3)
  expect(cheap.counts).toMatchObject({ checked: PENDING + 6, inSync: 6 })
  expect(known.map((id) => calls('listOperations', id))).toEqual(operationCalls)
  expect(known.map((id) => calls('getSubscription', id))).toEqual(before.reads)
})
