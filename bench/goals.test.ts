import { describe, expect, it } from 'vitest'
import { judge, type GoalFigures } from './goals.ts'
import type { IntakeFigures } from './intake.ts'
import type { RateFigures } from './rates.ts'

const latency = (p50: number, p99 = p50 * 2) => ({ n: 100, p50, p95: p99, p99, max: p99 })

const intake = (concurrency: number, webhook: number, floor: number, p50: number, floorP50: number): IntakeFigures => ({
  concurrency,
  webhook: { ...latency(p50), perSecond: webhook },
  floor: { ...latency(floorP50), perSecond: floor },
  ratio: +(webhook / floor).toFixed(2),
  cpuMsPerIntake: {
    webhook: { server: 6.4, worker: 4.4, temporal: 8.7, bench: 3.4 },
    floor: { server: 0.1, worker: 4, temporal: 7, bench: 2 },
  },
})

const rate = (perSecond: number, misses: number, p99: number, cpu: Record<string, number>): RateFigures => ({
  rate: perSecond,
  seconds: 30,
  changes: perSecond * 30,
  skipped: 0,
  webhookToPatch: latency(p99 / 3, p99),
  misses,
  path: [] as unknown as RateFigures['path'],
  cpuMsPerChange: cpu,
  coresBusy: 1.85,
})

/** The worker's RSS at 0, 1k and 10k adopted, and the steps between them as run.ts computes them. */
const memoryAt = (at0: number, at1k: number, at10k: number): Pick<GoalFigures, 'memory' | 'perThousand'> => ({
  memory: [
    { added: 0, workerRssMiB: at0 },
    { added: 1000, workerRssMiB: at1k },
    { added: 10_000, workerRssMiB: at10k },
  ],
  perThousand: [
    { from: 0, to: 1000, perThousandMiB: at1k - at0 },
    { from: 1000, to: 10_000, perThousandMiB: Math.round(((at10k - at1k) * 1000) / 9000) },
  ],
})

const figures = (over: Partial<GoalFigures> = {}): GoalFigures => ({
  intake: [intake(1, 40, 80, 9, 4), intake(32, 130, 150, 200, 150)],
  rates: [rate(5, 0, 900, { temporal: 60, worker: 43, server: 8, bench: 13 })],
  ...memoryAt(394, 480, 900),
  ...over,
})

describe('the goals of issue 12, judged on one run', () => {
  it('are all met by figures that meet them, with nothing said to limit them', () => {
    const verdicts = judge(figures(), 2)
    expect(verdicts.map((v) => v.met)).toEqual([true, true, true, true, true])
    expect(verdicts.every((v) => v.limitedBy === undefined)).toBe(true)
  })

  it('say a webhook slower than 10 ms is held back by a floor that is itself that slow', () => {
    const [alone] = judge(figures({ intake: [intake(1, 37, 76, 21, 9.6)] }), 2)
    expect(alone).toMatchObject({ met: false, measured: '37/s vs 76/s = 0.49×, p50 21 ms (floor 9.6 ms)' })
    expect(alone!.limitedBy).toMatch(/floor alone .* p50 9\.6 ms/)
    expect(alone!.limitedBy).toMatch(
      /CPU per intake 22\.9 ms against the floor's 13\.1 ms; beyond the floor: server 6\.3 ms, worker 0\.4 ms, temporal 1\.7 ms, bench 1\.4 ms/,
    )
  })

  it('say a rate two cores cannot carry is limited by CPU, with the capacity they give', () => {
    const busy = rate(20, 139, 9_400, { temporal: 60, worker: 42, server: 8, bench: 13 })
    const [, , , twenty] = judge(figures({ rates: [figures().rates[0]!, busy] }), 2)
    expect(twenty).toMatchObject({
      met: false,
      measured: 'p99 9400 ms of those in time, 139 of 600 past 10 s or never',
    })
    expect(twenty!.limitedBy).toBe(
      'CPU: a change costs 123 ms of CPU (temporal 60 ms, worker 42 ms, server 8 ms, bench 13 ms); 2 cores carry about 16.3 changes/s, and they were 1.85 busy',
    )
  })

  it('do not blame CPU for misses the cores had room for', () => {
    const [, , late] = judge(
      figures({ rates: [rate(5, 2, 900, { temporal: 60, worker: 43, server: 8, bench: 13 })] }),
      2,
    )
    expect(late!.met).toBe(false)
    expect(late!.limitedBy).toMatch(/^not CPU/)
  })

  it('judge memory per 1000 as the issue measured it, from none to the most live, and 10k against 1 GiB', () => {
    const [, , , perThousand, tenK] = judge(figures(), 2)
    // (900 - 394) MiB over 10,000: the first step's 86 MiB per 1000 carries the warm-up, the later 47 do not.
    expect(perThousand).toMatchObject({
      met: true,
      measured: '51 MiB per 1000 from 0 to 10000 (394 → 900 MiB); by step, MiB per 1000: 0→1000: 86, 1000→10000: 47',
    })
    expect(tenK).toMatchObject({ met: true, measured: '900 MiB' })

    const [, , , over, overTenK] = judge(figures(memoryAt(394, 510, 1500)), 2)
    expect(over).toMatchObject({ met: false })
    expect(over!.measured).toMatch(/^111 MiB per 1000 from 0 to 10000/)
    expect(over!.limitedBy).toMatch(/warm-up/)
    expect(overTenK).toMatchObject({ met: false, measured: '1500 MiB' })
  })

  it('leave out what a short run did not measure', () => {
    const short = judge(figures({ rates: [], memory: [{ added: 0, workerRssMiB: 394 }], perThousand: [] }), 2)
    expect(short.map((v) => v.goal)).toEqual([
      'webhook intake one at a time ≥ 0.5× the floor, p50 < 10 ms',
      'webhook intake 32 at once ≥ 0.8× the floor',
    ])
  })
})
