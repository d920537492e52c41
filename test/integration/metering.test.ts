/**
 * Metered billing end to end: a real PostgreSQL (test/setup/postgres.ts), the real Temporal dev server,
 * the worker's submission workflow and activities, the HTTP API, and the emulator as Microsoft.
 * Subscriptions are bought on an auto-activated metered offer, so Microsoft has them Subscribed at once.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inject } from 'vitest'
import { silentLogger } from '../../config/logger.ts'
import { createMarketplaceClient } from '../../marketplace/client/index.ts'
import { startMetering, type MeteringService } from '../../metering/service.ts'
import type { SubmissionReport } from '../../metering/submit.ts'
import type { UsageHour } from '../../metering/read.ts'
import { meteringReconciliationWorkflow, meteringSubmissionWorkflow } from '../../workflows/metering.ts'
import { createTestDatabase } from '../support/database.ts'
import { eventually, startHarness, type Harness } from '../support/harness.ts'
import { spawnWorker, type Program } from '../support/program.ts'

const HOUR = 3_600_000
const currentHour = () => Math.floor(Date.now() / HOUR) * HOUR
/** A time in the previous UTC hour: closed at once with METERING_GRACE=0s. */
const lastHourAt = (minute: number) => new Date(currentHour() - HOUR + minute * 60_000).toISOString()
const lastHour = () => new Date(currentHour() - HOUR).toISOString()

const CATALOG = {
  'meter-test': {
    // `retired` is in the vendor's catalogue but no longer on Microsoft's plan: Microsoft refuses it.
    small: { 'api-calls': { includedMonthly: 100, includedAnnual: 1200 }, retired: {} },
    large: {
      'api-calls': { includedMonthly: 1000, includedAnnual: 12000 },
      'gb-stored': { includedMonthly: 0, includedAnnual: 0 },
    },
  },
}
const dimension = (id: string, includedQuantity = 0) => ({
  id,
  displayName: id,
  unitOfMeasure: 'unit',
  pricePerUnit: 0.01,
  includedQuantity,
})

const OFFER = {
  offerId: 'meter-test',
  displayName: 'Meter test',
  plans: [
    { planId: 'small', displayName: 'Small', autoActivate: true, meteringDimensions: [dimension('api-calls', 100)] },
    {
      planId: 'large',
      displayName: 'Large',
      autoActivate: true,
      meteringDimensions: [dimension('api-calls', 1000), dimension('gb-stored')],
    },
  ],
}

let h: Harness
let db: pg.Pool
let ledger: MeteringService
let marketplace: ReturnType<typeof createMarketplaceClient>

beforeAll(async () => {
  const databaseUrl = await createTestDatabase()
  const catalogPath = join(mkdtempSync(join(tmpdir(), 'catalog-')), 'catalog.json')
  writeFileSync(catalogPath, JSON.stringify(CATALOG))
  h = await startHarness({
    env: {
      DATABASE_URL: databaseUrl,
      METERING_CATALOG: catalogPath,
      METERING_GRACE: '0s',
      METERING_STATE_MAX_AGE: '0s',
    },
  })
  h.emulator.marketplace.putOffer(OFFER)
  db = new pg.Pool({ connectionString: databaseUrl })
  // The same ledger, as the subscription workflow's activity would write to it.
  marketplace = createMarketplaceClient({
    baseUrl: h.emulator.apiUrl,
    staticToken: h.emulator.staticToken,
    logger: silentLogger,
  })
  ledger = await startMetering({
    settings: { databaseUrl, catalogPath, graceMs: 0, stateMaxAgeMs: 0 },
    marketplace,
    logger: silentLogger,
  })
})

afterAll(async () => {
  await ledger?.close()
  await db?.end()
  await h?.stop()
})

const m = () => h.emulator.marketplace

/**
 * Buys, and waits until the subscription's workflow has reported it to the ledger: that report is stamped
 * with the workflow's time, so one arriving after a test's own changes at Microsoft would undo them there.
 */
async function buy(planId = 'small'): Promise<string> {
  const id = m().purchase({ offerId: 'meter-test', planId }).subscription.id
  await eventually(
    async () =>
      (
        await db.query(
          "SELECT 1 FROM metering_subscription_states WHERE subscription_id = $1 AND source = 'workflow'",
          [id],
        )
      ).rowCount,
    { what: 'the workflow reporting the subscription to the ledger' },
  )
  return id
}

async function post(events: unknown[]) {
  const res = await h.api('/api/usage', { method: 'POST', body: JSON.stringify({ events }) })
  expect(res.status).toBe(200)
  return ((await res.json()) as { results: { id: string; status: string; reason?: string }[] }).results
}

const event = (subscriptionId: string, quantity: number, occurredAt = lastHourAt(10), dim = 'api-calls') => ({
  id: randomUUID(),
  subscriptionId,
  dimension: dim,
  quantity,
  occurredAt,
})

async function submit(): Promise<SubmissionReport> {
  const res = await h.api('/api/usage/submissions', { method: 'POST' })
  expect(res.status).toBe(200)
  return (await res.json()) as SubmissionReport
}

async function hours(subscriptionId: string): Promise<UsageHour[]> {
  const from = new Date(currentHour() - 3 * HOUR).toISOString()
  const to = new Date(currentHour() + 2 * HOUR).toISOString()
  const res = await h.api(`/api/subscriptions/${subscriptionId}/usage?from=${from}&to=${to}`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { hours: UsageHour[] }).hours
}

const hourOf = async (id: string, at: string, dim = 'api-calls') =>
  (await hours(id)).find((r) => r.hour === new Date(at).toISOString() && r.dimension === dim)

const batchesFor = (id: string) =>
  m()
    .journal({ subscriptionId: id })
    .filter((e) => e.kind === 'batchUsageEvent')

describe('ingest', () => {
  it('answers accepted, duplicate or rejected per event, with what to fix', async () => {
    const id = await buy()
    const ok = event(id, 5)
    const results = await post([
      ok,
      { ...event(id, 1), id: 'zero', quantity: 0 },
      { ...event(id, 1), subscriptionId: randomUUID() },
      { ...event(id, 1), dimension: 'gb-stored' },
      { ...event(id, 1), occurredAt: new Date(Date.now() + HOUR).toISOString() },
      { ...event(id, 1), occurredAt: new Date(Date.now() - 25 * HOUR).toISOString() },
    ])
    expect(results.map((r) => r.status)).toEqual([
      'accepted',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
    ])
    expect(results[1]!.reason).toMatch(/greater than 0/)
    expect(results[2]!.reason).toMatch(/unknown subscription/)
    expect(results[3]!.reason).toMatch(/not metered on plan small/)
    expect(results[4]!.reason).toMatch(/future/)
    expect(results[5]!.reason).toMatch(/too old/)

    const again = await post([ok, { ...ok, quantity: 6 }])
    expect(again.map((r) => r.status)).toEqual(['duplicate', 'rejected'])
    expect(again[1]!.reason).toMatch(/already used for different usage/)
    expect((await hourOf(id, lastHour()))?.quantity).toBe(5)

    const bad = await h.api('/api/usage', { method: 'POST', body: JSON.stringify({ events: [{ id: 'x' }] }) })
    expect(bad.status).toBe(400)
  })
})

describe('submission', () => {
  it('consumes the included quantity first and reports only the overage, once', async () => {
    const id = await buy()
    await post([event(id, 60), event(id, 70, lastHourAt(40))])
    const report = await submit()
    expect(report.alerts.filter((a) => a.subscriptionId === id)).toEqual([])
    const row = await hourOf(id, lastHour())
    expect(row).toMatchObject({ status: 'accepted', quantity: 130, included: 100, reported: 30, acceptedQuantity: 30 })
    expect(row?.usageEventId).toBeTruthy()
    expect(
      m()
        .usage({ subscriptionId: id })
        .map((u) => u.quantity),
    ).toEqual([30])

    // Late usage for the hour already sent goes into the next open hour; the sent hour does not change.
    const late = event(id, 7, lastHourAt(50))
    expect((await post([late]))[0]!.status).toBe('accepted')
    await submit()
    expect((await hourOf(id, lastHour()))?.reported).toBe(30)
    expect(await hourOf(id, new Date(currentHour()).toISOString())).toMatchObject({ status: 'open', quantity: 7 })
    expect(m().usage({ subscriptionId: id })).toHaveLength(1)
  })

  it('settles a submission whose answer was lost by sending the same quantity again: billed once', async () => {
    const id = await buy()
    await post([event(id, 150)])
    // Microsoft takes the batch but answers after the client gave up (MARKETPLACE_TIMEOUT_MS is 3 s).
    m().setFaults({
      script: [{ target: 'api', kind: 'slow', operationId: 'MeteringOperations_PostBatchUsageEvent', delayMs: 3_500 }],
    })
    await submit()
    const row = await hourOf(id, lastHour())
    expect(row).toMatchObject({ status: 'accepted', reported: 50, acceptedQuantity: 50 })
    expect(row!.attempts).toBeGreaterThanOrEqual(1)
    expect(batchesFor(id).length).toBeGreaterThanOrEqual(2)
    expect(
      m()
        .usage({ subscriptionId: id })
        .map((u) => u.quantity),
    ).toEqual([50])
  })

  it('does not send the hours of a Suspended subscription, and sends them once it is reinstated', async () => {
    const id = await buy()
    await post([event(id, 150)])
    m().suspend(id, { webhook: false })
    const report = await submit()
    expect(report.waiting).toBeGreaterThanOrEqual(1)
    expect(await hourOf(id, lastHour())).toMatchObject({ status: 'waiting', reported: 50 })
    expect(batchesFor(id)).toEqual([])
    // Known to be Suspended now: usage from now on is refused at ingest.
    const now = await post([event(id, 1, new Date().toISOString())])
    expect(now[0]).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/Suspended/) as unknown })

    m().reinstate(id, { webhook: false })
    await submit()
    expect(await hourOf(id, lastHour())).toMatchObject({ status: 'accepted', acceptedQuantity: 50 })
  })

  it('holds usage from a time the subscription turns out not to have been Subscribed, and never sends it', async () => {
    const id = await buy()
    await post([event(id, 130, lastHourAt(5)), event(id, 50, lastHourAt(40))])
    // Learnt after ingest: the workflow reports a suspension at :30 (Microsoft's time), then a reinstatement.
    const state = { offerId: 'meter-test', planId: 'small', termUnit: 'P1M', termStart: null }
    await ledger.recordState(id, { ...state, status: 'Suspended' }, new Date(lastHourAt(30)))
    await ledger.recordState(id, { ...state, status: 'Subscribed' }, new Date(lastHourAt(50)))
    await submit()
    expect(await hourOf(id, lastHour())).toMatchObject({
      status: 'accepted',
      quantity: 180,
      held: 50,
      included: 100,
      reported: 30,
      acceptedQuantity: 30,
    })
    expect(
      m()
        .usage({ subscriptionId: id })
        .map((u) => u.quantity),
    ).toEqual([30])
  })

  it('reports an hour with a mid-hour plan change under the new plan, with its included quantity for the rest of the term', async () => {
    const id = await buy('small')
    await post([event(id, 80, lastHourAt(10))])
    const change = m().changePlan(id, 'large', { webhook: false })
    await marketplace.updateOperation(id, change.id, { status: 'Success' })
    await eventually(() => m().getSubscription(id).subscription.planId === 'large', { what: 'the plan change' })
    // What the subscription's workflow reports when it applies the change: Microsoft's time of it.
    await ledger.recordState(
      id,
      { status: 'Subscribed', offerId: 'meter-test', planId: 'large', termUnit: 'P1M', termStart: null },
      new Date(lastHourAt(30)),
    )
    const after = await post([event(id, 2_000, lastHourAt(40)), event(id, 3, lastHourAt(45), 'gb-stored')])
    expect(after.map((r) => r.status)).toEqual(['accepted', 'accepted'])
    await submit()
    // 2080 units; the term period consumed 0 before, and the large plan includes 1000.
    expect(await hourOf(id, lastHour())).toMatchObject({
      status: 'accepted',
      planId: 'large',
      included: 1000,
      reported: 1080,
    })
    expect(await hourOf(id, lastHour(), 'gb-stored')).toMatchObject({ status: 'accepted', reported: 3 })
    expect(
      m()
        .usage({ subscriptionId: id })
        .every((u) => u.planId === 'large'),
    ).toBe(true)
  })

  it('still reports the hours before a cancellation, and refuses usage after it', async () => {
    const id = await buy()
    await post([event(id, 120)])
    m().unsubscribe(id, { webhook: false })
    await submit()
    expect(await hourOf(id, lastHour())).toMatchObject({ status: 'accepted', acceptedQuantity: 20 })
    const now = await post([event(id, 1, new Date().toISOString())])
    expect(now[0]).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/Unsubscribed/) as unknown })
  })
})

describe('operators', () => {
  it('see a refused hour failed with the reason and an alert, and retry it or move it to the next open hour', async () => {
    const id = await buy()
    await post([event(id, 4, lastHourAt(10), 'retired')])
    const report = await submit()
    expect(await hourOf(id, lastHour(), 'retired')).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/^InvalidDimension/) as unknown,
    })
    expect(report.alerts).toContainEqual(expect.objectContaining({ kind: 'failed', subscriptionId: id }))

    const path = `/api/subscriptions/${id}/usage/retired/${lastHour()}`
    expect((await h.api(`${path}/retry`, { method: 'POST' })).status).toBe(200)
    expect(await hourOf(id, lastHour(), 'retired')).toMatchObject({ status: 'pending' })
    const moved = await h.api(`${path}/move`, { method: 'POST' })
    expect(await moved.json()).toEqual({ status: 'carried', movedTo: new Date(currentHour()).toISOString() })
    expect(await hourOf(id, new Date(currentHour()).toISOString(), 'retired')).toMatchObject({ carriedIn: 4 })
    // Moved: nothing left to retry.
    expect((await h.api(`${path}/retry`, { method: 'POST' })).status).toBe(409)
  })
})

describe('the 24-hour watch', () => {
  it('alerts on an hour not yet accepted as its deadline nears, and no more once Microsoft has it', async () => {
    // Alerting from the hour's first second on, so the previous hour (its deadline 23 hours away) is near.
    const watch = await startMetering({
      settings: {
        databaseUrl: h.config.metering!.databaseUrl,
        catalogPath: h.config.metering!.catalogPath,
        graceMs: 0,
        stateMaxAgeMs: 0,
        alertBeforeMs: 24 * HOUR - 1_000,
      },
      marketplace,
      logger: silentLogger,
    })
    try {
      const id = await buy()
      await post([event(id, 150)])
      m().suspend(id, { webhook: false })
      const waiting = await watch.submit()
      expect(waiting.alerts).toContainEqual(
        expect.objectContaining({
          kind: 'deadline',
          subscriptionId: id,
          message: expect.stringMatching(/is waiting, not yet accepted; Microsoft's deadline is/) as unknown,
        }),
      )
      m().reinstate(id, { webhook: false })
      const accepted = await watch.submit()
      expect(await hourOf(id, lastHour())).toMatchObject({ status: 'accepted' })
      expect(accepted.alerts.filter((a) => a.subscriptionId === id)).toEqual([])
    } finally {
      await watch.close()
    }
  })
})

describe('reconciliation', () => {
  it("finds the day's mismatch with Microsoft's GET /usageEvents", async () => {
    const id = await buy()
    await post([event(id, 110)])
    await submit()
    expect(await hourOf(id, lastHour())).toMatchObject({ status: 'accepted', acceptedQuantity: 10 })
    // Someone else reported usage of the same dimension, for another hour of the day, straight to Microsoft.
    const res = await fetch(`${h.emulator.apiUrl}/usageEvent?api-version=2018-08-31`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.emulator.staticToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceId: id,
        dimension: 'api-calls',
        quantity: 5,
        effectiveStartTime: new Date(currentHour() - 2 * HOUR).toISOString(),
        planId: 'small',
      }),
    })
    expect(res.status).toBe(200)
    const report = await reconcileLastHoursDay()
    expect(report.findings).toContainEqual(
      expect.objectContaining({ subscriptionId: id, dimension: 'api-calls', finding: 'Mismatch', ledgerQuantity: 10 }),
    )
  })
})

/** The daily comparison with Microsoft's record, for the day of the last closed hour. */
const reconcileLastHoursDay = () =>
  h.temporal.workflow.execute(meteringReconciliationWorkflow, {
    taskQueue: h.config.taskQueue,
    workflowId: `reconcile-${randomUUID()}`,
    args: [lastHour().slice(0, 10)],
  })

describe('reconciliation of what Microsoft billed', () => {
  it('reports an event Microsoft rejected, and one it processed with another quantity, after the submission', async () => {
    const rejected = await buy()
    const adjusted = await buy()
    await post([event(rejected, 120), event(adjusted, 130)])
    await submit()
    // Microsoft's billing settles the two accepted events otherwise than sent.
    const [first] = m().usage({ subscriptionId: rejected })
    const [second] = m().usage({ subscriptionId: adjusted })
    m().settleUsage(first!.usageEventId, { reconStatus: 'Rejected', processedQuantity: 0 })
    m().settleUsage(second!.usageEventId, { reconStatus: 'Mismatch', processedQuantity: 25 })

    const report = await reconcileLastHoursDay()
    expect(report.findings).toContainEqual(
      expect.objectContaining({ subscriptionId: rejected, finding: 'Rejected', ledgerQuantity: 20 }),
    )
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        subscriptionId: adjusted,
        finding: 'Mismatch',
        ledgerQuantity: 30,
        microsoftQuantity: 25,
      }),
    )
    const { rows } = await db.query<{ subscription_id: string; finding: string; recon_status: string }>(
      'SELECT subscription_id, finding, recon_status FROM usage_reconciliations WHERE day = $1 AND subscription_id = ANY($2)',
      [lastHour().slice(0, 10), [rejected, adjusted]],
    )
    expect(rows).toEqual(
      expect.arrayContaining([
        { subscription_id: rejected, finding: 'Rejected', recon_status: 'Rejected' },
        { subscription_id: adjusted, finding: 'Mismatch', recon_status: 'Mismatch' },
      ]),
    )
  })
})

describe('a worker killed in mid-batch', () => {
  it('leaves the hour submitting; the next run sends the same quantity again and it is billed once', async () => {
    const databaseUrl = await createTestDatabase()
    const env = {
      DATABASE_URL: databaseUrl,
      METERING_CATALOG: h.config.metering!.catalogPath,
      METERING_GRACE: '0s',
      METERING_STATE_MAX_AGE: '0s',
    }
    const h2 = await startHarness({ worker: false, env })
    const pool = new pg.Pool({ connectionString: databaseUrl })
    let worker: Program | undefined
    try {
      h2.emulator.marketplace.putOffer(OFFER)
      worker = await spawnWorker({
        ...env,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_NAMESPACE: 'default',
        TEMPORAL_TASK_QUEUE: h2.config.taskQueue,
        MARKETPLACE_API_URL: h2.config.marketplace.apiUrl,
        MARKETPLACE_STATIC_TOKEN: h2.config.marketplace.staticToken!,
        MARKETPLACE_TIMEOUT_MS: '30000',
        WEBHOOK_AUTH: 'none',
        ADMIN_API_KEY: h2.config.admin.apiKey,
        SESSION_SECRET: h2.config.landing.sessionSecret,
      })
      const id = h2.emulator.marketplace.purchase({ offerId: 'meter-test', planId: 'small' }).subscription.id
      const res = await h2.api('/api/usage', { method: 'POST', body: JSON.stringify({ events: [event(id, 125)] }) })
      expect(res.status).toBe(200)
      // Microsoft takes the batch 3 s after it arrives; the worker dies before it can hear the answer.
      h2.emulator.marketplace.setFaults({
        script: [
          { target: 'api', kind: 'slow', operationId: 'MeteringOperations_PostBatchUsageEvent', delayMs: 3_000 },
        ],
      })
      await h2.temporal.workflow.start(meteringSubmissionWorkflow, {
        taskQueue: h2.config.taskQueue,
        workflowId: `killed-${randomUUID()}`,
      })
      await eventually(
        async () =>
          (await pool.query("SELECT 1 FROM usage_hours WHERE subscription_id = $1 AND status = 'submitting'", [id]))
            .rowCount,
        { what: 'the hour being sent', timeoutMs: 60_000 },
      )
      await new Promise((r) => setTimeout(r, 500))
      await worker.kill()
      worker = undefined
      await eventually(() => h2.emulator.marketplace.usage({ subscriptionId: id }).length === 1, {
        what: 'Microsoft taking the batch',
      })

      // The next run (the Schedule's, or this one) on a new worker settles the hour.
      await h2.startWorker()
      const report = await h2.api('/api/usage/submissions', { method: 'POST' })
      expect(((await report.json()) as SubmissionReport).alreadyAccepted).toBe(1)
      const { rows } = await pool.query<{ status: string; accepted_quantity: string }>(
        'SELECT status, accepted_quantity FROM usage_hours WHERE subscription_id = $1',
        [id],
      )
      expect(rows).toEqual([{ status: 'accepted', accepted_quantity: '25' }])
      expect(h2.emulator.marketplace.usage({ subscriptionId: id }).map((u) => u.quantity)).toEqual([25])
      expect(h2.emulator.marketplace.journal({ subscriptionId: id, kind: 'batchUsageEvent' })).toHaveLength(2)
    } finally {
      await worker?.kill()
      await pool.end()
      await h2.stop()
    }
  })
})

// Last: it moves Microsoft's clock a day ahead.
describe('the 24 hours', () => {
  it('carries an hour Microsoft answers Expired into a later hour, or records it lost after a cancellation', async () => {
    const kept = await buy()
    const cancelled = await buy()
    await post([event(kept, 140), event(cancelled, 130)])
    m().unsubscribe(cancelled, { webhook: false })
    m().advanceClock(24 * HOUR)
    const report = await submit()
    expect(await hourOf(kept, lastHour())).toMatchObject({
      status: 'carried',
      carriedTo: new Date(currentHour()).toISOString(),
      carriedQuantity: 40,
    })
    expect(await hourOf(kept, new Date(currentHour()).toISOString())).toMatchObject({ status: 'open', carriedIn: 40 })
    expect(await hourOf(cancelled, lastHour())).toMatchObject({ status: 'lost' })
    expect(report.alerts).toContainEqual(expect.objectContaining({ kind: 'lost', subscriptionId: cancelled }))
  })
})
