/**
 * `npx tsx bench/profile.ts`: where a webhook's time and a workflow's memory go (findings in bench/README.md).
 *
 *  - The HTTP server runs under `node --cpu-prof`; its profile is summed by package/folder (cpu-profile.ts)
 *    after webhook intakes at concurrency 32, next to the bare `signalWithStart` floor.
 *  - One customer ChangeQuantity: the workflow history between the signal and the PATCH (workflow tasks,
 *    activities), i.e. the round trips to the Temporal server before Microsoft gets its answer.
 *  - The worker's RSS and the SDK's own cache figures at 0 and after PROFILE_LIVE idle subscriptions.
 * @module
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import proto from '@temporalio/proto'
import { resolveTemporalCli } from '../scripts/temporal-cli.mjs'
import { startDevServer } from '../temporal/dev-server.ts'
import { adoptMany } from './adopt.ts'
import { summarize } from './cpu-profile.ts'
import { buyFleet, waitFor } from './fleet.ts'
import { measureIntake, renewals } from './intake.ts'
import { rssMiB, startService } from './service.ts'

// A CommonJS package: its namespace comes through the default import under plain Node ESM.
const { EventType } = proto.temporal.api.enums.v1
const LIVE = Number(process.env.PROFILE_LIVE ?? 1000)
const dir = mkdtempSync(join(tmpdir(), 'saas-profile-'))
const profDir = join(import.meta.dirname, 'results', `profile-${new Date().toISOString().replace(/[:.]/g, '-')}`)
const temporal = await startDevServer({
  cliPath: resolveTemporalCli(),
  dbFile: join(dir, 'temporal.db'),
  uiPort: false,
})
const service = await startService({ temporalAddress: temporal.address, servers: 0 })
try {
  mkdirSync(profDir, { recursive: true })
  await service.startServer({
    NODE_OPTIONS: `--import ${join(import.meta.dirname, 'cpu-prof-hook.mjs')}`,
    CPU_PROF_FILE: join(profDir, 'server.cpuprofile'),
  })
  service.emulator.marketplace.configure({ webhookUrl: `${service.serverUrls[0]}/webhook` })
  const worker = service.workers[0]!
  const rss0 = rssMiB(worker.process.pid!)
  const ids = await buyFleet(service, 32)
  const items = await renewals(service, ids)
  service.servers[0]!.process.kill('SIGUSR2')
  const c1 = await measureIntake(service, items, { concurrency: 1, total: 100 }, temporal.process.pid)
  const c32 = await measureIntake(service, items, { concurrency: 32, total: 640 }, temporal.process.pid)
  console.log(JSON.stringify({ c1, c32 }, null, 1))

  // One customer change: what happens between the webhook's signal and the PATCH.
  const m = service.emulator.marketplace
  const op = m.changeQuantity(ids[0]!, 12)
  await waitFor(
    () => m.journal({ subscriptionId: ids[0]!, kind: 'updateOperation' }).some((j) => j.operationId === op.id),
    20_000,
  )
  const history = await service.temporal.workflow.getHandle(`subscription-${ids[0]}`).fetchHistory()
  const events = history.events ?? []
  const from = events.findLastIndex(
    (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'marketplaceEvent',
  )
  const path = events.slice(from).map((e) => {
    const a = e.activityTaskScheduledEventAttributes
    const type = String(EventType[e.eventType ?? 0]).replace(/^EVENT_TYPE_/, '')
    return a ? `${type}(${a.activityType?.name})` : type
  })
  console.log('change → PATCH path:', path.join(' → '))

  await adoptMany(service, LIVE)
  await new Promise((r) => setTimeout(r, 5_000))
  const rssLive = rssMiB(worker.process.pid!)
  console.log({
    workerRss0: rss0,
    [`workerRss${LIVE}`]: rssLive,
    perThousand: Math.round(((rssLive - rss0) * 1000) / LIVE),
  })
} finally {
  await service.stop()
  await temporal.stop()
}
for (const f of readdirSync(profDir)) console.log(f, JSON.stringify(summarize(join(profDir, f), 25)))
rmSync(dir, { recursive: true, force: true })
