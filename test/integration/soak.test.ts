/**
 * The soak, small (`npm run soak` runs it with 100 subscriptions, several kills and a restart): 20
 * subscriptions through random customer events, 20 % API faults, duplicated, late and reordered webhooks,
 * one worker killed with SIGKILL; every invariant holds.
 */
import { describe, expect, inject, it } from 'vitest'
import { runSoak } from '../../bench/soak-run.ts'

describe('soak (small)', () => {
  // No timing is asserted: every check waits for the subscriptions to settle (bench/soak-run.ts), so a
  // loaded CI machine makes it slower, not red. The seed fixes the customer events and the faults.
  it('ends in Microsoft’s state, loses nothing, does nothing twice, leaves nothing stuck', async () => {
    const report = await runSoak({
      temporalAddress: inject('temporalAddress'),
      subscriptions: 20,
      rounds: 2,
      kills: 1,
      restarts: 0,
      seed: 1,
    })

    expect(report.kills).toBe(1)
    expect(report.faults.faulted).toBeGreaterThan(0)
    expect(report.invariants.inMicrosoftsState.failed).toEqual([])
    expect(report.invariants.nothingAcceptedLost.lost).toEqual([])
    expect(report.invariants.noEffectTwice.twice).toEqual([])
    expect(report.invariants.nothingStuck.stuck).toEqual([])
    expect(report.invariants.nothingAcceptedLost.accepted).toBeGreaterThan(20)
  }, 420_000)
})
