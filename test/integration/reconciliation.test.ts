/**
 * Reconciliation end to end, on the real dev server with the emulator over real HTTP: every repair with the
 * webhook never delivered (`webhook: false`), a run concurrent with webhooks for the same subscriptions,
 * runs repeated at once, a second run that finds everything in sync, and the runs as the API reads them.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { SubscriptionView } from '../../machines/subscription/index.ts'
import { createReconciliationsGateway } from '../../server/reconciliations-gateway.ts'
import {
  RECONCILIATION_ID,
  reconciliationWorkflow,
  type Finding,
  type ReconciliationReport,
  type ReconciliationSettings,
} from '../../workflows/reconciliation.ts'
import { stateQuery, subscriptionWorkflowId } from '../../workflows/subscription.ts'
import { eventually, startHarness, type Harness } from '../support/harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness({ env: { RECONCILE_INTERVAL: 'off' } })
})
afterAll(() => h?.stop())
// Each test sees only its own subscriptions at "Microsoft"; the service keeps what earlier tests made.
beforeEach(() => {
  m().reset()
  m().configure({ autoAcceptMs: 10_000 })
})

const m = () => h.emulator.marketplace
const silently = { webhook: false }

function reconcile(settings: Partial<ReconciliationSettings> = {}): Promise<ReconciliationReport> {
  return h.temporal.workflow.execute(reconciliationWorkflow, {
    workflowId: `${RECONCILIATION_ID}-test-${randomUUID()}`,
    taskQueue: h.config.taskQueue,
    args: [{ trigger: 'api', settings }],
  })
}

const state = (id: string) =>
  h.temporal.workflow
    .getHandle(subscriptionWorkflowId(id))
    .query(stateQuery)
    .catch(() => undefined)

function reach(id: string, predicate: (v: SubscriptionView) => boolean, what = 'state') {
  return eventually(
    async () => {
      const v = await state(id)
      return v && predicate(v) && v
    },
    { what: `${id} ${what}` },
  )
}

const idle = (v: SubscriptionView) => v.step === 'subscribed.idle' || v.step === 'suspended.idle'

/** A subscription the service knows and has provisioned: auto-activated, its Subscribe webhook delivered. */
async function activeSubscription(quantity = 5): Promise<string> {
  const { id } = m().purchase({
    offerId: 'contoso-analytics',
    planId: 'team',
    quantity,
    autoActivate: true,
  }).subscription
  await reach(id, (v) => v.step === 'subscribed.idle', 'provisioned')
  return id
}

const findingsOf = (report: ReconciliationReport, id: string) =>
  [...report.repairs, ...report.reports].filter((f) => f.subscriptionId === id)
const kindsOf = (report: ReconciliationReport, id: string) => findingsOf(report, id).map((f) => f.kind)
const hookCalls = (id: string) => h.vendor.calls.filter((c) => c.subscriptionId === id).map((c) => c.hook)
const journal = (id: string, kind: string) => m().journal({ subscriptionId: id, kind })

function expectAllInSync(report: ReconciliationReport, checked: number) {
  expect(report.counts).toMatchObject({ checked, inSync: checked })
  expect([...report.repairs, ...report.reports]).toEqual([])
}

describe('subscriptions the service never heard of', () => {
  it('adopts and provisions a Subscribed one whose Subscribe webhook never came, without activating it again', async () => {
    const { id } = m().purchase({ offerId: 'contoso-analytics', planId: 'instant', ...silently }).subscription
    expect(await state(id)).toBeUndefined()

    const report = await reconcile()
    expect(report.counts).toMatchObject({ checked: 1, inSync: 0, repaired: { adopted: 1 } })
    expect(report.repairs).toEqual([expect.objectContaining({ subscriptionId: id, kind: 'adopted' })])
    await reach(id, (v) => v.step === 'subscribed.idle', 'provisioned')
    expect(hookCalls(id).filter((hook) => hook === 'provision')).toHaveLength(1)
    expect(journal(id, 'activate')).toEqual([])
    const decisions = await h.temporal.workflow
      .getHandle(subscriptionWorkflowId(id))
      .query<{ reason?: string }[]>('decisions')
    expect(decisions.some((d) => d.reason === 'found by reconciliation')).toBe(true)

    expectAllInSync(await reconcile(), 1)
    expect(hookCalls(id).filter((hook) => hook === 'provision')).toHaveLength(1)
  })

  // A webhook other than Subscribe for a subscription the service never heard of starts its workflow as an
  // `adoption`; Subscribed at Microsoft, it is provisioned as reconciliation would (PROVISION_ADOPTED_PATCH),
  // or the customer Microsoft bills would never be set up and every later run would find it in sync.
  it('provisions one it never heard of when its Reinstate webhook comes first, as reconciliation does', async () => {
    const { id } = m().purchase({ offerId: 'contoso-analytics', planId: 'instant', ...silently }).subscription
    m().suspend(id, silently)
    m().reinstate(id)

    await reach(id, (v) => v.step === 'subscribed.idle', 'taken in')
    expect(hookCalls(id)).toContain('provision')
  })

  it('reports one still waiting for the buyer, loudly once past the activation deadline, and starts nothing', async () => {
    const { id } = m().purchase({ offerId: 'contoso-analytics', planId: 'team' }).subscription

    const fresh = await reconcile()
    expect(fresh.counts).toMatchObject({ checked: 1, inSync: 0, reported: { pendingFulfillmentStart: 1 } })
    const overdue = await reconcile({ activationDeadlineMs: 0 })
    expect(overdue.counts.reported).toMatchObject({ pendingFulfillmentStart: 0, activationOverdue: 1 })
    expect(overdue.reports[0]).toMatchObject({ subscriptionId: id, kind: 'activationOverdue' })
    expect(await state(id)).toBeUndefined()
    expect(
      m()
        .journal({ subscriptionId: id })
        .filter((e) => e.kind !== 'listSubscriptions'),
    ).toEqual([])
  })

  it('reports Suspended and Unsubscribed ones without taking them in', async () => {
    const suspended = m().purchase({ offerId: 'contoso-analytics', planId: 'instant', ...silently }).subscription.id
    m().suspend(suspended, silently)
    const cancelled = m().purchase({ offerId: 'contoso-analytics', planId: 'instant', ...silently }).subscription.id
    m().unsubscribe(cancelled, silently)

    const report = await reconcile()
    expect(report.counts).toMatchObject({
      checked: 2,
      inSync: 0,
      reported: { unknownSuspended: 1, unknownUnsubscribed: 1 },
    })
    expect(kindsOf(report, suspended)).toEqual(['unknownSuspended'])
    expect(kindsOf(report, cancelled)).toEqual(['unknownUnsubscribed'])
    expect(await state(suspended)).toBeUndefined()
    expect(await state(cancelled)).toBeUndefined()
  })
})

describe('subscriptions that drifted at Microsoft without a webhook', () => {
  it('converges on status, seats, plan and term through the vendor hooks, each once, then finds all in sync', async () => {
    m().configure({ autoAcceptMs: 50 })
    // Enterprise takes 10 seats or more.
    const [suspended, seats, plan, renewed] = (await Promise.all([5, 5, 12, 5].map(activeSubscription))) as [
      string,
      string,
      string,
      string,
    ]
    const termBefore = (await state(renewed))!.term?.endDate
    m().suspend(suspended, silently)
    m().changeQuantity(seats, 9, silently)
    m().changePlan(plan, 'enterprise', silently)
    m().renew(renewed, silently)
    await eventually(() => m().getSubscription(seats).subscription.quantity === 9)
    await eventually(() => m().getSubscription(plan).subscription.planId === 'enterprise')
    const microsoftTerm = m().getSubscription(renewed).subscription.term?.endDate
    expect(microsoftTerm).not.toBe(termBefore)

    const report = await reconcile()
    expect(report.counts).toMatchObject({ checked: 4, inSync: 0, repaired: { statusObserved: 4 } })
    const differences = (id: string) => findingsOf(report, id).flatMap((f: Finding) => f.differences ?? [])
    expect(differences(suspended)).toEqual([{ field: 'status', microsoft: 'Suspended', service: 'Subscribed' }])
    expect(differences(seats)).toEqual([{ field: 'quantity', microsoft: 9, service: 5 }])
    expect(differences(plan)).toEqual([{ field: 'planId', microsoft: 'enterprise', service: 'team' }])
    expect(differences(renewed)).toEqual([{ field: 'termEndDate', microsoft: microsoftTerm, service: termBefore }])

    await reach(suspended, (v) => v.saasSubscriptionStatus === 'Suspended' && idle(v), 'suspended')
    await reach(seats, (v) => v.quantity === 9 && idle(v), '9 seats')
    await reach(plan, (v) => v.planId === 'enterprise' && idle(v), 'enterprise')
    await reach(renewed, (v) => v.term?.endDate === microsoftTerm, 'renewed term')
    expect(hookCalls(suspended).filter((c) => c === 'suspend')).toHaveLength(1)
    expect(hookCalls(seats).filter((c) => c === 'applyChange')).toHaveLength(1)
    expect(hookCalls(plan).filter((c) => c === 'applyChange')).toHaveLength(1)

    const before = h.vendor.calls.length
    expectAllInSync(await reconcile(), 4)
    expect(h.vendor.calls.length).toBe(before)
  })

  it('deprovisions one cancelled at Microsoft, and its workflow ends', async () => {
    const id = await activeSubscription()
    m().unsubscribe(id, silently)

    const report = await reconcile()
    expect(report.repairs).toEqual([
      expect.objectContaining({
        subscriptionId: id,
        kind: 'statusObserved',
        differences: [{ field: 'status', microsoft: 'Unsubscribed', service: 'Subscribed' }],
      }),
    ])
    await eventually(
      async () =>
        (await h.temporal.workflow.getHandle(subscriptionWorkflowId(id)).describe()).status.name === 'COMPLETED',
    )
    expect(hookCalls(id).filter((c) => c === 'deprovision')).toHaveLength(1)
    await eventually(async () => {
      const again = await reconcile()
      return again.counts.inSync === 1 && again
    })
  })

  it('reports one closed here but active at Microsoft, and never brings it back', async () => {
    const id = await activeSubscription()
    await h.temporal.workflow.getHandle(subscriptionWorkflowId(id)).terminate('lost by an operator mistake')
    const provisioned = hookCalls(id).length

    const report = await reconcile()
    expect(report.counts).toMatchObject({ checked: 1, inSync: 0, reported: { closedButActive: 1 } })
    expect(report.reports[0]).toMatchObject({
      subscriptionId: id,
      differences: [{ field: 'status', microsoft: 'Subscribed', service: 'Unsubscribed' }],
    })
    const described = await h.temporal.workflow.getHandle(subscriptionWorkflowId(id)).describe()
    expect(described.status.name).toBe('TERMINATED')
    expect(hookCalls(id)).toHaveLength(provisioned)
  })

  it('delivers an operation Microsoft still waits on, decided and acknowledged inside the window, applied when settled', async () => {
    m().configure({ autoAcceptMs: 60_000 })
    const id = await activeSubscription(5)
    const operation = m().changeQuantity(id, 7, silently)

    const report = await reconcile()
    expect(report.repairs).toEqual([
      expect.objectContaining({
        subscriptionId: id,
        kind: 'operationDelivered',
        operationId: operation.id,
        action: 'ChangeQuantity',
      }),
    ])
    await eventually(() => m().getSubscription(id).subscription.quantity === 7, { what: 'Microsoft applied it' })
    const acknowledgements = journal(id, 'updateOperation')
    expect(acknowledgements).toHaveLength(1)
    expect(acknowledgements[0]).toMatchObject({ status: 200, body: { status: 'Success' } })
    await reach(id, (v) => v.quantity === 7 && idle(v), '7 seats')
    expect(hookCalls(id).filter((c) => c === 'decideChange')).toHaveLength(1)
    // The vendor is told in its own lane, just after the subscription took the seats.
    await eventually(() => hookCalls(id).includes('applyChange'), { what: 'applyChange' })
    expect(hookCalls(id).filter((c) => c === 'applyChange')).toHaveLength(1)
  })
})

describe('never twice', () => {
  it('a run while the webhooks for the same subscriptions arrive, and another at once, change nothing more', async () => {
    const ids = await Promise.all([1, 2, 3].map(() => activeSubscription()))
    const [first, second] = await Promise.all([
      reconcile(),
      (async () => {
        for (const id of ids) m().suspend(id)
        return reconcile()
      })(),
    ])
    const again = await reconcile()
    for (const id of ids) {
      await reach(id, (v) => v.saasSubscriptionStatus === 'Suspended' && idle(v), 'suspended')
      expect(hookCalls(id).filter((c) => c === 'suspend')).toHaveLength(1)
    }
    for (const report of [first, second, again]) expect(report.counts.checked).toBe(3)
    const before = h.vendor.calls.length
    await eventually(async () => {
      const settled = await reconcile()
      return settled.counts.inSync === 3 && settled
    })
    expect(h.vendor.calls.length).toBe(before)
  })
})

describe('a page that fails half way', () => {
  it('is tried again from where it stopped: only the failed subscription is looked at again', async () => {
    const known = await Promise.all([1, 2, 3].map(() => activeSubscription()))
    const lost = m().purchase({ offerId: 'contoso-analytics', planId: 'instant', ...silently }).subscription.id
    m().setFaults({ script: [{ target: 'api', kind: '500', operationId: 'SubscriptionOperations_ListOperations' }] })

    const report = await reconcile()
    expect(report.failedPages).toEqual([])
    expect(report.counts).toMatchObject({ checked: 4, inSync: 3, repaired: { adopted: 1 } })
    const calls = [...known, lost].map((id) => journal(id, 'listOperations').map((e) => e.status))
    expect(calls.flat().sort()).toEqual([200, 200, 200, 200, 500])
    expect(calls.filter((c) => c.length === 2)).toEqual([[500, 200]])
    await reach(lost, (v) => v.step === 'subscribed.idle', 'provisioned')
    expect(hookCalls(lost).filter((c) => c === 'provision')).toHaveLength(1)
  })
})

describe('the runs as the API reads them', () => {
  it('starts one, reads it running or finished, and lists the latest first', async () => {
    const runs = createReconciliationsGateway({ client: h.temporal, taskQueue: h.config.taskQueue, settings: {} })
    m().purchase({ offerId: 'contoso-analytics', planId: 'team' })
    const older = await runs.start()
    const newer = await runs.start()
    expect(older).toMatch(/^saas-reconciliation-api-/)

    const running = await runs.get(newer)
    expect(running).toMatchObject({ id: newer, report: { id: newer, trigger: 'api' } })
    expect(['running', 'finished']).toContain(running!.state)
    const finished = await eventually(async () => {
      const run = await runs.get(newer)
      return run?.state === 'finished' && run
    })
    expect(finished.report).toMatchObject({ counts: { checked: 1, reported: { pendingFulfillmentStart: 1 } } })
    expect(finished.report!.durationMs).toBeGreaterThanOrEqual(0)

    const listed = await eventually(async () => {
      const latest = await runs.list(100)
      return latest.some((r) => r.id === older) && latest.some((r) => r.id === newer) && latest
    })
    expect(listed.findIndex((r) => r.id === newer)).toBeLessThan(listed.findIndex((r) => r.id === older))
    expect((await runs.list(1)).length).toBe(1)
    expect(await runs.get(`${RECONCILIATION_ID}-no-such-run`)).toBeUndefined()
    expect(await runs.get(subscriptionWorkflowId(randomUUID()))).toBeUndefined()
  })
})
