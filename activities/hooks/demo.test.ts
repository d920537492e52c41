import { getEventListeners } from 'node:events'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { vi } from 'vitest'
import type { SubscriptionFacts } from '../../machines/subscription/index.ts'
import { demoHooks } from './demo.ts'
import type { HookContext } from './types.ts'

const subscription: SubscriptionFacts = {
  id: 'sub-demo',
  offerId: 'offer',
  planId: 'basic',
  quantity: 1,
  saasSubscriptionStatus: 'PendingFulfillmentStart',
  isFreeTrial: false,
  isTest: true,
}

function context(signal = new AbortController().signal) {
  const heartbeats: unknown[] = []
  const ctx: HookContext = { key: 'wf/run/1', heartbeat: (details) => heartbeats.push(details), signal }
  return { ctx, heartbeats }
}

/** Resolves to the settled state of a promise without waiting for it. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false }
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  )
  return state
}

describe('provision', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it.each([
    [1_200, [0, 500, 1_000]],
    [1_000, [0, 500]],
    [500, [0]],
    [1, [0]],
    [2_000, [0, 500, 1_000, 1_500]],
  ])('after %i ms, heartbeating every 500 ms while it waits', async (delayMs, waited) => {
    const { ctx, heartbeats } = context()
    const result = track(demoHooks({ provisionDelayMs: delayMs }).provision({ subscription }, ctx))

    await vi.advanceTimersByTimeAsync(delayMs - 1)
    expect(result.settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(result).toEqual({ settled: true, value: { status: 'completed' } })
    expect(heartbeats).toEqual(waited.map((w) => ({ waited: w })))
  })

  it('completes at once, without heartbeats, when the delay is 0', async () => {
    const { ctx, heartbeats } = context()
    await expect(demoHooks({ provisionDelayMs: 0 }).provision({ subscription }, ctx)).resolves.toEqual({
      status: 'completed',
    })
    expect(heartbeats).toEqual([])
  })

  it('stops when ctx.signal aborts, with the abort reason, and heartbeats no more', async () => {
    const controller = new AbortController()
    const { ctx, heartbeats } = context(controller.signal)
    const result = track(demoHooks({ provisionDelayMs: 10_000 }).provision({ subscription }, ctx))

    await vi.advanceTimersByTimeAsync(1_200)
    expect(heartbeats).toHaveLength(3)
    const reason = new Error('activity cancelled')
    controller.abort(reason)
    await vi.advanceTimersByTimeAsync(0)
    expect(result).toEqual({ settled: true, error: reason })

    await vi.advanceTimersByTimeAsync(20_000)
    expect(heartbeats).toHaveLength(3)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('does not provision when ctx.signal is already aborted', async () => {
    const controller = new AbortController()
    const reason = new Error('cancelled before it started')
    controller.abort(reason)
    const { ctx } = context(controller.signal)
    const result = track(demoHooks({ provisionDelayMs: 1_000 }).provision({ subscription }, ctx))

    await vi.advanceTimersByTimeAsync(0)
    expect(result).toEqual({ settled: true, error: reason })
    await vi.advanceTimersByTimeAsync(5_000)
    expect(result).toEqual({ settled: true, error: reason })
  })

  it('leaves no abort listener behind on a long provisioning', async () => {
    const controller = new AbortController()
    const { ctx, heartbeats } = context(controller.signal)
    const result = track(demoHooks({ provisionDelayMs: 30_000 }).provision({ subscription }, ctx))

    await vi.advanceTimersByTimeAsync(10_250)
    expect(getEventListeners(controller.signal, 'abort').length).toBeLessThanOrEqual(1)
    await vi.advanceTimersByTimeAsync(20_000)
    expect(result).toEqual({ settled: true, value: { status: 'completed' } })
    expect(heartbeats).toHaveLength(60)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })
})

describe('decisions and other hooks', () => {
  const { ctx } = context()
  const hooks = demoHooks({ provisionDelayMs: 60_000 })

  it('accepts every change', async () => {
    for (const action of ['ChangePlan', 'ChangeQuantity'] as const) {
      await expect(
        hooks.decideChange(
          {
            subscription,
            change: { operationId: 'op', action, planId: 'pro', quantity: 99, receivedAt: new Date().toISOString() },
            deadline: new Date().toISOString(),
          },
          ctx,
        ),
      ).resolves.toEqual({ accept: true })
    }
  })

  it('accepts every reinstatement', async () => {
    await expect(hooks.reinstate({ subscription }, ctx)).resolves.toEqual({ accept: true })
  })

  it('does the rest at once', async () => {
    await expect(
      hooks.applyChange({ subscription, previous: { planId: 'basic', quantity: 1 }, operationId: 'op' }, ctx),
    ).resolves.toBeUndefined()
    await expect(hooks.suspend({ subscription }, ctx)).resolves.toBeUndefined()
    await expect(hooks.deprovision({ subscription, retainUntil: '2030-01-01T00:00:00Z' }, ctx)).resolves.toBeUndefined()
    await expect(hooks.notify({ event: 'Renew', subscription }, ctx)).resolves.toBeUndefined()
  })
})
