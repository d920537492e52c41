/**
 * `npm run bench` still works: its short plan runs every part (lifecycle, intake against the floor,
 * sustained customer changes, worker memory) on the suite's Temporal server, and every figure is there.
 * The figures themselves are judged by people on an idle machine, not here.
 */
import { describe, expect, inject, it } from 'vitest'
import { judge } from '../../bench/goals.ts'
import { runBench, SHORT } from '../../bench/run.ts'

describe('bench (short plan)', () => {
  it('measures every part and counts what it measured', async () => {
    const figures = await runBench(inject('temporalAddress'), SHORT)

    expect(figures.lifecycle.alone.purchase.n).toBe(SHORT.lifecycle.rounds)
    expect(figures.intake.map((i) => i.concurrency)).toEqual([1, 32])
    for (const i of figures.intake) {
      expect(i.webhook.n).toBeGreaterThanOrEqual(i.concurrency)
      expect(i.ratio).toBeGreaterThan(0)
    }
    const [rate] = figures.rates
    expect(rate!.changes + rate!.skipped).toBe(SHORT.rates[0]!.rate * SHORT.rates[0]!.seconds)
    expect(rate!.webhookToPatch.n + rate!.misses).toBeGreaterThanOrEqual(rate!.changes)
    // The changes' CPU, process by process: the worker ran their workflow tasks, the server took their webhooks.
    expect(rate!.cpuMsPerChange.worker).toBeGreaterThan(0)
    expect(rate!.cpuMsPerChange.server).toBeGreaterThan(0)
    expect(rate!.coresBusy).toBeGreaterThan(0)
    expect(figures.memory.map((m) => m.added)).toEqual(SHORT.memory)
    expect(figures.memory[1]!.live - figures.memory[0]!.live).toBe(SHORT.memory[1])
    expect(figures.memory.every((m) => m.workerRssMiB > 0)).toBe(true)
    // The results file judges every goal the run has figures for: both intakes, the rate, memory per 1000.
    const goals = judge(figures, 2)
    expect(goals).toHaveLength(4)
    expect(goals.every((g) => g.met || g.limitedBy)).toBe(true)
  }, 240_000)
})
