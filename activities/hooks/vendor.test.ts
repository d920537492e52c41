// The activities around the hooks (activities/vendor.ts), run in Temporal's mock activity context.
import { ApplicationFailure } from '@temporalio/activity'
import type { Logger } from '@temporalio/common'
import { MockActivityEnvironment } from '@temporalio/testing'
import { describe, expect, it } from 'vitest'
import type { SubscriptionFacts } from '../../machines/subscription/index.ts'
import { vendorActivities } from '../vendor.ts'
import { demoHooks } from './demo.ts'
import { VendorRejectedError, type HookContext, type VendorHooks } from './types.ts'

const subscription: SubscriptionFacts = {
  id: 'sub-activity',
  offerId: 'offer',
  planId: 'basic',
  saasSubscriptionStatus: 'Subscribed',
  isFreeTrial: false,
  isTest: true,
}

/** Hooks that record the context of every call, and answer like the demo unless told otherwise. */
function recordingHooks(overrides: Partial<VendorHooks> = {}) {
  const contexts: HookContext[] = []
  const calls: string[] = []
  const base = { ...demoHooks({ provisionDelayMs: 0 }), ...overrides }
  const hooks = Object.fromEntries(
    Object.entries(base).map(([name, hook]) => [
      name,
      (req: unknown, ctx: HookContext) => {
        calls.push(name)
        contexts.push(ctx)
        return (hook as (req: unknown, ctx: HookContext) => Promise<unknown>)(req, ctx)
      },
    ]),
  ) as unknown as VendorHooks
  return { hooks, contexts, calls }
}

const quiet: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} }
/** A mock activity context; its failures are asserted, not logged. */
const activity = (i: ReturnType<typeof info>) => new MockActivityEnvironment(i, { logger: quiet })

const info = (workflowId: string, runId: string, activityId: string, attempt = 1) => ({
  workflowExecution: { workflowId, runId },
  activityId,
  attempt,
})

describe('the hook context', () => {
  it('has the same key on every attempt of one step', async () => {
    const { hooks, contexts } = recordingHooks()
    const activities = vendorActivities(hooks)
    for (const attempt of [1, 2, 3]) {
      const env = activity(info('sub-1', 'run-a', '4', attempt))
      await env.run(activities.notify, { event: 'Renew', subscription })
    }
    expect(new Set(contexts.map((c) => c.key)).size).toBe(1)
    expect(contexts[0]!.key).toContain('sub-1')
  })

  it('has different keys for different steps of one run', async () => {
    const { hooks, contexts } = recordingHooks()
    const activities = vendorActivities(hooks)
    for (const activityId of ['4', '5']) {
      await activity(info('sub-1', 'run-a', activityId)).run(activities.notify, {
        event: 'Renew',
        subscription,
      })
    }
    expect(contexts[0]!.key).not.toBe(contexts[1]!.key)
  })

  it('has different keys for steps of different runs (activity ids restart after continue-as-new)', async () => {
    const { hooks, contexts } = recordingHooks()
    const activities = vendorActivities(hooks)
    // Two monthly renewals, each the 3rd activity of its run of the same workflow.
    for (const runId of ['run-january', 'run-february']) {
      await activity(info('sub-1', runId, '3')).run(activities.notify, {
        event: 'Renew',
        subscription,
      })
    }
    expect(contexts[0]!.key).not.toBe(contexts[1]!.key)
  })

  it('forwards heartbeats to Temporal', async () => {
    const { hooks } = recordingHooks({
      provision: (_req, ctx) => (
        ctx.heartbeat({ step: 1 }),
        ctx.heartbeat({ step: 2 }),
        Promise.resolve({ status: 'completed' })
      ),
    })
    const env = activity(info('sub-1', 'run-a', '1'))
    const beats: unknown[] = []
    env.on('heartbeat', (d: unknown) => beats.push(d))
    await expect(env.run(vendorActivities(hooks).provision, { subscription })).resolves.toEqual({
      status: 'completed',
    })
    expect(beats).toEqual([{ step: 1 }, { step: 2 }])
  })

  it('aborts ctx.signal when Temporal cancels the activity', async () => {
    const { hooks, contexts } = recordingHooks({
      provision: (_req, ctx) => demoHooks({ provisionDelayMs: 60_000 }).provision(_req, ctx),
    })
    const env = activity(info('sub-1', 'run-a', '1'))
    const run = env.run(vendorActivities(hooks).provision, { subscription })
    await expect.poll(() => contexts.length).toBe(1)
    expect(contexts[0]!.signal.aborted).toBe(false)
    env.cancel()
    await expect(run).rejects.toThrow()
    expect(contexts[0]!.signal.aborted).toBe(true)
  })
})

const change = { operationId: 'op', action: 'ChangePlan' as const, planId: 'pro', receivedAt: new Date().toISOString() }
/** A deadline this many seconds from now (the activity compares it with the clock). */
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString()

describe('the activities', () => {
  it('call the matching hooks and return their answers', async () => {
    const { hooks, calls } = recordingHooks({
      decideChange: () => Promise.resolve({ accept: false, reason: 'no' }),
      reinstate: () => Promise.resolve({ accept: false, reason: 'unpaid' }),
    })
    const a = vendorActivities(hooks)
    const env = activity(info('sub-1', 'run-a', '1'))

    await expect(env.run(a.provision, { subscription })).resolves.toEqual({ status: 'completed' })
    await expect(env.run(a.decideChange, { subscription, change, deadline: inSeconds(6) })).resolves.toEqual({
      accept: false,
      reason: 'no',
    })
    await env.run(a.applyChange, { subscription, previous: { planId: 'basic' } })
    await env.run(a.suspendAccess, { subscription })
    await expect(env.run(a.decideReinstatement, { subscription })).resolves.toEqual({ accept: false, reason: 'unpaid' })
    await env.run(a.deprovision, { subscription, retainUntil: '2025-02-01T00:00:00Z' })
    await env.run(a.notify, { event: 'Renew', subscription })
    expect(calls).toEqual(['provision', 'decideChange', 'applyChange', 'suspend', 'reinstate', 'deprovision', 'notify'])
  })

  it("turn a vendor's refusal into a non-retryable VendorRejected failure", async () => {
    const { hooks } = recordingHooks({ suspend: () => Promise.reject(new VendorRejectedError('unknown tenant')) })
    const err = await activity(info('sub-1', 'run-a', '1'))
      .run(vendorActivities(hooks).suspendAccess, { subscription })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApplicationFailure)
    expect(err).toMatchObject({ type: 'VendorRejected', nonRetryable: true, message: 'unknown tenant' })
  })

  it('refuse to ask the vendor about a change once its deadline has passed', async () => {
    const { hooks, calls } = recordingHooks()
    const err = await activity(info('sub-1', 'run-a', '1'))
      .run(vendorActivities(hooks).decideChange, { subscription, change, deadline: inSeconds(-1) })
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ type: 'DeadlinePassed', nonRetryable: true })
    expect(calls).toEqual([])
  })

  it('give up on a vendor deciding a change at its deadline, and abort its signal', async () => {
    const { hooks, contexts } = recordingHooks({ decideChange: () => new Promise(() => undefined) })
    const err = await activity(info('sub-1', 'run-a', '1'))
      .run(vendorActivities(hooks).decideChange, { subscription, change, deadline: inSeconds(0.2) })
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ type: 'DeadlinePassed', nonRetryable: true })
    expect(contexts[0]!.signal.aborted).toBe(true)
  })

  it('let any other failure through, to be retried', async () => {
    const boom = new Error('vendor hook suspend answered 503')
    const { hooks } = recordingHooks({ suspend: () => Promise.reject(boom) })
    await expect(
      activity(info('sub-1', 'run-a', '1')).run(vendorActivities(hooks).suspendAccess, {
        subscription,
      }),
    ).rejects.toBe(boom)
  })
})
