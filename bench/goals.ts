/**
 * Issue 12's goals judged against one run's figures, for the results file: each goal with what was
 * measured, whether it was met, and, when it was not, what limits it, read from the same run (the floor's
 * own latency, the CPU each process spent per intake or per change, the cores there are). The README's
 * "Performance and scale" and bench/README.md carry the profiles behind these readings.
 * @module
 */
import type { IntakeFigures } from './intake.ts'
import type { RateFigures } from './rates.ts'

export interface Verdict {
  goal: string
  measured: string
  met: boolean
  /** What keeps an unmet goal from being met, read from this run's figures. */
  limitedBy?: string
}

export interface GoalFigures {
  intake: IntakeFigures[]
  rates: RateFigures[]
  memory: { added: number; workerRssMiB: number }[]
  perThousand: { from: number; to: number; perThousandMiB: number }[]
}

/** The goals of issue 12. */
export const GOALS = {
  intakeAlone: { concurrency: 1, ratio: 0.5, p50Ms: 10 },
  intakeAtOnce: { concurrency: 32, ratio: 0.8 },
  rates: { p99Ms: 2_000, misses: 0 },
  memory: { perThousandMiB: 100, at: 10_000, underMiB: 1024 },
}

const sum = (byProcess: Record<string, number>) => Object.values(byProcess).reduce((a, b) => a + b, 0)
const ms = (n: number) => `${+n.toFixed(1)} ms`
const list = (byProcess: Record<string, number>) =>
  Object.entries(byProcess)
    .map(([process, n]) => `${process} ${ms(n)}`)
    .join(', ')

/** What a webhook costs beyond the floor, process by process (only the processes where it costs more). */
function extraCpu(figures: IntakeFigures): Record<string, number> {
  const { webhook, floor } = figures.cpuMsPerIntake
  return Object.fromEntries(
    Object.entries(webhook)
      .map(([process, n]) => [process, +(n - (floor[process] ?? 0)).toFixed(1)] as const)
      .filter(([, n]) => n > 0),
  )
}

function judgeIntake(figures: IntakeFigures, goal: { ratio: number; p50Ms?: number }): Verdict {
  const { webhook, floor, ratio, cpuMsPerIntake } = figures
  const fastEnough = goal.p50Ms === undefined || webhook.p50 < goal.p50Ms
  const met = ratio >= goal.ratio && fastEnough
  const verdict: Verdict = {
    goal: `webhook intake ${figures.concurrency === 1 ? 'one at a time' : `${figures.concurrency} at once`} ≥ ${goal.ratio}× the floor${goal.p50Ms ? `, p50 < ${goal.p50Ms} ms` : ''}`,
    measured: `${webhook.perSecond}/s vs ${floor.perSecond}/s = ${ratio}×, p50 ${ms(webhook.p50)} (floor ${ms(floor.p50)})`,
    met,
  }
  if (met) return verdict
  const limits: string[] = []
  if (!fastEnough && floor.p50 >= goal.p50Ms! / 2)
    limits.push(
      `the floor alone (signalWithStart, which the webhook must wait for before its 200) takes p50 ${ms(floor.p50)}`,
    )
  limits.push(
    `CPU per intake ${ms(sum(cpuMsPerIntake.webhook))} against the floor's ${ms(sum(cpuMsPerIntake.floor))}; beyond the floor: ${list(extraCpu(figures))} (server: JWT, Get Operation, HTTP both ways, the Temporal client; bench: the load generator and the emulator answering Get Operation)`,
  )
  return { ...verdict, limitedBy: limits.join('; ') }
}

function judgeRate(figures: RateFigures, cores: number): Verdict {
  const { rate, webhookToPatch, misses, changes, cpuMsPerChange, coresBusy } = figures
  const met = misses <= GOALS.rates.misses && webhookToPatch.p99 < GOALS.rates.p99Ms
  const verdict: Verdict = {
    goal: `customer change → PATCH at ${rate}/s: p99 < ${GOALS.rates.p99Ms} ms, ${GOALS.rates.misses} misses of 10 s`,
    measured: `p99 ${ms(webhookToPatch.p99)} of those in time, ${misses} of ${changes} past 10 s or never`,
    met,
  }
  if (met) return verdict
  const perChange = sum(cpuMsPerChange)
  const capacity = (cores * 1000) / perChange
  return {
    ...verdict,
    limitedBy:
      capacity < rate * 1.1
        ? `CPU: a change costs ${ms(perChange)} of CPU (${list(cpuMsPerChange)}); ${cores} cores carry about ${capacity.toFixed(1)} changes/s, and they were ${coresBusy} busy`
        : `not CPU (${ms(perChange)} per change, ${cores} cores carry about ${capacity.toFixed(1)} changes/s): see the path's hops`,
  }
}

function judgeMemory(figures: GoalFigures): Verdict[] {
  const verdicts: Verdict[] = []
  const [zero, last] = [figures.memory[0], figures.memory.at(-1)]
  if (zero && last && last.added > zero.added) {
    // The issue's own measure: the growth from none to the most live, per 1000 (337 MiB at 0, 1148 at 2000).
    const average = Math.round(((last.workerRssMiB - zero.workerRssMiB) * 1000) / (last.added - zero.added))
    const met = average <= GOALS.memory.perThousandMiB
    const steps = figures.perThousand.map((p) => `${p.from}→${p.to}: ${p.perThousandMiB}`)
    verdicts.push({
      goal: `worker memory ≤ ${GOALS.memory.perThousandMiB} MiB per 1000 live idle subscriptions`,
      measured: `${average} MiB per 1000 from ${zero.added} to ${last.added} (${zero.workerRssMiB} → ${last.workerRssMiB} MiB); by step, MiB per 1000: ${steps.join(', ')}`,
      met,
      ...(!met && {
        limitedBy: `the first subscriptions also carry the worker's warm-up (JIT, the first workflows' modules) until the cache of workflows is full (maxCachedWorkflows in worker/create-worker.ts); the later steps show the cost of one more`,
      }),
    })
  }
  const at = figures.memory.find((m) => m.added === GOALS.memory.at)
  if (at)
    verdicts.push({
      goal: `${GOALS.memory.at} live subscriptions under ${GOALS.memory.underMiB} MiB for the worker`,
      measured: `${at.workerRssMiB} MiB`,
      met: at.workerRssMiB < GOALS.memory.underMiB,
      ...(at.workerRssMiB >= GOALS.memory.underMiB && {
        limitedBy: `the cached workflows (maxCachedWorkflows in worker/create-worker.ts) and the worker's native memory; see bench/README.md`,
      }),
    })
  return verdicts
}

/** Every goal this run has figures for. `cores`: the CPUs the service shares with the bench. */
export function judge(figures: GoalFigures, cores: number): Verdict[] {
  const intake = (c: number) => figures.intake.find((i) => i.concurrency === c)
  const alone = intake(GOALS.intakeAlone.concurrency)
  const atOnce = intake(GOALS.intakeAtOnce.concurrency)
  return [
    ...(alone ? [judgeIntake(alone, GOALS.intakeAlone)] : []),
    ...(atOnce ? [judgeIntake(atOnce, GOALS.intakeAtOnce)] : []),
    ...figures.rates.map((r) => judgeRate(r, cores)),
    ...judgeMemory(figures),
  ]
}
