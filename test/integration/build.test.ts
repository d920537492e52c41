/**
 * The production build: `scripts/build.mjs` compiles the programs to JavaScript and bundles the workflows;
 * the built worker and HTTP server then run with plain `node` (no TypeScript loader) against the real
 * Temporal dev server and the emulator, take a purchase to Subscribed and apply a customer's change.
 * On SIGTERM, the worker lets a running activity finish (nothing is cancelled or run twice) and the
 * HTTP server drains and exits.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client, Connection } from '@temporalio/client'
import proto from '@temporalio/proto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { startEmulator, type EmulatorHandle } from '../../emulator/index.ts'
import { freePort } from '../../temporal/dev-server.ts'
import { eventually } from '../support/harness.ts'
import { confirmPurchase, progress } from '../support/landing.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
// Inside the repository, so the built code resolves node_modules; .cache is git-ignored and not linted.
const outDir = join(root, '.cache', `build-test-${process.pid}`)
const ADMIN_API_KEY = 'build-test-admin-key-0123456789'
const STARTED = proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED

interface Running {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

/** A built program under plain `node`, ready once its output says so. */
async function runBuilt(program: string, env: Record<string, string>, ready: string): Promise<Running> {
  const child = spawn(process.execPath, [join(outDir, program)], {
    cwd: root,
    // No NODE_OPTIONS: vitest's may carry a loader, and the point is that none is needed.
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  children.push(child)
  await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`${program} exited with ${child.exitCode}:\n${output}`)
      return output.includes(ready)
    },
    { timeoutMs: 60_000, what: `${program} to print "${ready}"` },
  )
  return { child, output: () => output, exited }
}

const children: ChildProcess[] = []
let emulator: EmulatorHandle
let temporal: Client
let env: Record<string, string>
let serverUrl: string

beforeAll(async () => {
  const build = spawnSync(process.execPath, ['scripts/build.mjs', outDir], { cwd: root, encoding: 'utf8' })
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`)
  emulator = await startEmulator({ autoAcceptMs: 10_000, operationDelayMs: 200 })
  const port = await freePort()
  serverUrl = `http://127.0.0.1:${port}`
  env = {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: `build-test-${randomUUID()}`,
    PORT: String(port),
    MARKETPLACE_API_URL: emulator.apiUrl,
    MARKETPLACE_STATIC_TOKEN: emulator.staticToken,
    AZURE_TENANT_ID: emulator.publisherTenantId,
    AZURE_CLIENT_ID: emulator.publisherClientId,
    WEBHOOK_JWKS_URL: emulator.jwksUrl,
    ADMIN_API_KEY,
    SESSION_SECRET: 'build-test-session-secret-0123456789abcdef',
    DEMO_PROVISION_DELAY_MS: '3000',
    LOG_LEVEL: 'info',
  }
  emulator.marketplace.configure({ webhookUrl: `${serverUrl}/webhook`, landingPageUrl: `${serverUrl}/landing` })
  temporal = new Client({ connection: await Connection.connect({ address: env.TEMPORAL_ADDRESS! }) })
}, 240_000)

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  await temporal?.connection.close()
  await emulator?.stop()
  rmSync(outDir, { recursive: true, force: true })
})

describe('the production build', () => {
  it('is JavaScript only, with the workflows bundled ahead of time', () => {
    for (const file of ['server/main.js', 'worker/main.js', 'ops/main.js', 'workflow-bundle.js'])
      expect(existsSync(join(outDir, file)), file).toBe(true)
    expect(readFileSync(join(outDir, 'workflow-bundle.js'), 'utf8')).toContain('subscriptionWorkflow')
    expect(readFileSync(join(outDir, 'server/main.js'), 'utf8')).not.toMatch(/from '[^']+\.ts'/)
    const help = spawnSync(process.execPath, [join(outDir, 'ops/main.js'), '--help'], { encoding: 'utf8' })
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('Usage: saas-ops')
  })

  it('runs with plain node: a purchase reaches Subscribed, a customer change is applied', async () => {
    // The build has no workflows/*.ts: this worker runs the prebuilt bundle or nothing.
    const ports = { worker: await freePort(), temporal: await freePort(), server: await freePort() }
    await runBuilt(
      'worker/main.js',
      { ...env, METRICS_PORT: String(ports.worker), TEMPORAL_METRICS_PORT: String(ports.temporal) },
      'worker running',
    )
    await runBuilt('server/main.js', { ...env, METRICS_PORT: String(ports.server) }, 'HTTP server listening')

    const purchase = emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 5 })
    const id = purchase.subscription.id
    const statusUrl = await confirmPurchase(purchase.landingUrl)
    await eventually(async () => (await progress(statusUrl)).step === 'subscribed.idle', {
      what: 'Subscribed',
      timeoutMs: 60_000,
    })

    emulator.marketplace.changeQuantity(id, 8)
    const api = () =>
      fetch(`${serverUrl}/api/subscriptions/${id}`, { headers: { authorization: `Bearer ${ADMIN_API_KEY}` } })
    const view = await eventually(
      async () => {
        const body = (await (await api()).json()) as { quantity?: number }
        return body.quantity === 8 && body
      },
      { what: 'quantity 8', timeoutMs: 60_000 },
    )
    expect(view).toMatchObject({ saasSubscriptionStatus: 'Subscribed', quantity: 8 })

    // Metrics, in Prometheus format, with bounded labels: route templates and operation names, no ids.
    const scrape = async (port: number) => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`)
      expect(res.headers.get('content-type')).toContain('text/plain')
      return res.text()
    }
    const [server, worker, sdk] = await Promise.all([
      scrape(ports.server),
      scrape(ports.worker),
      scrape(ports.temporal),
    ])
    expect(server).toMatch(/^http_requests_total\{[^}]*route="\/webhook"[^}]*\} [1-9]/m)
    expect(server).toMatch(/^http_requests_total\{[^}]*route="\/api\/subscriptions\/:subscriptionId"[^}]*\} [1-9]/m)
    expect(server).toMatch(/^saas_marketplace_requests_total\{operation="\w+",status="200"\} [1-9]/m)
    expect(server).toMatch(/^process_cpu_seconds_total /m)
    expect(worker).toMatch(/^saas_marketplace_requests_total\{operation="\w+",status="200"\} [1-9]/m)
    expect(worker).toMatch(/^saas_marketplace_request_duration_seconds_bucket\{/m)
    expect(sdk).toMatch(/^temporal_worker_task_slots_available\{/m)
    expect(sdk).toMatch(/^temporal_activity_schedule_to_start_latency_bucket\{/m)
    for (const text of [server, worker, sdk]) {
      expect(text).not.toContain(id)
      expect(text).not.toContain(emulator.publisherTenantId)
    }
  })

  it('on SIGTERM lets a running activity finish: provisioning is neither cancelled nor run twice', async () => {
    const worker = await runBuilt('worker/main.js', { ...env, WORKER_SHUTDOWN_GRACE_MS: '30000' }, 'worker running')
    const purchase = emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 3 })
    const id = purchase.subscription.id
    const statusUrl = await confirmPurchase(purchase.landingUrl)
    const workflow = temporal.workflow.getHandle(`subscription-${id}`)
    await eventually(
      async () => {
        const { raw } = await workflow.describe()
        return raw.pendingActivities?.some((a) => a.activityType?.name === 'provision' && a.state === STARTED)
      },
      { what: 'provision running' },
    )
    // Every worker of this task queue stops; the activity still completes on the stopping one.
    for (const child of children) if (child !== worker.child && child.exitCode === null) child.kill('SIGTERM')
    worker.child.kill('SIGTERM')
    expect(await worker.exited).toBe(0)

    const history = await workflow.fetchHistory()
    const provision = history.events!.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'provision',
    )
    expect(provision).toHaveLength(1)
    const started = history.events!.filter((e) => e.activityTaskStartedEventAttributes)
    const done = history.events!.filter((e) => e.activityTaskCompletedEventAttributes)
    expect(started.map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual(started.map(() => 1))
    expect(done.length).toBe(started.length)
    expect(
      history.events!.some((e) => e.activityTaskFailedEventAttributes || e.activityTaskCanceledEventAttributes),
    ).toBe(false)

    // A new worker and server take over; the subscription goes on to Subscribed.
    await runBuilt('worker/main.js', env, 'worker running')
    await runBuilt('server/main.js', env, 'HTTP server listening')
    await eventually(async () => (await progress(statusUrl)).step === 'subscribed.idle', {
      what: 'Subscribed after the restart',
      timeoutMs: 60_000,
    })
  })

  it('on SIGTERM the HTTP server answers the request in flight, then exits', async () => {
    const server = children.findLast((c) => c.exitCode === null && c.signalCode === null)!
    // A buyer opens the landing page while Microsoft is slow to resolve the token.
    const purchase = emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'basic' })
    emulator.marketplace.setFaults({
      script: [{ target: 'api', kind: 'slow', operationId: 'FulfillmentOperations_Resolve', delayMs: 2_000 }],
    })
    const page = fetch(purchase.landingUrl)
    await eventually(() => emulator.marketplace.getFaults().script?.length === 0, {
      what: 'the landing page to be waiting on Microsoft',
    })
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve))
    server.kill('SIGTERM')
    const answer = await page
    expect(answer.status).toBe(200)
    expect(await answer.text()).toContain('name="token"')
    expect(await exited).toBe(0)
    emulator.marketplace.setFaults({})
  })
})
