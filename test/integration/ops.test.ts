/**
 * The operator CLI (`saas-ops`) against a running service on the real Temporal dev server: every command,
 * human output and `--json`, and the exit codes a script relies on. Commands whose endpoint the service
 * does not have (yet) are skipped by name, decided from its own OpenAPI document.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXIT } from '../../ops/api.ts'
import { run } from '../../ops/program.ts'
import { freePort } from '../../temporal/dev-server.ts'
import { ADMIN_API_KEY, eventually, startHarness, type Harness } from '../support/harness.ts'
import { confirmPurchase, progress } from '../support/landing.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
let h: Harness
let paths: Record<string, Record<string, unknown>>
let subscribed: string

/** Runs `saas-ops` in this process; resolves with its exit code and what it printed. */
async function ops(argv: string[], env: Record<string, string> = {}) {
  let out = ''
  let err = ''
  const code = await run(argv, {
    env: { SAAS_URL: h.server.url, SAAS_ADMIN_KEY: ADMIN_API_KEY, ...env },
    out: (t) => (out += `${t}\n`),
    err: (t) => (err += `${t}\n`),
    pollMs: 200,
  })
  return { code, out, err }
}

const has = (method: string, path: string) => Boolean(paths?.[path]?.[method])

beforeAll(async () => {
  h = await startHarness()
  paths = ((await (await fetch(`${h.server.url}/openapi.json`)).json()) as { paths: typeof paths }).paths
  const purchase = h.emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 4 })
  subscribed = purchase.subscription.id
  const statusUrl = await confirmPurchase(purchase.landingUrl)
  await eventually(async () => (await progress(statusUrl)).step === 'subscribed.idle', { what: 'Subscribed' })
})
afterAll(() => h?.stop())

describe('saas-ops', () => {
  it('has help for itself and every command, with the exit codes', async () => {
    const top = await ops(['--help'])
    expect(top.code).toBe(EXIT.ok)
    for (const command of ['list', 'show', 'retry', 'resync', 'reconcile', 'usage']) {
      expect(top.out).toContain(command)
      const help = await ops([command, '--help'])
      expect(help.code, command).toBe(EXIT.ok)
      expect(help.out).toContain(`Usage: saas-ops ${command}`)
    }
    expect(top.out).toContain('Exit codes:')
  })

  it('refuses bad usage with exit code 2, sending nothing', async () => {
    expect((await ops(['frobnicate'])).code).toBe(EXIT.usage)
    expect((await ops(['show'])).code).toBe(EXIT.usage)
    expect((await ops(['list', '--status', 'Happy'])).code).toBe(EXIT.usage)
    expect((await ops(['list', '--limit', '0'])).code).toBe(EXIT.usage)
    expect((await ops(['usage', subscribed, '--from', 'yesterday-ish'])).code).toBe(EXIT.usage)
    const noKey = await ops(['list'], { SAAS_ADMIN_KEY: '' })
    expect(noKey.code).toBe(EXIT.usage)
    expect(noKey.err).toContain('SAAS_ADMIN_KEY')
  })

  it('lists subscriptions as a table, and as the service’s JSON', async () => {
    const table = await eventually(
      async () => {
        const r = await ops(['list', '--status', 'Subscribed'])
        return r.out.includes(subscribed) && r
      },
      { what: 'the subscription in the list' },
    )
    expect(table.code).toBe(EXIT.ok)
    expect(table.out).toMatch(/^SUBSCRIPTION\s+STATUS\s+STEP\s+OFFER\s+PLAN\s+SEATS\s+TENANT/)
    expect(table.out).toMatch(new RegExp(`${subscribed}\\s+Subscribed\\s+\\S+\\s+contoso-analytics\\s+team\\s+4`))
    expect(table.out).toContain('SaasStatus = "Subscribed"')

    const json = await ops(['list', '--json', '--offer', 'contoso-analytics', '--all', '--limit', '1'])
    expect(json.code).toBe(EXIT.ok)
    const page = JSON.parse(json.out) as { subscriptions: { subscriptionId: string }[] }
    expect(page.subscriptions.map((s) => s.subscriptionId)).toContain(subscribed)

    const none = await ops(['list', '--json', '--plan', 'no-such-plan'])
    expect(JSON.parse(none.out)).toMatchObject({ subscriptions: [] })
  })

  it('shows a subscription: state, term and the timeline of decisions', async () => {
    const human = await ops(['show', subscribed])
    expect(human.code).toBe(EXIT.ok)
    expect(human.out).toMatch(/Status:\s+Subscribed/)
    expect(human.out).toMatch(/Offer \/ plan:\s+contoso-analytics \/ team/)
    expect(human.out).toContain('Decisions (newest first):')

    const json = await ops(['--json', 'show', subscribed])
    const detail = JSON.parse(json.out) as { id: string; quantity: number; decisions: unknown[] }
    expect(detail).toMatchObject({ id: subscribed, quantity: 4 })
    expect(detail.decisions.length).toBeGreaterThan(0)
  })

  it('retries a failed provisioning, and says exactly why it cannot retry otherwise', async () => {
    h.vendor.provisionPending = true
    try {
      const purchase = h.emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'basic' })
      const id = purchase.subscription.id
      const statusUrl = await confirmPurchase(purchase.landingUrl)
      await eventually(() => h.vendor.callsTo('provision', id).length === 1, { what: 'provisioning asked' })
      await h.api(`/api/subscriptions/${id}/provisioning`, {
        method: 'POST',
        body: JSON.stringify({ status: 'failed', message: 'tenant quota' }),
      })
      await eventually(async () => (await progress(statusUrl)).step === 'provisioningFailed', { what: 'failed' })
      const failing = await ops(['show', id])
      expect(failing.out).toContain('Failing: provision')
      expect(failing.out).toContain('tenant quota')

      h.vendor.provisionPending = false
      const retried = await ops(['retry', id])
      expect(retried.code).toBe(EXIT.ok)
      expect(retried.out).toContain(`Retry requested for ${id}`)
      await eventually(async () => (await progress(statusUrl)).step === 'subscribed.idle', { what: 'Subscribed' })
    } finally {
      h.vendor.provisionPending = false
    }
  })

  it('exits 3 for an unknown subscription, 4 for a refused key, 5 for an unreachable service', async () => {
    const missing = await ops(['show', '00000000-0000-4000-8000-00000000dead'])
    expect(missing.code).toBe(EXIT.notFound)
    expect(missing.err).toMatch(/404 subscription .* not found/)
    const missingJson = await ops(['show', '--json', '00000000-0000-4000-8000-00000000dead'])
    expect(JSON.parse(missingJson.out)).toMatchObject({
      exitCode: EXIT.notFound,
      body: { error: 'subscription 00000000-0000-4000-8000-00000000dead not found' },
    })

    const refused = await ops(['list'], { SAAS_ADMIN_KEY: 'not-the-admin-key-at-all' })
    expect(refused.code).toBe(EXIT.unauthorized)
    expect(refused.err).toContain('401')

    const gone = await ops(['list', '--url', `http://127.0.0.1:${await freePort()}`])
    expect(gone.code).toBe(EXIT.unavailable)
    expect(gone.err).toContain('cannot reach')
  })

  it('runs as a program: `node ops/main.ts` sets the exit code', async () => {
    // Asynchronously: the service under test answers from this very process.
    const child = spawn(process.execPath, ['--import', 'tsx', 'ops/main.ts', 'show', 'no-such-subscription'], {
      cwd: root,
      env: { ...process.env, SAAS_URL: h.server.url, SAAS_ADMIN_KEY: ADMIN_API_KEY },
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(EXIT.notFound)
    expect(stderr).toContain('saas-ops: GET /api/subscriptions/no-such-subscription: 404')
  })

  it('resyncs a subscription with Microsoft’s view', async (ctx) => {
    if (!has('post', '/api/subscriptions/{subscriptionId}/resync'))
      return ctx.skip('the service has no resync endpoint yet')
    const r = await ops(['resync', subscribed])
    expect(r.code).toBe(EXIT.ok)
    expect(r.out).toContain(`Resync requested for ${subscribed}`)
    expect((await ops(['resync', '00000000-0000-4000-8000-00000000dead'])).code).toBe(EXIT.notFound)
  })

  it('runs a reconciliation and prints its report', async (ctx) => {
    if (!has('post', '/api/reconciliations')) return ctx.skip('the service has no reconciliation endpoint yet')
    const human = await ops(['reconcile'])
    expect(human.code, human.err).toBe(EXIT.ok)
    expect(human.out).toMatch(/State:\s+finished/)
    expect(human.out).toMatch(/Checked:\s+\d+/)
    const json = await ops(['reconcile', '--json'])
    const report = JSON.parse(json.out) as { state: string; report?: { counts?: { checked?: number } } }
    expect(report.state).toBe('finished')
    expect(report.report?.counts?.checked).toBeGreaterThanOrEqual(1)
    const started = await ops(['reconcile', '--no-wait', '--json'])
    expect((JSON.parse(started.out) as { id?: unknown }).id).toMatch(/\S/)
  })

  it('prints a subscription’s usage hours', async (ctx) => {
    if (!has('get', '/api/subscriptions/{subscriptionId}/usage'))
      return ctx.skip('the service has no usage endpoint yet')
    const r = await ops(['usage', subscribed])
    expect(r.code, r.err).toBe(EXIT.ok)
    expect(r.out).toMatch(/^HOUR\s+DIMENSION\s+STATUS/)
    expect((await ops(['usage', subscribed, '--json'])).code).toBe(EXIT.ok)
  })
})
