/**
 * A generated walk of the machine: every reachable state (found with @xstate/graph from each way a
 * workflow can start) × every event type, through the driver, checked against a table derived from
 * Microsoft's contract (docs: marketplace-contract.md §4–5).
 */
import { getShortestPaths, getStateNodes } from '@xstate/graph'
import { createActor } from 'xstate'
import { describe, expect, it } from 'vitest'
import {
  LIFECYCLE_EVENT_TYPES,
  MARKETPLACE_EVENT_TYPES,
  dispatch,
  stepOf,
  subscriptionMachine,
  type SubscriptionContext,
  type SubscriptionEvent,
  type SubscriptionInput,
  type SubscriptionSnapshot,
} from './index.ts'
import { STEPS, T0, input, minutes, type RestingStep } from './test-helpers.ts'

// ---------------------------------------------------------------------------------------------------
// Events: one or more representative payloads per event type, built from the state they are sent in
// (so that a decision names the pending change, a settlement the pending request, …).

interface Variant {
  label: string
  event: SubscriptionEvent
}

/** Operations are sent as they arrive (InProgress or Succeeded) and as Microsoft reports a failure. */
const OPERATION_STATUSES = ['InProgress', 'Succeeded', 'Failed'] as const
const OBSERVED_STATUSES = ['PendingFulfillmentStart', 'Subscribed', 'Suspended', 'Unsubscribed'] as const

type Builders = { [K in SubscriptionEvent['type']]: (c: SubscriptionContext) => Variant[] }

const fresh = (c: SubscriptionContext, what: string) => `${what}-${c.operations.length}-${c.requests.length}`
const otherPlan = (c: SubscriptionContext) => (c.subscription.planId === 'premium' ? 'basic' : 'premium')

function operations<T extends SubscriptionEvent['type'] & (typeof MARKETPLACE_EVENT_TYPES)[number]>(
  type: T,
  c: SubscriptionContext,
  extra: Record<string, unknown> = {},
  operationId?: string,
): Variant[] {
  return OPERATION_STATUSES.map((status) => ({
    label: `${type}:${status}`,
    event: {
      type,
      operationId: operationId ?? fresh(c, `${type}-${status}`),
      status,
      source: 'customer',
      // Later than any change applied on the way here, so a completed change is never stale.
      timeStamp: minutes(600 + c.operations.length),
      receivedAt: T0,
      ...extra,
    } as SubscriptionEvent,
  }))
}

const BUILDERS: Builders = {
  ChangePlan: (c) =>
    operations(
      'ChangePlan',
      c,
      { planId: c.request?.planId ?? otherPlan(c) },
      c.change?.action === 'ChangePlan' ? c.change.operationId : undefined,
    ),
  ChangeQuantity: (c) =>
    operations(
      'ChangeQuantity',
      c,
      { quantity: c.request?.quantity ?? (c.subscription.quantity ?? 1) + 3 },
      c.change?.action === 'ChangeQuantity' ? c.change.operationId : undefined,
    ),
  Suspend: (c) => operations('Suspend', c),
  Reinstate: (c) => operations('Reinstate', c),
  Renew: (c) =>
    operations('Renew', c, {
      subscription: { ...c.subscription, term: { termUnit: 'P1M', startDate: '2024-06-01', endDate: '2024-06-30' } },
    }),
  Unsubscribe: (c) => operations('Unsubscribe', c),
  Subscribe: (c) => operations('Subscribe', c),
  'operation.unknown': (c) => operations('operation.unknown', c, { action: 'Transfer' }),
  'buyer.confirmed': () => [
    { label: 'buyer.confirmed', event: { type: 'buyer.confirmed', buyer: { email: 'buyer@contoso.com' } } },
  ],
  'provisioning.completed': () => [{ label: 'provisioning.completed', event: { type: 'provisioning.completed' } }],
  'provisioning.pending': () => [
    { label: 'provisioning.pending', event: { type: 'provisioning.pending', reference: 'job-1' } },
  ],
  'provisioning.failed': () => [
    { label: 'provisioning.failed', event: { type: 'provisioning.failed', message: 'quota' } },
  ],
  'activation.completed': () => [{ label: 'activation.completed', event: { type: 'activation.completed' } }],
  'activation.failed': () => [
    { label: 'activation.failed', event: { type: 'activation.failed', message: 'Activate answered 500' } },
  ],
  'change.decided': (c) =>
    [true, false].map((accept) => ({
      label: `change.decided:${accept ? 'accept' : 'reject'}`,
      event: { type: 'change.decided', operationId: c.change?.operationId ?? 'no-change', accept },
    })),
  'operation.settled': (c) =>
    (['Succeeded', 'Failed'] as const).map((status) => ({
      label: `operation.settled:${status}`,
      event: {
        type: 'operation.settled',
        operationId: c.change?.operationId ?? fresh(c, 'settled'),
        status,
        requestId: c.request?.requestId,
      },
    })),
  'vendor.changePlan': (c) => [
    {
      label: 'vendor.changePlan',
      event: { type: 'vendor.changePlan', requestId: fresh(c, 'req-plan'), planId: otherPlan(c) },
    },
  ],
  'vendor.changeQuantity': (c) => [
    {
      label: 'vendor.changeQuantity',
      event: {
        type: 'vendor.changeQuantity',
        requestId: fresh(c, 'req-quantity'),
        quantity: (c.subscription.quantity ?? 1) + 1,
      },
    },
  ],
  'vendor.cancel': (c) => [
    { label: 'vendor.cancel', event: { type: 'vendor.cancel', requestId: fresh(c, 'req-cancel') } },
  ],
  'vendor.requestFailed': (c) => [
    {
      label: 'vendor.requestFailed',
      event: { type: 'vendor.requestFailed', requestId: c.request?.requestId ?? 'no-request', message: '409' },
    },
  ],
  'reinstatement.decided': () =>
    [true, false].map((accept) => ({
      label: `reinstatement.decided:${accept ? 'accept' : 'refuse'}`,
      event: { type: 'reinstatement.decided', accept },
    })),
  'status.observed': (c) => [
    ...OBSERVED_STATUSES.map((status): Variant => ({
      label: `status.observed:${status}`,
      event: {
        type: 'status.observed',
        subscription: { ...c.subscription, saasSubscriptionStatus: status, name: 'Observed' },
      },
    })),
    {
      label: 'status.observed:drift',
      event: {
        type: 'status.observed',
        subscription: { ...c.subscription, planId: 'drifted', quantity: (c.subscription.quantity ?? 1) + 10 },
      },
    },
  ],
  retry: () => [{ label: 'retry', event: { type: 'retry' } }],
}

const EVENT_TYPES = [...MARKETPLACE_EVENT_TYPES, ...LIFECYCLE_EVENT_TYPES]
const variantsOf = (snapshot: SubscriptionSnapshot): Variant[] =>
  EVENT_TYPES.flatMap((type) => BUILDERS[type](snapshot.context))

// ---------------------------------------------------------------------------------------------------
// The contract, as a table: what each step must accept, and what no step may.

/** Microsoft's word that the subscription ended is taken everywhere before the end (§5.1: Unsubscribe in any state). */
const ALWAYS = ['Unsubscribe:Succeeded', 'status.observed:Unsubscribed']

const MUST_ACCEPT: Record<RestingStep, string[]> = {
  awaitingBuyer: [...ALWAYS, 'buyer.confirmed', 'Subscribe:Succeeded', 'status.observed:Subscribed', 'vendor.cancel'],
  provisioning: [
    ...ALWAYS,
    'provisioning.completed',
    'provisioning.pending',
    'provisioning.failed',
    'Subscribe:Succeeded',
    'status.observed:Subscribed',
  ],
  provisioningFailed: [...ALWAYS, 'retry', 'vendor.cancel'],
  activating: [
    ...ALWAYS,
    'activation.completed',
    'activation.failed',
    'Subscribe:Succeeded',
    'status.observed:Subscribed',
  ],
  activationFailed: [...ALWAYS, 'retry', 'vendor.cancel', 'status.observed:Subscribed'],
  'subscribed.idle': [
    ...ALWAYS,
    // §4.2: customer changes arrive InProgress; a late webhook after the auto-accept arrives Succeeded.
    'ChangePlan:InProgress',
    'ChangePlan:Succeeded',
    'ChangeQuantity:InProgress',
    'ChangeQuantity:Succeeded',
    'Suspend:Succeeded',
    'Renew:Succeeded',
    'vendor.changePlan',
    'vendor.changeQuantity',
    'vendor.cancel',
    'status.observed:Suspended',
    'status.observed:drift',
  ],
  'subscribed.deciding': [...ALWAYS, 'change.decided:accept', 'change.decided:reject'],
  'subscribed.acknowledging': [...ALWAYS, 'operation.settled:Succeeded', 'operation.settled:Failed'],
  'subscribed.changing': [...ALWAYS, 'operation.settled:Succeeded', 'operation.settled:Failed', 'vendor.requestFailed'],
  cancelling: [...ALWAYS, 'operation.settled:Succeeded', 'operation.settled:Failed', 'vendor.requestFailed'],
  'suspended.idle': [
    ...ALWAYS,
    'Reinstate:InProgress',
    'Reinstate:Succeeded',
    'vendor.cancel',
    'status.observed:Subscribed',
  ],
  'suspended.reinstating': [...ALWAYS, 'reinstatement.decided:accept', 'reinstatement.decided:refuse'],
  unsubscribed: [],
}

/** What depends on the pending change or request, beyond the table. */
function mustAcceptToo(step: string, c: SubscriptionContext): string[] {
  // The pending change's own webhook, redelivered with its final status, settles it.
  if (step === 'subscribed.acknowledging' && c.change)
    return [`${c.change.action}:Succeeded`, `${c.change.action}:Failed`]
  // Microsoft's webhook for the vendor's own change confirms it.
  if (step === 'subscribed.changing' && c.request?.kind === 'changePlan') return ['ChangePlan:Succeeded']
  if (step === 'subscribed.changing' && c.request?.kind === 'changeQuantity') return ['ChangeQuantity:Succeeded']
  return []
}

const effective = (label: string) => /:(InProgress|Succeeded)$/.test(label)
const is = (label: string, ...types: string[]) => types.some((t) => label === t || label.startsWith(`${t}:`))

/** The contract rule an applied event would break in this step, if any. */
function forbidden(step: string, label: string): string | undefined {
  const subscribed = step.startsWith('subscribed.')
  if (step === 'unsubscribed') return 'Unsubscribed is final (§5.1)'
  if (is(label, 'operation.unknown')) return 'an unknown action is recorded, never applied'
  if (effective(label) && is(label, 'ChangePlan', 'ChangeQuantity') && !subscribed)
    return 'only Subscribed can change plan or quantity (§5.1)'
  if (is(label, 'vendor.changePlan', 'vendor.changeQuantity') && !subscribed)
    return 'only Subscribed can change plan or quantity (§2.7)'
  // A Suspend for a subscription already Suspended is taken as a no-op (adopted after the fact).
  if (effective(label) && is(label, 'Suspend') && !subscribed && step !== 'suspended.idle')
    return 'only Subscribed can be suspended (§5.1)'
  // Likewise a Reinstate that Microsoft already completed, for a subscription already Subscribed.
  if (
    effective(label) &&
    is(label, 'Reinstate') &&
    !step.startsWith('suspended.') &&
    !(label === 'Reinstate:Succeeded' && step === 'subscribed.idle')
  )
    return 'only Suspended can be reinstated (§5.1)'
  if (effective(label) && is(label, 'Renew') && !subscribed) return 'only Active subscriptions are renewed (§5.1)'
  return undefined
}

/** Results of the machine's own requests are taken only in the step that asked for them. */
const ONLY_IN: Record<string, readonly string[]> = {
  'provisioning.completed': ['provisioning'],
  'provisioning.pending': ['provisioning'],
  'provisioning.failed': ['provisioning'],
  'activation.completed': ['activating'],
  'activation.failed': ['activating'],
  retry: ['provisioningFailed', 'activationFailed'],
  'change.decided': ['subscribed.deciding'],
  'reinstatement.decided': ['suspended.reinstating'],
  'vendor.requestFailed': ['subscribed.changing', 'cancelling'],
  'operation.settled': ['subscribed.acknowledging', 'subscribed.changing', 'cancelling'],
  'vendor.cancel': ['awaitingBuyer', 'provisioningFailed', 'activationFailed', 'subscribed.idle', 'suspended.idle'],
  'vendor.changePlan': ['subscribed.idle'],
  'vendor.changeQuantity': ['subscribed.idle'],
}

// ---------------------------------------------------------------------------------------------------
// The walk.

const STARTS: Record<string, SubscriptionInput> = {
  purchase: input('purchase'),
  'adoption of a PendingFulfillmentStart subscription': input('adoption'),
  'adoption of a Subscribed subscription': input('adoption', { saasSubscriptionStatus: 'Subscribed' }),
  'adoption of a Suspended subscription': input('adoption', { saasSubscriptionStatus: 'Suspended' }),
  'adoption of an Unsubscribed subscription': input('adoption', { saasSubscriptionStatus: 'Unsubscribed' }),
}

/** States are told apart by step and by what changes what the step accepts. */
function keyOf(snapshot: SubscriptionSnapshot): string {
  const c = snapshot.context
  return JSON.stringify([
    stepOf(snapshot),
    c.subscription.saasSubscriptionStatus,
    c.request?.kind,
    c.request?.from,
    c.change?.action,
  ])
}

function reachable(start: SubscriptionInput): SubscriptionSnapshot[] {
  return getShortestPaths(subscriptionMachine, {
    input: start,
    events: (snapshot) => variantsOf(snapshot).map((v) => v.event),
    serializeState: (snapshot) => keyOf(snapshot),
  }).map((path) => path.state)
}

const walked = Object.entries(STARTS).map(([name, start]) => ({ name, start, states: reachable(start) }))
const states = new Map<string, SubscriptionSnapshot>()
for (const { states: found } of walked) for (const s of found) if (!states.has(keyOf(s))) states.set(keyOf(s), s)
const cases = [...states.entries()].map(([key, snapshot]) => ({ key, step: stepOf(snapshot), snapshot }))

describe('the generated walk', () => {
  it('builds every event type, operations both InProgress and Succeeded', () => {
    const labels = variantsOf(cases[0]!.snapshot).map((v) => v.label)
    const types = new Set(variantsOf(cases[0]!.snapshot).map((v) => v.event.type))
    expect(types).toEqual(new Set(EVENT_TYPES))
    for (const type of MARKETPLACE_EVENT_TYPES) {
      expect(labels).toContain(`${type}:InProgress`)
      expect(labels).toContain(`${type}:Succeeded`)
    }
  })

  it('reaches every resting step, from a purchase or an adoption', () => {
    expect(new Set(cases.map((c) => c.step))).toEqual(new Set(STEPS))
    const fromPurchase = new Set(walked.find((w) => w.name === 'purchase')!.states.map(stepOf))
    expect(fromPurchase).toEqual(new Set(STEPS))
    for (const { name, states: found } of walked.filter((w) => w.name.startsWith('adoption'))) {
      expect(found.length, name).toBeGreaterThan(0)
    }
  })

  it('reaches every state node of the machine, including the transient routing', () => {
    const nodes = getStateNodes(subscriptionMachine.root).map((n) => n.id)
    const reached = new Set<string>()
    for (const { step } of cases) {
      const parts = step.split('.')
      parts.forEach((_, i) => reached.add(['subscription', ...parts.slice(0, i + 1)].join('.')))
    }
    // `routing` only has eventless transitions: it is entered by every start and left in the same step.
    for (const start of Object.values(STARTS)) {
      const actor = createActor(subscriptionMachine, {
        input: start,
        inspect: (event) => {
          if (event.type !== '@xstate.microstep') return
          for (const t of event._transitions) reached.add(t.source.id)
        },
      })
      actor.start()
      actor.stop()
    }
    expect([...reached].sort()).toEqual([...nodes].sort())
  })

  it('tells apart the states that accept different events', () => {
    const provisioning = cases.filter((c) => c.step === 'provisioning')
    expect(new Set(provisioning.map((c) => c.snapshot.context.subscription.saasSubscriptionStatus))).toEqual(
      new Set(['PendingFulfillmentStart', 'Subscribed']),
    )
    const cancelling = cases.filter((c) => c.step === 'cancelling')
    expect(new Set(cancelling.map((c) => c.snapshot.context.request?.from))).toEqual(
      new Set(['awaitingBuyer', 'provisioningFailed', 'activationFailed', 'subscribed', 'suspended']),
    )
    const changing = cases.filter((c) => c.step === 'subscribed.changing')
    expect(new Set(changing.map((c) => c.snapshot.context.request?.kind))).toEqual(
      new Set(['changePlan', 'changeQuantity']),
    )
    const deciding = cases.filter((c) => c.step === 'subscribed.deciding')
    expect(new Set(deciding.map((c) => c.snapshot.context.change?.action))).toEqual(
      new Set(['ChangePlan', 'ChangeQuantity']),
    )
  })

  it('has a table that requires and forbids what the contract says (the oracle is not empty)', () => {
    for (const step of STEPS.filter((s) => s !== 'unsubscribed'))
      expect(MUST_ACCEPT[step]).toEqual(expect.arrayContaining(ALWAYS))
    expect(MUST_ACCEPT.unsubscribed).toEqual([])
    expect(forbidden('suspended.idle', 'ChangePlan:InProgress')).toBeDefined()
    expect(forbidden('suspended.reinstating', 'Suspend:Succeeded')).toBeDefined()
    expect(forbidden('activating', 'Suspend:Succeeded')).toBeDefined()
    expect(forbidden('suspended.idle', 'vendor.changeQuantity')).toBeDefined()
    expect(forbidden('subscribed.idle', 'Reinstate:InProgress')).toBeDefined()
    expect(forbidden('awaitingBuyer', 'Renew:Succeeded')).toBeDefined()
    expect(forbidden('unsubscribed', 'status.observed:Subscribed')).toBeDefined()
    expect(forbidden('subscribed.idle', 'operation.unknown:Succeeded')).toBeDefined()
    expect(forbidden('suspended.idle', 'ChangePlan:Failed')).toBeUndefined()
    expect(forbidden('subscribed.idle', 'ChangePlan:InProgress')).toBeUndefined()
  })

  it('covers every reachable state with every event', () => {
    const pairs = cases.reduce((n, c) => n + variantsOf(c.snapshot).length, 0)
    expect(cases.length).toBeGreaterThanOrEqual(STEPS.length)
    expect(pairs).toBe(cases.length * variantsOf(cases[0]!.snapshot).length)
  })
})

describe.each(cases)('in $key', ({ step, snapshot }) => {
  const variants = variantsOf(snapshot)
  const results = variants.map(({ label, event }) => {
    try {
      return { label, event, next: dispatch({ snapshot, deferred: [] }, event, T0) }
    } catch (error) {
      return { label, event, error }
    }
  })
  const outcome = (label: string) => results.find((r) => r.label === label)?.next?.decisions[0]?.outcome

  it('never throws, and each event is applied or deliberately not, with a reason', () => {
    const problems: string[] = []
    for (const r of results) {
      if (!r.next) {
        problems.push(`${r.label} threw ${String(r.error)}`)
        continue
      }
      const decision = r.next.decisions[0]
      if (!decision) problems.push(`${r.label}: no decision`)
      else if (decision.outcome !== 'applied' && !decision.reason)
        problems.push(`${r.label}: ${decision.outcome} without reason`)
      else if (
        decision.outcome === 'deferred' &&
        !(MARKETPLACE_EVENT_TYPES as readonly string[]).includes(r.event.type)
      )
        problems.push(`${r.label}: only Microsoft operations are kept for later`)
    }
    expect(problems).toEqual([])
  })

  it('accepts every event the contract requires here', () => {
    const required = [...MUST_ACCEPT[step as RestingStep], ...mustAcceptToo(step, snapshot.context)]
    expect(required.filter((label) => outcome(label) !== 'applied').map((l) => `${l} was ${outcome(l)}`)).toEqual([])
  })

  it('accepts no event the contract forbids here', () => {
    const broken = results
      .filter((r) => r.next?.decisions[0]?.outcome === 'applied')
      .flatMap((r) => {
        const rule = forbidden(step, r.label)
        const type = r.label.split(':')[0]!
        const only = ONLY_IN[type]
        if (rule) return [`${r.label}: ${rule}`]
        if (only && !only.includes(step)) return [`${r.label}: only taken in ${only.join(', ')}`]
        return []
      })
    expect(broken).toEqual([])
  })

  it('changes nothing on a Failed operation', () => {
    const changed = results
      .filter(
        (r) => r.label.endsWith(':Failed') && (MARKETPLACE_EVENT_TYPES as readonly string[]).includes(r.event.type),
      )
      .filter((r) => {
        const next = r.next!
        // The pending change's own operation settling Failed ends the wait; that is its purpose.
        const settlesPending = 'operationId' in r.event && r.event.operationId === snapshot.context.change?.operationId
        return (
          next.effects.length > 0 ||
          JSON.stringify(next.snapshot.context.subscription) !== JSON.stringify(snapshot.context.subscription) ||
          (!settlesPending && stepOf(next.snapshot) !== step)
        )
      })
      .map((r) => r.label)
    expect(changed).toEqual([])
  })
})
