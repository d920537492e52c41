/**
 * The Microsoft-facing activities in Temporal's mock activity context (attempt number, heartbeat details,
 * cancellation), against the project's emulator over real HTTP: what a retry does after an attempt whose
 * answer was lost, and which answers end in success, a retry or a non-retryable failure.
 */
import { ApplicationFailure } from '@temporalio/activity'
import { MockActivityEnvironment } from '@temporalio/testing'
import { DefaultLogger } from '@temporalio/worker'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { EmulatorHandle } from '../emulator/index.ts'
import { clientFor, rejectionOf, startClientEmulator } from '../test/marketplace-client/helpers.ts'
import { marketplaceActivities, type RequestOutcome } from './marketplace.ts'

let emulator: EmulatorHandle
let activities: ReturnType<typeof marketplaceActivities>

beforeAll(async () => {
  // Operations take a moment at "Microsoft", so an attempt can be stopped while it polls.
  emulator = await startClientEmulator({ operationDelayMs: 300 })
  activities = marketplaceActivities(clientFor(emulator))
})
beforeEach(() => emulator.marketplace.reset())
afterAll(() => emulator.stop())

const journal = (kind: string) => emulator.marketplace.journal({ kind })

// Failed attempts are what these tests are about; the worker's warnings about them would be noise.
const quiet = new DefaultLogger('ERROR')

/** Runs an activity as Temporal's `attempt`-th attempt, with the heartbeat details the last attempt left. */
function attempt(n: number, heartbeatDetails?: unknown) {
  return new MockActivityEnvironment({ attempt: n, heartbeatDetails }, { logger: quiet })
}

/** A customer bought the `team` plan; the subscription waits for activation (PendingFulfillmentStart). */
function purchase() {
  return emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 5 }).subscription
}

function subscribed() {
  const subscription = purchase()
  // Activated earlier, as the publisher does, through the client.
  return clientFor(emulator)
    .activate(subscription.id, { planId: 'team', quantity: 5 })
    .then(() => subscription)
}

const statusOf = (id: string) => emulator.marketplace.getSubscription(id).subscription.saasSubscriptionStatus

describe('activate', () => {
  it('activates on the first attempt without reading the subscription first', async () => {
    const { id } = purchase()
    await attempt(1).run(() => activities.activate({ subscriptionId: id, planId: 'team', quantity: 5 }))
    expect(statusOf(id)).toBe('Subscribed')
    expect(journal('activate').map((e) => e.status)).toEqual([200])
    expect(journal('getSubscription')).toEqual([])
  })

  it('resumes safely: a retry after a lost answer reads Get Subscription and does not activate again', async () => {
    const { id } = purchase()
    emulator.marketplace.setFaults({
      script: [{ target: 'api', kind: 'lost', operationId: 'FulfillmentOperations_ActivateSubscription' }],
    })
    const lost = await rejectionOf(
      attempt(1).run(() => activities.activate({ subscriptionId: id, planId: 'team', quantity: 5 })),
    )
    expect(lost).toBeInstanceOf(ApplicationFailure)
    expect((lost as ApplicationFailure).nonRetryable).toBe(false)
    expect(statusOf(id)).toBe('Subscribed') // it took effect at Microsoft; only the answer was lost

    await attempt(2).run(() => activities.activate({ subscriptionId: id, planId: 'team', quantity: 5 }))
    expect(journal('activate')).toHaveLength(1)
    expect(journal('getSubscription').map((e) => e.status)).toEqual([200])
  })

  it('a retry on a subscription Microsoft has not activated yet activates it', async () => {
    const { id } = purchase()
    await attempt(2).run(() => activities.activate({ subscriptionId: id, planId: 'team', quantity: 5 }))
    expect(statusOf(id)).toBe('Subscribed')
    expect(journal('getSubscription')).toHaveLength(1)
    expect(journal('activate').map((e) => e.status)).toEqual([200])
  })

  it('treats a 400 "already Subscribed" as success, confirmed by reading the subscription', async () => {
    const { id } = await subscribed()
    await attempt(1).run(() => activities.activate({ subscriptionId: id, planId: 'team', quantity: 5 }))
    expect(journal('activate').map((e) => e.status)).toEqual([200, 400])
    expect(journal('getSubscription').map((e) => e.status)).toEqual([200])
  })

  it('fails without retries on a definitive 4xx', async () => {
    const { id } = purchase()
    const err = await rejectionOf(
      attempt(1).run(() => activities.activate({ subscriptionId: id, planId: 'no-such-plan', quantity: 5 })),
    )
    expect(err).toBeInstanceOf(ApplicationFailure)
    expect((err as ApplicationFailure).nonRetryable).toBe(true)
    expect(journal('activate').map((e) => e.status)).toEqual([400])
    expect(statusOf(id)).toBe('PendingFulfillmentStart')
  })
})

describe('requestChange and requestCancellation', () => {
  /** Runs the first attempt until it has PATCHed (or DELETEd) and heartbeated, then stops it (worker lost). */
  async function interruptedAfterRequest(run: (env: MockActivityEnvironment) => Promise<unknown>) {
    const env = attempt(1)
    let details: unknown
    env.on('heartbeat', (d: unknown) => {
      details ??= d
      env.cancel()
    })
    await rejectionOf(run(env))
    const accepted = details as { operationLocation?: string; operationId?: string } | undefined
    expect(accepted?.operationLocation).toContain(accepted?.operationId)
    return accepted as { operationLocation: string; operationId: string }
  }

  it('requestChange resumes polling from the heartbeat details instead of PATCHing again', async () => {
    const { id } = await subscribed()
    const params = { subscriptionId: id, requestId: 'req-1', planId: 'basic' }
    const details = await interruptedAfterRequest((env) => env.run(() => activities.requestChange(params)))

    const result = await attempt(2, details).run(() => activities.requestChange(params))
    expect(result).toMatchObject({ outcome: 'settled', operationId: details.operationId, status: 'Succeeded' })
    expect(journal('updateSubscription')).toHaveLength(1)
    expect(journal('getOperation').length).toBeGreaterThan(0)
    expect(emulator.marketplace.getSubscription(id).subscription.planId).toBe('basic')
  })

  it('requestCancellation resumes polling from the heartbeat details instead of DELETEing again', async () => {
    const { id } = await subscribed()
    const params = { subscriptionId: id, requestId: 'req-2' }
    const details = await interruptedAfterRequest((env) => env.run(() => activities.requestCancellation(params)))

    const result = await attempt(2, details).run(() => activities.requestCancellation(params))
    expect(result).toMatchObject({ outcome: 'settled', operationId: details.operationId, status: 'Succeeded' })
    expect(journal('deleteSubscription')).toHaveLength(1)
    expect(statusOf(id)).toBe('Unsubscribed')
  })

  it('answers a definitive 4xx with "refused", not with a retry', async () => {
    const { id } = await subscribed()
    const result = await attempt(1).run<[], RequestOutcome, () => Promise<RequestOutcome>>(() =>
      activities.requestChange({ subscriptionId: id, requestId: 'req-3', planId: 'no-such-plan' }),
    )
    expect(result.outcome).toBe('refused')
    expect(result.outcome === 'refused' && result.message).toContain('no-such-plan')
    expect(journal('updateSubscription').map((e) => e.status)).toEqual([400])
  })
})

describe('acknowledgeOperation', () => {
  it('PATCHes Success and reports how Microsoft settled the operation', async () => {
    const { id } = await subscribed()
    const operation = emulator.marketplace.changePlan(id, 'basic')
    const result = await attempt(1).run(() =>
      activities.acknowledgeOperation({
        subscriptionId: id,
        operationId: operation.id,
        accept: true,
        deadline: new Date(Date.now() + 10_000).toISOString(),
      }),
    )
    expect(result).toMatchObject({ status: 'Succeeded' })
    expect(journal('updateOperation')).toMatchObject([{ status: 200, body: { status: 'Success' } }])
  })

  it('treats 409 as "Microsoft settled it already" and reads the final status', async () => {
    const { id } = await subscribed()
    const operation = emulator.marketplace.changePlan(id, 'basic')
    // An earlier attempt's PATCH landed but its answer never came back.
    await clientFor(emulator).updateOperation(id, operation.id, { status: 'Failure' })

    const result = await attempt(2).run(() =>
      activities.acknowledgeOperation({
        subscriptionId: id,
        operationId: operation.id,
        accept: false,
        deadline: new Date(Date.now() + 10_000).toISOString(),
      }),
    )
    expect(result).toMatchObject({ status: 'Failed' })
    expect(journal('updateOperation').map((e) => e.status)).toEqual([200, 409])
  })

  it('past the window only reads what Microsoft decided', async () => {
    const { id } = await subscribed()
    const operation = emulator.marketplace.changePlan(id, 'basic')
    await clientFor(emulator).updateOperation(id, operation.id, { status: 'Success' })
    const result = await attempt(1).run(() =>
      activities.acknowledgeOperation({
        subscriptionId: id,
        operationId: operation.id,
        accept: true,
        deadline: new Date(Date.now() - 1_000).toISOString(),
      }),
    )
    expect(result).toMatchObject({ status: 'Succeeded' })
    expect(journal('updateOperation')).toHaveLength(1) // the earlier one only
  })

  it('fails without retries on a definitive 4xx (an operation Microsoft does not know)', async () => {
    const { id } = await subscribed()
    const err = await rejectionOf(
      attempt(1).run(() =>
        activities.acknowledgeOperation({
          subscriptionId: id,
          operationId: '00000000-0000-4000-8000-000000000000',
          accept: true,
        }),
      ),
    )
    expect(err).toBeInstanceOf(ApplicationFailure)
    expect((err as ApplicationFailure).nonRetryable).toBe(true)
  })
})
