/**
 * Crashes in the middle of a purchase: the Temporal server killed hard and restarted on the same SQLite
 * file, and the worker process killed hard and restarted. Either way the subscription still reaches
 * Subscribed, and Microsoft's Activate is called exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { freePort, startDevServer, type DevServer } from '../../temporal/dev-server.ts'
import { eventually, startHarness } from '../support/harness.ts'
import { confirmPurchase, progress } from '../support/landing.ts'
import { spawnWorker, type Program } from '../support/program.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

/** A crashed worker's activity is retried after this much silence. */
const HEARTBEAT = { VENDOR_HOOK_HEARTBEAT_TIMEOUT_MS: '2000' }

describe('crashes', () => {
  it('survives the Temporal server being killed hard mid-provisioning and restarted on the same SQLite file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'saas-durability-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const options = {
      cliPath: inject('temporalCliPath'),
      dbFile: join(dir, 'temporal.db'),
      port: await freePort(),
      uiPort: false as const,
    }
    let server: DevServer = await startDevServer(options)
    cleanups.push(() => server.stop())
    const h = await startHarness({ temporalAddress: server.address, env: HEARTBEAT })
    cleanups.push(() => h.stop())
    h.vendor.provisionDelayMs = 3_000

    const purchase = h.emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'basic' })
    const id = purchase.subscription.id
    const statusUrl = await confirmPurchase(purchase.landingUrl)
    await eventually(() => h.vendor.callsTo('provision', id).length > 0, { what: 'provisioning started' })

    await server.kill()
    server = await startDevServer(options)

    const done = await eventually(
      async () => (await progress(statusUrl).catch(() => undefined))?.step === 'subscribed.idle',
      {
        what: 'Subscribed after the restart',
        timeoutMs: 60_000,
        intervalMs: 250,
      },
    )
    expect(done).toBe(true)
    expect(h.emulator.marketplace.journal({ subscriptionId: id, kind: 'activate' })).toHaveLength(1)
    expect(h.emulator.marketplace.getSubscription(id).subscription.saasSubscriptionStatus).toBe('Subscribed')
  })

  it('survives the worker process being killed hard mid-provisioning and restarted', async () => {
    const h = await startHarness({ worker: false, env: HEARTBEAT })
    cleanups.push(() => h.stop())
    const env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: h.config.taskQueue,
      MARKETPLACE_API_URL: h.config.marketplace.apiUrl,
      MARKETPLACE_STATIC_TOKEN: h.config.marketplace.staticToken!,
      WEBHOOK_AUTH: 'none',
      ADMIN_API_KEY: h.config.admin.apiKey,
      SESSION_SECRET: h.config.landing.sessionSecret,
      VENDOR_HOOKS: 'demo',
      DEMO_PROVISION_DELAY_MS: '4000',
      ...HEARTBEAT,
    }
    let worker: Program = await spawnWorker(env)
    cleanups.push(() => worker.stop())

    const purchase = h.emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'basic' })
    const id = purchase.subscription.id
    const statusUrl = await confirmPurchase(purchase.landingUrl)
    await eventually(async () => (await progress(statusUrl)).step === 'provisioning', { what: 'provisioning' })
    await new Promise((r) => setTimeout(r, 1_000))

    await worker.kill()
    worker = await spawnWorker(env)

    await eventually(async () => (await progress(statusUrl)).step === 'subscribed.idle', {
      what: 'Subscribed after the worker restart',
      timeoutMs: 60_000,
      intervalMs: 250,
    })
    expect(h.emulator.marketplace.journal({ subscriptionId: id, kind: 'activate' })).toHaveLength(1)
    const history = await h.temporal.workflow.getHandle(`subscription-${id}`).fetchHistory()
    // The crashed attempt timed out on its heartbeat and a second attempt provisioned.
    const provisioned = history.events?.find((e) => e.activityTaskStartedEventAttributes?.lastFailure)
    expect(provisioned?.activityTaskStartedEventAttributes?.attempt).toBeGreaterThan(1)
  })
})
