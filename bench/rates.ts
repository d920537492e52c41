/**
 * Customer changes at a sustained rate: ChangeQuantity done at the emulator every 1/rate seconds for
 * `seconds`, spread over a pool of idle subscriptions (one open operation per subscription at a time, as
 * Microsoft allows), then each webhook's first delivery compared with its PATCH. A miss is a change whose
 * PATCH did not land (200) inside Microsoft's 10 seconds.
 * @module
 */
import { changePaths } from './change-path.ts'
import { cpuAccounting, perUnit, type CpuAccount } from './cpu.ts'
import type { Service } from './service.ts'
import { latency, type Latency } from './stats.ts'

export const MICROSOFT_WINDOW_MS = 10_000

export interface RateFigures {
  rate: number
  seconds: number
  changes: number
  /** Changes the emulator refused to start (the subscription still had an open one): the pool was too small. */
  skipped: number
  webhookToPatch: Latency
  misses: number
  /** Where the time went, hop by hop, over a sample of the changes PATCHed in time or late (change-path.ts). */
  path: Awaited<ReturnType<typeof changePaths>>
  /**
   * CPU ms each process spent per change, from the first change to the end of the last one's window (its
   * follow-up work included), and the cores all of them kept busy while the changes came: on this machine's
   * two cores, what a change costs says which rate it can sustain.
   */
  cpuMsPerChange: Record<string, number>
  coresBusy: number
}

export async function sustainedChanges(
  service: Service,
  pool: string[],
  { rate, seconds }: { rate: number; seconds: number },
  /** The Temporal server's process, when it is on this machine. */
  temporalPid?: number,
): Promise<RateFigures> {
  const accounted = cpuAccounting(service, temporalPid)
  const sending: CpuAccount = new Map()
  const cpu: CpuAccount = new Map()
  const m = service.emulator.marketplace
  const quantity = new Map<string, number>()
  const changes: { id: string; operationId: string }[] = []
  let skipped = 0
  const total = Math.round(rate * seconds)
  const started = performance.now()
  const send = async () => {
    for (let k = 0; k < total; k++) {
      const wait = started + (k * 1000) / rate - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      const id = pool[k % pool.length]!
      const next = (quantity.get(id) ?? 10) === 11 ? 12 : 11
      try {
        changes.push({ id, operationId: m.changeQuantity(id, next).id })
        quantity.set(id, next)
      } catch {
        skipped++
      }
    }
  }
  await accounted(cpu, () => accounted(sending, send))
  const sendingMs = performance.now() - started
  // Every change has had its window by then.
  await accounted(cpu, () => new Promise((r) => setTimeout(r, MICROSOFT_WINDOW_MS + 1_000)))
  const windows: number[] = []
  const patched: Parameters<typeof changePaths>[1] = []
  let misses = 0
  for (const { id, operationId } of changes) {
    const patches = m
      .journal({ subscriptionId: id, kind: 'updateOperation' })
      .filter((j) => j.operationId === operationId)
    const patch = patches.find((j) => j.status === 200)
    const first = m.webhooks({ subscriptionId: id }).find((w) => w.operationId === operationId)?.attempts[0]
    // A late PATCH (409: Microsoft accepted by default) still shows where the time went.
    if (first && patches[0])
      patched.push({ id, operationId, sentAt: Date.parse(first.at), patchedAt: Date.parse(patches[0].time) })
    if (!patch || !first) {
      misses++
      continue
    }
    const ms = Date.parse(patch.time) - Date.parse(first.at)
    windows.push(ms)
    if (ms > MICROSOFT_WINDOW_MS) misses++
  }
  const path = await changePaths(service, patched)
  const busyMs = [...sending.values()].reduce((a, b) => a + b, 0)
  return {
    rate,
    seconds,
    changes: changes.length,
    skipped,
    webhookToPatch: latency(windows),
    misses,
    path,
    cpuMsPerChange: perUnit(cpu, changes.length),
    coresBusy: +(busyMs / sendingMs).toFixed(2),
  }
}
