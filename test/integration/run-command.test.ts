/**
 * The README's first command, as a user runs it: `local/start.ts` brings up the Temporal dev server (with
 * its Web UI), the emulator, the worker and the HTTP server; Ctrl-C stops every child; running it again
 * on the same data resumes the subscription that was being provisioned.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, inject, it } from 'vitest'
import { startEmulator } from '../../emulator/index.ts'
import { freePort } from '../../temporal/dev-server.ts'
import { eventually } from '../support/harness.ts'
import { confirmPurchase, progress } from '../support/landing.ts'
import { startProgram, type Program } from '../support/program.ts'

const dataDir = mkdtempSync(join(tmpdir(), 'saas-run-'))
let running: Program | undefined
afterAll(() => {
  void running?.kill()
  rmSync(dataDir, { recursive: true, force: true })
})

const ports = { PORT: 0, LOCAL_TEMPORAL_PORT: 0, LOCAL_TEMPORAL_UI_PORT: 0, LOCAL_EMULATOR_PORT: 0 }

/** Starts the run command; ready once it prints how to stop it. */
function start(env: Record<string, string> = {}): Promise<Program> {
  return startProgram(
    'local/start.ts',
    {
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      LOCAL_DATA_DIR: dataDir,
      TEMPORAL_CLI_PATH: inject('temporalCliPath'),
      DEMO_PROVISION_DELAY_MS: '6000',
      TEMPORAL_ADDRESS: '',
      MARKETPLACE_API_URL: '',
      ...env,
    },
    'Ctrl-C stops everything.',
  ).then((program) => (running = program))
}

const childrenOf = (pid: number) =>
  new Promise<string>((resolve) => {
    const ps = spawn('ps', ['-o', 'pid=', '--ppid', String(pid)])
    let out = ''
    ps.stdout.on('data', (d: Buffer) => (out += d.toString()))
    ps.once('exit', () => resolve(out.trim()))
  })

it('runs the whole service locally, stops cleanly, and resumes a provisioning after a restart', async () => {
  for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = await freePort()
  const service = `http://127.0.0.1:${ports.PORT}`
  const emulator = `http://127.0.0.1:${ports.LOCAL_EMULATOR_PORT}`

  const first = await start()
  expect(first.output).toContain(`Service            ${service}`)
  expect(first.output).toContain(`Temporal UI        http://127.0.0.1:${ports.LOCAL_TEMPORAL_UI_PORT}`)
  expect(first.output).toContain(`${emulator}/driver`)
  const health = await fetch(`${service}/health`)
  expect(health.status).toBe(200)
  expect(await health.json()).toEqual({ status: 'ok' })
  const ready = await fetch(`${service}/ready`)
  expect(ready.status).toBe(200)
  expect(await ready.json()).toMatchObject({ status: 'ready', checks: { temporal: 'ok' } })
  expect((await fetch(`http://127.0.0.1:${ports.LOCAL_TEMPORAL_UI_PORT}/`)).status).toBe(200)
  // Metrics as in production, where it prints them: the server's (with the worker's) and the Temporal SDK's.
  const [, metrics, sdk] = /Metrics {12}(\S+) .*Temporal SDK: (\S+)\)/.exec(first.output) ?? []
  expect(await (await fetch(metrics!)).text()).toMatch(/^http_requests_total\{[^}]*route="\/health"/m)
  await eventually(async () => /^temporal_/m.test(await (await fetch(sdk!)).text()), { what: 'Temporal SDK metrics' })

  const purchase = (await (
    await fetch(`${emulator}/driver/purchases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ offerId: 'contoso-analytics', planId: 'basic' }),
    })
  ).json()) as { subscription: { id: string }; landingUrl: string }
  const statusUrl = await confirmPurchase(purchase.landingUrl)
  await eventually(async () => (await progress(statusUrl)).step === 'provisioning', { what: 'provisioning' })

  const pid = first.process.pid!
  expect(await childrenOf(pid)).not.toBe('')
  expect(await first.interrupt()).toBe(0)
  expect(await childrenOf(pid)).toBe('')

  await start()
  const done = await eventually(
    async () => (await progress(statusUrl).catch(() => undefined))?.step === 'subscribed.idle',
    {
      what: 'Subscribed after the restart',
      timeoutMs: 60_000,
      intervalMs: 250,
    },
  )
  expect(done).toBe(true)
  const journal = (await (
    await fetch(`${emulator}/driver/journal?subscriptionId=${purchase.subscription.id}&kind=activate`)
  ).json()) as {
    entries: unknown[]
  }
  expect(journal.entries).toHaveLength(1)
  expect(await running!.interrupt()).toBe(0)
})

it('uses another marketplace instead of the built-in emulator when MARKETPLACE_API_URL is set', async () => {
  for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = await freePort()
  const service = `http://127.0.0.1:${ports.PORT}`
  const marketplace = await startEmulator({ webhookUrl: `${service}/webhook`, landingPageUrl: `${service}/landing` })
  try {
    const local = await start({
      MARKETPLACE_API_URL: marketplace.apiUrl,
      MARKETPLACE_STATIC_TOKEN: marketplace.staticToken,
      WEBHOOK_AUTH: 'none',
    })
    expect(local.output).toContain(`Marketplace API    ${marketplace.apiUrl}`)
    expect(local.output).not.toContain('emulator driver')
    expect(
      (await fetch(`http://127.0.0.1:${ports.LOCAL_EMULATOR_PORT}/driver/subscriptions`).catch(() => undefined))?.ok,
    ).not.toBe(true)

    // An auto-activated purchase there reaches the service by webhook and is provisioned.
    const purchase = marketplace.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'instant' })
    const landing = marketplace.marketplace.openLanding(purchase.subscription.id)
    await eventually(async () => (await fetch(landing.landingUrl)).status === 200, {
      what: 'the landing page answering',
      timeoutMs: 30_000,
    })
    await eventually(
      async () => {
        const res = await fetch(`${service}/api/subscriptions/${purchase.subscription.id}`, {
          headers: { authorization: 'Bearer local-admin-key-not-for-production' },
        })
        return res.ok && ((await res.json()) as { step: string }).step === 'subscribed.idle'
      },
      { what: 'Subscribed', timeoutMs: 30_000 },
    )
    expect(await local.interrupt()).toBe(0)
  } finally {
    await marketplace.stop()
  }
})
