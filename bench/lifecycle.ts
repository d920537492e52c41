/**
 * `npm run bench`: how fast the service answers what Microsoft and buyers wait on, on a real Temporal dev
 * server (SQLite in a temporary file, as `npm start` uses), the project's emulator and real HTTP.
 *
 *  - purchase: landing-page confirmation → Subscribed (provisioning by an instant vendor, Activate at the emulator)
 *  - webhook ack: a signed webhook POSTed → the service's 200 (Get Operation + durable signal included)
 *  - decision window: a customer ChangeQuantity's webhook → the PATCH landing at the emulator (Microsoft allows 10 s)
 *
 * Each is measured alone and with 20 subscriptions at once; the ratios of the two are printed and written to
 * bench/results/<time>.json, so one run shows how the numbers hold up under concurrency on this machine.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveTemporalCli } from '../scripts/temporal-cli.mjs'
import { startDevServer } from '../temporal/dev-server.ts'
import { eventually, startHarness } from '../test/support/harness.ts'
import { confirmPurchase, progress } from '../test/support/landing.ts'

const CONCURRENCY = 20
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20)

const dir = mkdtempSync(join(tmpdir(), 'saas-bench-'))
const server = await startDevServer({ cliPath: resolveTemporalCli(), dbFile: join(dir, 'temporal.db'), uiPort: false })
const h = await startHarness({ temporalAddress: server.address, signer: true })
const m = h.emulator.marketplace

async function purchase(): Promise<{ id: string; ms: number }> {
  const started = performance.now()
  const p = m.purchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 10 })
  const statusUrl = await confirmPurchase(p.landingUrl)
  await eventually(async () => (await progress(statusUrl)).step === 'subscribed.idle', { intervalMs: 10 })
  return { id: p.subscription.id, ms: performance.now() - started }
}

async function webhookAck(id: string): Promise<number> {
  const renewal = m.renew(id)
  await m.webhooksSettled()
  const payload = m.webhooks({ subscriptionId: id }).find((w) => w.operationId === renewal.id)!.payload
  const started = performance.now()
  const res = await h.deliver(payload)
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}`)
  return performance.now() - started
}

async function decisionWindow(id: string, quantity: number): Promise<number> {
  const operation = m.changeQuantity(id, quantity)
  const patch = await eventually(
    () => m.journal({ subscriptionId: id, kind: 'updateOperation' }).find((j) => j.operationId === operation.id),
    {
      intervalMs: 10,
    },
  )
  const delivery = m.webhooks({ subscriptionId: id }).find((w) => w.operationId === operation.id)!
  await eventually(
    async () =>
      ((await (await h.api(`/api/subscriptions/${id}`)).json()) as { quantity: number }).quantity === quantity,
    { intervalMs: 20 },
  )
  return Date.parse(patch.time) - Date.parse(delivery.attempts[0]!.at)
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]!)
  return { n: s.length, p50: at(0.5), p95: at(0.95), max: Math.round(s.at(-1)!) }
}

async function measure(concurrency: number) {
  const purchases: { id: string; ms: number }[] = []
  for (let r = 0; r < Math.ceil(ROUNDS / concurrency) * concurrency; r += concurrency) {
    purchases.push(...(await Promise.all(Array.from({ length: concurrency }, purchase))))
  }
  const ids = purchases.map((p) => p.id)
  const acks: number[] = []
  const windows: number[] = []
  for (let r = 0; r < ids.length; r += concurrency) {
    const batch = ids.slice(r, r + concurrency)
    acks.push(...(await Promise.all(batch.map(webhookAck))))
    windows.push(...(await Promise.all(batch.map((id, i) => decisionWindow(id, 11 + i)))))
  }
  return { purchase: stats(purchases.map((p) => p.ms)), webhookAck: stats(acks), decisionWindow: stats(windows) }
}

try {
  const alone = await measure(1)
  const together = await measure(CONCURRENCY)
  const ratio = Object.fromEntries(
    (Object.keys(alone) as (keyof typeof alone)[]).map((k) => [
      k,
      { p50: +(together[k].p50 / alone[k].p50).toFixed(2), p95: +(together[k].p95 / alone[k].p95).toFixed(2) },
    ]),
  )
  const result = {
    at: new Date().toISOString(),
    rounds: ROUNDS,
    concurrency: CONCURRENCY,
    alone,
    together,
    ratio,
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  }
  console.table({
    ...Object.fromEntries(Object.entries(alone).map(([k, v]) => [`${k} (1 at a time, ms)`, v])),
    ...Object.fromEntries(Object.entries(together).map(([k, v]) => [`${k} (${CONCURRENCY} at once, ms)`, v])),
  })
  console.log('ratios (20 at once / 1 at a time):', JSON.stringify(ratio), `rss ${result.rssMiB} MiB`)
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
  writeFileSync(
    new URL(`./results/${result.at.replace(/[:.]/g, '-')}.json`, import.meta.url),
    JSON.stringify(result, null, 2),
  )
} finally {
  await h.stop()
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
}
