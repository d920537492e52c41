/**
 * Webhook intake against its floor, on the same Temporal server in the same run: a signed webhook POSTed to
 * the HTTP server (JWT check, Get Operation at the emulator, signal-with-start, the answer) vs the bare
 * `signalWithStart` of the same event to the same workflows from this process.
 *
 * The operations are Renew operations done at the emulator (each delivered once for real first), so every
 * intake hands a workflow an event it already applied: the workflow task that follows is the same small
 * one on both sides.
 * @module
 */
import pMap from 'p-map'
import { silentLogger } from '../config/logger.ts'
import { createMarketplaceClient } from '../marketplace/client/index.ts'
import { toMarketplaceEvent } from '../server/webhook/to-event.ts'
import { createSubscriptionsGateway } from '../server/subscriptions-gateway.ts'
import { cpuAccounting, perUnit, type CpuAccount } from './cpu.ts'
import type { Service } from './service.ts'
import { latency, type Latency } from './stats.ts'

export interface IntakeFigures {
  concurrency: number
  webhook: Latency & { perSecond: number }
  floor: Latency & { perSecond: number }
  /** Throughput of the webhook over the floor's. */
  ratio: number
  /**
   * CPU time (user + system, ms) each process spent per intake, each way: what a webhook costs beyond the
   * floor, process by process. `bench` is this process: the load generator, and the emulator that answers
   * Get Operation (Microsoft's side, on another machine in production).
   */
  cpuMsPerIntake: { webhook: Record<string, number>; floor: Record<string, number> }
}

interface Renewal {
  id: string
  payload: unknown
  event: ReturnType<typeof toMarketplaceEvent>
}

/** One Renew per subscription, delivered once by the emulator; its payload and verified event kept for replays. */
export async function renewals(service: Service, ids: string[]): Promise<Renewal[]> {
  const m = service.emulator.marketplace
  const marketplace = createMarketplaceClient({
    baseUrl: service.emulator.apiUrl,
    staticToken: service.emulator.staticToken,
    logger: silentLogger,
  })
  const ops = ids.map((id) => ({ id, op: m.renew(id) }))
  await m.webhooksSettled()
  return Promise.all(
    ops.map(async ({ id, op }) => ({
      id,
      payload: m.webhooks({ subscriptionId: id }).find((w) => w.operationId === op.id)!.payload,
      event: toMarketplaceEvent(await marketplace.getOperation(id, op.id), new Date().toISOString()),
    })),
  )
}

/** `total` intakes each way at `concurrency`, alternating webhook and floor rounds so both see the same load. */
export async function measureIntake(
  service: Service,
  items: Renewal[],
  { concurrency, total }: { concurrency: number; total: number },
  /** The Temporal server's process, when it is on this machine. */
  temporalPid?: number,
): Promise<IntakeFigures> {
  const accounted = cpuAccounting(service, temporalPid)
  const cpu: { webhook: CpuAccount; floor: CpuAccount } = { webhook: new Map(), floor: new Map() }
  const gateway = createSubscriptionsGateway({
    client: service.temporal,
    taskQueue: service.taskQueue,
    settings: { retentionDays: 30, changeDecisionMs: 6_000 },
  })
  // Tokens are signed beforehand: Microsoft signs them, not the service.
  const tokens = await Promise.all(Array.from({ length: Math.min(total, 64) }, () => service.signer.sign()))
  const webhookMs: number[] = []
  const floorMs: number[] = []
  let webhookWall = 0
  let floorWall = 0
  const rounds = 4
  const perRound = Math.max(concurrency, Math.ceil(total / rounds))
  for (let r = 0; r < rounds; r++) {
    const batch = Array.from({ length: perRound }, (_, i) => items[(r * perRound + i) % items.length]!)
    let started = performance.now()
    await accounted(cpu.webhook, () =>
      pMap(
        batch,
        async (item, i) => {
          const t = performance.now()
          const res = await service.deliver(item.payload, { authorization: `Bearer ${tokens[i % tokens.length]}` })
          await res.arrayBuffer()
          if (res.status !== 200) throw new Error(`webhook answered ${res.status}`)
          webhookMs.push(performance.now() - t)
        },
        { concurrency },
      ),
    )
    webhookWall += performance.now() - started
    started = performance.now()
    await accounted(cpu.floor, () =>
      pMap(
        batch,
        async (item) => {
          const t = performance.now()
          await gateway.deliver(item.id, item.event)
          floorMs.push(performance.now() - t)
        },
        { concurrency },
      ),
    )
    floorWall += performance.now() - started
  }
  const webhook = { ...latency(webhookMs), perSecond: Math.round((webhookMs.length / webhookWall) * 1000) }
  const floor = { ...latency(floorMs), perSecond: Math.round((floorMs.length / floorWall) * 1000) }
  return {
    concurrency,
    webhook,
    floor,
    ratio: +(webhook.perSecond / floor.perSecond).toFixed(2),
    cpuMsPerIntake: { webhook: perUnit(cpu.webhook, webhookMs.length), floor: perUnit(cpu.floor, floorMs.length) },
  }
}
