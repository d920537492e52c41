/**
 * Effects in lanes (issue 7, workflows/lanes.ts), against a vendor's app behind real HTTP hooks that keeps
 * failing: what Microsoft waits on never waits behind a vendor hook's retries, a failing hook holds the
 * access changes after it for at most the lane hold (`VENDOR_HOOK_LANE_HOLD_MS`, 3 s here), and a hook that
 * keeps failing is retried in the background where operators can see it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HookName } from '../../activities/hooks/types.ts'
import { FailingHookKey } from '../../workflows/search-attributes.ts'
import type { Harness } from '../support/harness.ts'
import { eventually } from '../support/harness.ts'
import { startHarnessWithHttpVendor, startHttpVendor, type HttpVendor } from '../support/http-vendor.ts'
import { detail, subscribed, until } from '../support/subscriptions.ts'

const LANE_HOLD_MS = 3_000
/** Room for retries' backoff, task scheduling and polling on a loaded machine: far below a hook's day of retries. */
const MARGIN_MS = 20_000

let h: Harness
let vendor: HttpVendor
/** Hooks answering 503 for a subscription, and subscriptions whose changes the vendor rejects. */
const failing = new Map<string, Set<HookName>>()
const rejecting = new Set<string>()

beforeAll(async () => {
  vendor = await startHttpVendor()
  vendor.answer = ({ hook, subscriptionId }) => {
    if (failing.get(subscriptionId)?.has(hook)) return { status: 503, body: { error: 'down for maintenance' } }
    if (hook === 'decideChange')
      return {
        status: 200,
        body: rejecting.has(subscriptionId) ? { accept: false, reason: 'seat limit' } : { accept: true },
      }
    if (hook === 'reinstate') return { status: 200, body: { accept: true } }
    return { status: 200 }
  }
  h = await startHarnessWithHttpVendor(vendor, { env: { VENDOR_HOOK_LANE_HOLD_MS: String(LANE_HOLD_MS) } })
})
afterAll(async () => {
  await h?.stop()
  await vendor?.stop()
})

const m = () => h.emulator.marketplace
const fail = (id: string, hook: HookName) => failing.set(id, new Set([...(failing.get(id) ?? []), hook]))
const heal = (id: string) => failing.delete(id)
const failingHookOf = async (id: string) =>
  (await h.temporal.workflow.getHandle(`subscription-${id}`).describe()).typedSearchAttributes.get(FailingHookKey)

describe('what Microsoft waits on never waits behind a vendor hook', () => {
  it('rejects a customer change inside the 10-second window while notify answers 503 forever', async () => {
    const id = await subscribed(h)
    fail(id, 'notify')
    rejecting.add(id)
    m().renew(id)
    await eventually(() => vendor.callsTo('notify', id).length > 0, { what: 'notify tried' })

    const operation = m().changeQuantity(id, 20)
    await eventually(
      () =>
        m()
          .getSubscription(id)
          .operations.find((o) => o.id === operation.id)?.status === 'Failed',
      {
        what: 'Microsoft has the change Failed',
        timeoutMs: 30_000,
      },
    )
    const patches = m()
      .journal({ subscriptionId: id, kind: 'updateOperation' })
      .filter((j) => j.operationId === operation.id)
    expect(patches.map((p) => [p.body, p.status])).toEqual([[{ status: 'Failure' }, 200]])
    const webhook = m()
      .webhooks({ subscriptionId: id })
      .find((w) => w.operationId === operation.id)!
    expect(Date.parse(patches[0]!.time) - Date.parse(webhook.attempts[0]!.at)).toBeLessThan(10_000)
    expect(vendor.callsTo('decideChange', id)).toHaveLength(1)

    // Both sides keep the old quantity; notify goes on failing, retried in the background where operators see it.
    expect(m().getSubscription(id).subscription.quantity).toBe(10)
    await eventually(async () => (await failingHookOf(id))?.split(',').includes('notify'), {
      what: 'SaasFailingHook naming notify',
      timeoutMs: LANE_HOLD_MS + MARGIN_MS,
    })
    const v = await until(
      h,
      id,
      (s) => s.decisions.some((d) => d.operationId === operation.id) && s.pendingChange === undefined,
      'the change settled',
    )
    expect(v.quantity).toBe(10)
    expect(vendor.callsTo('applyChange', id)).toEqual([])
    expect(vendor.callsTo('notify', id).every((c) => c.status === 503)).toBe(true)
  })
})

describe('a failing access hook holds what follows it for a bounded time', () => {
  it(`lets a Suspend's suspendAccess through within the lane hold while applyChange still fails`, async () => {
    const id = await subscribed(h)
    fail(id, 'applyChange')
    const change = m().changeQuantity(id, 20)
    await eventually(() => vendor.callsTo('applyChange', id).length > 0, { what: 'applyChange tried' })
    // Microsoft took the change (the PATCH landed), so it accepts the customer's Suspend now.
    await eventually(
      () =>
        m()
          .getSubscription(id)
          .operations.find((o) => o.id === change.id)?.status === 'Succeeded',
      {
        what: 'the change Succeeded at Microsoft',
      },
    )
    m().suspend(id)

    const suspended = await eventually(() => vendor.callsTo('suspend', id)[0], {
      what: 'suspendAccess at the vendor',
      timeoutMs: LANE_HOLD_MS + MARGIN_MS + 10_000,
    })
    const firstApply = vendor.callsTo('applyChange', id)[0]!
    expect(suspended.at - firstApply.at).toBeLessThan(LANE_HOLD_MS + MARGIN_MS)
    // applyChange had not landed when access was suspended: every attempt before it was refused.
    const applies = vendor.callsTo('applyChange', id).filter((c) => c.at <= suspended.at)
    expect(applies.map((c) => c.status)).toEqual(applies.map(() => 503))

    const v = await until(
      h,
      id,
      (s) => s.decisions.some((d) => d.event === 'applyChange' && /background/.test(d.reason ?? '')),
      'the decision record of the failing applyChange',
    )
    expect(v.saasSubscriptionStatus).toBe('Suspended')
    // The suspension that landed carries the whole subscription, so the applyChange retries stop, and the
    // record says why (not that the hook "failed after retries").
    await until(
      h,
      id,
      (s) => s.decisions.some((d) => d.event === 'applyChange' && /no longer retried/.test(d.reason ?? '')),
      'the record of applyChange superseded by the suspension',
    )
    heal(id)
  })

  it('retries a hook that keeps failing in the background, in SaasFailingHook and the decision records, until it lands', async () => {
    const id = await subscribed(h)
    fail(id, 'applyChange')
    m().changeQuantity(id, 20)

    await eventually(async () => (await failingHookOf(id))?.split(',').includes('applyChange'), {
      what: 'SaasFailingHook naming applyChange',
      timeoutMs: LANE_HOLD_MS + MARGIN_MS,
    })
    // Operators find it the way the lanes' comment says: a visibility query on the search attribute.
    await eventually(
      async () => {
        for await (const w of h.temporal.workflow.list({ query: `SaasFailingHook = "applyChange"` }))
          if (w.workflowId === `subscription-${id}`) return true
        return false
      },
      { what: 'the workflow found by SaasFailingHook' },
    )
    const failed = (await detail(h, id))!.decisions.find((d) => d.event === 'applyChange')
    expect(failed?.outcome).toBe('failed')
    expect(failed?.reason).toMatch(/answered 503.*retried in the background/)
    expect((await detail(h, id))!.quantity).toBe(20)

    const refused = vendor.callsTo('applyChange', id).length
    heal(id)
    await eventually(() => vendor.callsTo('applyChange', id).some((c) => c.status === 200), {
      what: 'applyChange landed',
      timeoutMs: 60_000,
    })
    expect(refused).toBeGreaterThan(1)
    await eventually(async () => !(await failingHookOf(id)), { what: 'SaasFailingHook cleared' })
    await until(
      h,
      id,
      (s) => s.decisions.some((d) => d.event === 'applyChange' && /landed after retries/.test(d.reason ?? '')),
      'the record of applyChange landing',
    )
  })
})

describe('an informational hook never holds up access changes', () => {
  /** Same vendor, but a lane hold of 10 minutes: the failing notify keeps its own lane all through the test. */
  let patient: Harness
  beforeAll(async () => {
    patient = await startHarnessWithHttpVendor(vendor, { env: { VENDOR_HOOK_LANE_HOLD_MS: '600000' } })
  })
  afterAll(() => patient?.stop())

  it('suspends access while notify still fails, well inside its lane hold', async () => {
    const id = await subscribed(patient)
    fail(id, 'notify')
    patient.emulator.marketplace.renew(id)
    await eventually(() => vendor.callsTo('notify', id).length > 0, { what: 'notify tried' })
    patient.emulator.marketplace.suspend(id)
    await eventually(() => vendor.callsTo('suspend', id).length === 1, {
      what: 'suspendAccess at the vendor',
      timeoutMs: MARGIN_MS,
    })
    expect(vendor.callsTo('notify', id).map((c) => c.status)).toEqual(vendor.callsTo('notify', id).map(() => 503))
    const v = await until(patient, id, (s) => s.saasSubscriptionStatus === 'Suspended', 'Suspended')
    expect(v.step).not.toMatch(/failed/i)
  })
})
