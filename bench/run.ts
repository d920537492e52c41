/**
 * The whole bench in one run, on one Temporal server, side by side (see bench/README.md for what each
 * part shows and the profile behind it):
 *
 *  - lifecycle: purchase → Subscribed, webhook → 200, ChangeQuantity webhook → PATCH, alone and at once
 *  - intake: webhook vs bare `signalWithStart` (the floor) at concurrency 1 and 32, as a throughput ratio
 *  - rates: ChangeQuantity → PATCH at a sustained 5/s and 20/s for 30 s, misses of Microsoft's 10 s counted
 *  - memory: the worker process's RSS with 0, 1k and 10k live idle subscriptions
 *
 * `short` (BENCH_SHORT=1 or CI=true) runs every part small, to show in CI that the bench still works.
 * @module
 */
import { adoptMany } from './adopt.ts'
import { buyFleet } from './fleet.ts'
import { measureIntake, renewals } from './intake.ts'
import { measureLifecycle } from './lifecycle-figures.ts'
import { sustainedChanges } from './rates.ts'
import { rssMiB, startService } from './service.ts'

export interface BenchPlan {
  lifecycle: { rounds: number; concurrency: number }
  intake: { concurrency: number; total: number }[]
  rates: { rate: number; seconds: number }[]
  /** Subscriptions bought through the whole purchase path, whose Renew operations the intake replays. */
  fleet: number
  /** Each rate's pool: subscriptions per change per second (a subscription gets a change every `pool / rate` s). */
  poolPerRate: number
  memory: number[]
}

export const FULL: BenchPlan = {
  lifecycle: { rounds: 20, concurrency: 20 },
  intake: [
    { concurrency: 1, total: 200 },
    { concurrency: 32, total: 1280 },
  ],
  rates: [
    { rate: 5, seconds: 30 },
    { rate: 20, seconds: 30 },
  ],
  fleet: 32,
  poolPerRate: 15,
  memory: [0, 1_000, 10_000],
}

export const SHORT: BenchPlan = {
  lifecycle: { rounds: 2, concurrency: 2 },
  intake: [
    { concurrency: 1, total: 12 },
    { concurrency: 32, total: 64 },
  ],
  rates: [{ rate: 5, seconds: 3 }],
  fleet: 4,
  poolPerRate: 4,
  memory: [0, 50],
}

/** `temporalPid`: the Temporal server's process, so the intake accounts its CPU too. */
export async function runBench(temporalAddress: string, plan: BenchPlan, temporalPid?: number) {
  const started = performance.now()
  const progress = (what: string) =>
    console.error(`bench: ${what} (${Math.round((performance.now() - started) / 1000)} s)`)
  const lifecycle = await measureLifecycle(temporalAddress, plan.lifecycle)
  progress('lifecycle measured')
  const service = await startService({ temporalAddress })
  progress('service started')
  try {
    /** `added`: subscriptions adopted since the fresh worker started; `live`: all running ones. */
    const memory: { added: number; live: number; workerRssMiB: number }[] = []
    let live = 0
    let added = 0
    const remember = async (target: number) => {
      if (target > added) await adoptMany(service, target - added)
      live += Math.max(0, target - added)
      added = Math.max(added, target)
      // Let the worker settle (workflow tasks done, GC) before reading its memory.
      await new Promise((r) => setTimeout(r, 5_000))
      memory.push({ added, live, workerRssMiB: rssMiB(service.workers[0]!.process.pid!) })
    }

    const fleet = await buyFleet(service, plan.fleet)
    live += fleet.length
    const items = await renewals(service, fleet)
    progress('fleet bought')
    const intake = []
    for (const step of plan.intake) intake.push(await measureIntake(service, items, step, temporalPid))

    progress('intake measured')
    const rates = []
    for (const step of plan.rates) {
      const pool = await adoptMany(service, Math.ceil(step.rate * plan.poolPerRate))
      live += pool.length
      rates.push(await sustainedChanges(service, pool, step, temporalPid))
      progress(`${step.rate}/s measured`)
    }

    // A fresh worker for the memory figures: the rates leave the heap grown by work that is not live
    // subscriptions (an idle run read 379 MiB before them and 747 MiB at 1k after them). The subscriptions
    // already running stay live, out of the new worker's cache until they get a task.
    await service.restart()
    for (const target of plan.memory) await remember(target)
    progress('memory measured')
    const rest = memory.slice(1)
    // From each point to the next: the first step also carries the worker's warm-up (JIT, first workflows).
    const perThousand = rest.map((m, i) => {
      const from = memory[i]!
      return {
        from: from.added,
        to: m.added,
        perThousandMiB: Math.round(((m.workerRssMiB - from.workerRssMiB) * 1000) / (m.added - from.added)),
      }
    })
    return { lifecycle, intake, rates, memory, perThousand }
  } finally {
    await service.stop()
  }
}
