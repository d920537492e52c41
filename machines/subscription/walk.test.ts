/**
 * A generated walk of the machine: every reachable state (found with @xstate/graph from each way a
 * workflow can start) × every event type, through the driver, checked against a table derived from
 * Microsoft's contract (docs/marketplace-contract.md §4–5).
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
import { STEPS, T0, input, minutes } from '../../test/support/lifecycle.ts'

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
  Renew: (c) => operations('Renew', c),
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
  // Microsoft's answer to the vendor's request (or to nothing), and to the acknowledgement of the open change.
  'operation.settled': (c) =>
    (['Succeeded', 'Failed'] as const).flatMap((status): Variant[] => [
      {
        label: `operation.settled:${status}`,
        event: { type: 'operation.settled', operationId: fresh(c, 'settled'), status, requestId: c.request?.requestId },
      },
      ...(c.change
        ? [
            {
              label: `operation.settled:${status}:change`,
              event: { type: 'operation.settled' as const, operationId: c.change.operationId, status },
            },
          ]
        : []),
    ]),
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
  'resync.requested': () => [
    { label: 'resync.requested', event: { type: 'resync.requested', reason: 'an operator asked' } },
  ],
}

const EVENT_TYPES = [...MARKETPLACE_EVENT_TYPES, ...LIFECYCLE_EVENT_TYPES]
const variantsOf = (snapshot: SubscriptionSnapshot): Variant[] =>
  EVENT_TYPES.flatMap((type) => BUILDERS[type](snapshot.context))

// ---------------------------------------------------------------------------------------------------
// The contract, as a table: what each state must accept, and what none may. Rules read the machine's
// state node (`subscribed.idle` also while `stepOf` shows it as `subscribed.deciding`/`acknowledging`),
// whether a customer change is open, and whether the run converges on Microsoft's view.

/** The state node: the state path, without the step names `stepOf` gives an open change. */
function nodeOf(snapshot: SubscriptionSnapshot): string {
  const path = (value: unknown): string[] =>
    typeof value === 'string' ? [value] : Object.entries(value as object).flatMap(([k, v]) => [k, ...path(v)])
  return path(snapshot.value).join('.')
}

const OBSERVED = [...OBSERVED_STATUSES.map((status) => `status.observed:${status}`), 'status.observed:drift']

/**
 * Microsoft's word is taken everywhere before the end: Unsubscribe in any state (§5.1), and its view of the
 * subscription (Get Subscription), which a busy step notes and reads again once it rests; and a request
 * to read that view now.
 */
const ALWAYS = ['Unsubscribe:Succeeded', ...OBSERVED, 'resync.requested']

const MUST_ACCEPT: Record<string, string[]> = {
  awaitingBuyer: [...ALWAYS, 'buyer.confirmed', 'Subscribe:Succeeded'],
  provisioning: [
    ...ALWAYS,
    'provisioning.completed',
    'provisioning.pending',
    'provisioning.failed',
    'Subscribe:Succeeded',
  ],
  provisioningFailed: [...ALWAYS, 'retry', 'Subscribe:Succeeded'],
  activating: [...ALWAYS, 'activation.completed', 'activation.failed', 'Subscribe:Succeeded'],
  activationFailed: [...ALWAYS, 'retry', 'Subscribe:Succeeded'],
  'subscribed.idle': [
    ...ALWAYS,
    // Notify-only operations arrive Succeeded (§4.2): a hint to read Microsoft's view.
    'Suspend:Succeeded',
    'Renew:Succeeded',
    'Reinstate:Succeeded',
    // An InProgress Reinstate (older docs) finds it active already: acknowledged at once.
    'Reinstate:InProgress',
  ],
  'subscribed.changing': [...ALWAYS, 'operation.settled:Succeeded', 'operation.settled:Failed', 'vendor.requestFailed'],
  cancelling: [...ALWAYS, 'operation.settled:Succeeded', 'operation.settled:Failed', 'vendor.requestFailed'],
  'suspended.idle': [...ALWAYS, 'Reinstate:InProgress', 'Reinstate:Succeeded', 'Suspend:Succeeded'],
  'suspended.reinstating': [...ALWAYS, 'reinstatement.decided:accept', 'reinstatement.decided:refuse'],
  unsubscribed: [],
}

const CANCELLABLE = ['awaitingBuyer', 'provisioningFailed', 'activationFailed', 'subscribed.idle', 'suspended.idle']

/** What depends on the open customer change, the vendor request or the run's convergence, beyond the table. */
function mustAcceptToo(node: string, c: SubscriptionContext): string[] {
  if (node === 'unsubscribed') return []
  const labels: string[] = []
  // §4.2: a customer change arrives InProgress and is decided in any state (Microsoft waits 10 seconds).
  if (!c.change) labels.push('ChangePlan:InProgress', 'ChangeQuantity:InProgress')
  // The open change is decided, then settles by the acknowledgement's answer or by its own final webhook.
  if (c.change && c.change.accept === undefined) labels.push('change.decided:accept', 'change.decided:reject')
  if (c.change) labels.push('operation.settled:Succeeded:change', 'operation.settled:Failed:change')
  if (c.change) labels.push(`${c.change.action}:Succeeded`, `${c.change.action}:Failed`)
  // A change Microsoft completed before its webhook got here is a hint to read Microsoft, in any state.
  if (c.converge) labels.push('ChangePlan:Succeeded', 'ChangeQuantity:Succeeded')
  else if (node === 'subscribed.idle') labels.push('ChangePlan:Succeeded', 'ChangeQuantity:Succeeded')
  // The vendor's requests go to Microsoft only while no customer change is open: changes from subscribed.idle,
  // a cancellation from any state that is not already waiting on Microsoft.
  if (node === 'subscribed.idle' && !c.change) labels.push('vendor.changePlan', 'vendor.changeQuantity')
  if (CANCELLABLE.includes(node) && !c.change) labels.push('vendor.cancel')
  // Microsoft's webhook for the vendor's own change confirms it.
  if (node === 'subscribed.changing' && c.request?.kind === 'changePlan') labels.push('ChangePlan:Succeeded')
  if (node === 'subscribed.changing' && c.request?.kind === 'changeQuantity') labels.push('ChangeQuantity:Succeeded')
  return labels
}

const effective = (label: string) => /:(InProgress|Succeeded)$/.test(label)
const is = (label: string, ...types: string[]) => types.some((t) => label === t || label.startsWith(`${t}:`))

/** The contract rule an applied event would break in this state, if any. */
function forbidden(node: string, c: SubscriptionContext, label: string): string | undefined {
  const subscribed = node.startsWith('subscribed.')
  if (node === 'unsubscribed') return 'Unsubscribed is final (§5.1)'
  if (is(label, 'operation.unknown')) return 'an unknown action is recorded, never applied'
  // (The open change's own webhook, redelivered final, settles it wherever it is.)
  const ownChange = !!c.change && is(label, c.change.action)
  if (
    label.endsWith(':Succeeded') &&
    is(label, 'ChangePlan', 'ChangeQuantity') &&
    !subscribed &&
    !c.converge &&
    !ownChange
  )
    return 'before convergence, only Subscribed takes a completed change (§5.1)'
  if (is(label, 'vendor.changePlan', 'vendor.changeQuantity') && !subscribed)
    return 'only Subscribed can change plan or quantity (§2.7)'
  if (is(label, 'vendor.changePlan', 'vendor.changeQuantity') && c.change)
    return 'a vendor change waits until the customer’s change settles'
  if (is(label, 'vendor.cancel') && c.change) return 'a vendor cancellation waits until the customer’s change settles'
  if (is(label, 'change.decided') && !c.change) return 'a decision needs an open customer change'
  if (label.endsWith(':change') && !c.change) return 'a settlement of a change needs an open customer change'
  // A Suspend for a subscription already Suspended is taken as a no-op (adopted after the fact).
  if (effective(label) && is(label, 'Suspend') && node !== 'subscribed.idle' && node !== 'suspended.idle')
    return 'only Subscribed can be suspended (§5.1)'
  // A Reinstate finding the subscription active already is read (Succeeded) or acknowledged (InProgress).
  if (effective(label) && is(label, 'Reinstate') && !node.startsWith('suspended.') && node !== 'subscribed.idle')
    return 'only Suspended can be reinstated (§5.1)'
  if (effective(label) && is(label, 'Renew') && !subscribed) return 'only Active subscriptions are renewed (§5.1)'
  return undefined
}

/** Results of the machine's own requests are taken only in the state that asked for them. */
const ONLY_IN: Record<string, (node: string, c: SubscriptionContext) => boolean> = {
  'provisioning.completed': (node) => node === 'provisioning',
  'provisioning.pending': (node) => node === 'provisioning',
  'provisioning.failed': (node) => node === 'provisioning',
  'activation.completed': (node) => node === 'activating',
  'activation.failed': (node) => node === 'activating',
  retry: (node) => ['provisioningFailed', 'activationFailed'].includes(node),
  'reinstatement.decided': (node) => node === 'suspended.reinstating',
  'vendor.requestFailed': (node) => ['subscribed.changing', 'cancelling'].includes(node),
  // Elsewhere only a Succeeded one of no request (a customer change overtaken by the next), and then only to
  // read Microsoft (see HINTS): it changes nothing by itself.
  'operation.settled': (node, c) => ['subscribed.changing', 'cancelling'].includes(node) || (c.converge && !c.request),
  'vendor.cancel': (node) => CANCELLABLE.includes(node),
  'vendor.changePlan': (node) => node === 'subscribed.idle',
  'vendor.changeQuantity': (node) => node === 'subscribed.idle',
}

/** Operations that only hint that Microsoft's view changed (§4.2 notify-only, or a change already completed). */
const HINTS = [
  'Suspend:Succeeded',
  'Reinstate:Succeeded',
  'Renew:Succeeded',
  'ChangePlan:Succeeded',
  'ChangeQuantity:Succeeded',
]

// ---------------------------------------------------------------------------------------------------
// The walk.

const STARTS: Record<string, SubscriptionInput> = {
  purchase: input('purchase'),
  'purchase recorded before convergence': input('purchase', {}, { converge: false }),
  'adoption of a PendingFulfillmentStart subscription': input('adoption'),
  'adoption of a Subscribed subscription': input('adoption', { saasSubscriptionStatus: 'Subscribed' }),
  'adoption of a Suspended subscription': input('adoption', { saasSubscriptionStatus: 'Suspended' }),
  'adoption of an Unsubscribed subscription': input('adoption', { saasSubscriptionStatus: 'Unsubscribed' }),
}

/** States are told apart by step and by what changes what the step accepts or does next. */
function keyOf(snapshot: SubscriptionSnapshot): string {
  const c = snapshot.context
  return JSON.stringify([
    stepOf(snapshot),
    c.subscription.saasSubscriptionStatus,
    c.request?.kind,
    c.request?.from,
    c.change?.action,
    c.change?.accept === undefined,
    c.converge,
    !!c.resyncDue,
    !!c.reinstatement?.open,
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
const cases = [...states.entries()].map(([key, snapshot]) => ({
  key,
  step: stepOf(snapshot),
  node: nodeOf(snapshot),
  snapshot,
}))

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
    for (const { node } of cases) {
      const parts = node.split('.')
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
    // A customer change is open outside subscribed.idle too, and the walk goes there. (The walk drives the
    // machine itself, which still takes root events once final; the driver refuses them, see machine.test.ts.)
    const elsewhere = cases.filter(
      (c) => c.snapshot.context.change && !['subscribed.idle', 'unsubscribed'].includes(c.node),
    )
    const nodes = STEPS.filter((s) => !['unsubscribed', 'subscribed.deciding', 'subscribed.acknowledging'].includes(s))
    expect(new Set(elsewhere.map((c) => c.node))).toEqual(new Set(nodes.filter((s) => s !== 'subscribed.idle')))
    // Busy states that saw Microsoft's view differ, and runs recorded before convergence.
    expect(cases.some((c) => c.snapshot.context.resyncDue)).toBe(true)
    expect(new Set(cases.filter((c) => !c.snapshot.context.converge).map((c) => c.step))).toEqual(new Set(STEPS))
  })

  it('has a table that requires and forbids what the contract says (the oracle is not empty)', () => {
    const find = (step: string, converge: boolean) =>
      cases.find((c) => c.step === step && c.snapshot.context.converge === converge)!.snapshot.context
    const converging = find('subscribed.idle', true)
    const legacy = find('subscribed.idle', false)
    const deciding = find('subscribed.deciding', true)
    for (const node of Object.keys(MUST_ACCEPT).filter((s) => s !== 'unsubscribed'))
      expect(MUST_ACCEPT[node]).toEqual(expect.arrayContaining(ALWAYS))
    expect(MUST_ACCEPT.unsubscribed).toEqual([])
    expect(mustAcceptToo('suspended.idle', converging)).toContain('ChangePlan:InProgress')
    expect(mustAcceptToo('subscribed.idle', deciding)).toContain('change.decided:accept')
    expect(mustAcceptToo('subscribed.idle', deciding)).not.toContain('vendor.cancel')
    expect(forbidden('suspended.idle', legacy, 'ChangePlan:Succeeded')).toBeDefined()
    expect(forbidden('suspended.idle', converging, 'ChangePlan:Succeeded')).toBeUndefined()
    expect(forbidden('suspended.reinstating', converging, 'Suspend:Succeeded')).toBeDefined()
    expect(forbidden('activating', converging, 'Suspend:Succeeded')).toBeDefined()
    expect(forbidden('suspended.idle', converging, 'vendor.changeQuantity')).toBeDefined()
    expect(forbidden('subscribed.idle', deciding, 'vendor.changePlan')).toBeDefined()
    expect(forbidden('subscribed.changing', converging, 'Reinstate:InProgress')).toBeDefined()
    expect(forbidden('subscribed.idle', converging, 'Reinstate:InProgress')).toBeUndefined()
    expect(forbidden('awaitingBuyer', converging, 'Renew:Succeeded')).toBeDefined()
    expect(forbidden('unsubscribed', converging, 'status.observed:Subscribed')).toBeDefined()
    expect(forbidden('subscribed.idle', converging, 'operation.unknown:Succeeded')).toBeDefined()
    expect(forbidden('subscribed.idle', converging, 'change.decided:accept')).toBeDefined()
    expect(forbidden('suspended.idle', converging, 'ChangePlan:InProgress')).toBeUndefined()
  })

  it('covers every reachable state with every event', () => {
    expect(cases.length).toBeGreaterThanOrEqual(STEPS.length)
    for (const { key, snapshot } of cases)
      expect(new Set(variantsOf(snapshot).map((v) => v.event.type)), key).toEqual(new Set(EVENT_TYPES))
  })
})

describe.each(cases)('in $key', ({ step, node, snapshot }) => {
  const variants = variantsOf(snapshot)
  const results = variants.map(({ label, event }) => {
    try {
      return { label, event, next: dispatch({ snapshot, deferred: [] }, event, T0) }
    } catch (error) {
      return { label, event, error }
    }
  })
  const outcome = (label: string) => results.find((r) => r.label === label)?.next?.decisions[0]?.outcome
  const c = snapshot.context

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
    const required = [...(MUST_ACCEPT[node] ?? []), ...mustAcceptToo(node, c)]
    expect(required.filter((label) => outcome(label) !== 'applied').map((l) => `${l} was ${outcome(l)}`)).toEqual([])
  })

  it('accepts no event the contract forbids here', () => {
    const broken = results
      .filter((r) => r.next?.decisions[0]?.outcome === 'applied')
      .flatMap((r) => {
        const rule = forbidden(node, c, r.label)
        // The open change's settlement is taken wherever the change is (see `forbidden`).
        const only = r.label.endsWith(':change') ? undefined : ONLY_IN[r.label.split(':')[0]!]
        if (rule) return [`${r.label}: ${rule}`]
        if (only && !only(node, c)) return [`${r.label}: not taken in ${node}`]
        return []
      })
    expect(broken).toEqual([])
  })

  it('reads Microsoft on a hint and takes status, plan and seats only from its view, when converging', () => {
    const facts = (s: SubscriptionSnapshot) => {
      const { saasSubscriptionStatus, planId, quantity } = s.context.subscription
      return JSON.stringify([nodeOf(s), saasSubscriptionStatus, planId, quantity])
    }
    // The open change's own final webhook settles it; Microsoft's webhook for the vendor's request confirms it.
    const hints = results.filter(
      (r) =>
        c.converge &&
        HINTS.includes(r.label) &&
        r.next?.decisions[0]?.outcome === 'applied' &&
        'operationId' in r.event &&
        r.event.operationId !== c.change?.operationId &&
        !(node === 'subscribed.changing' && is(r.label, 'ChangePlan', 'ChangeQuantity')) &&
        // A Suspend that finds the subscription suspended agrees with it: there is nothing to read.
        !(node === 'suspended.idle' && is(r.label, 'Suspend')),
    )
    expect(hints.filter((r) => facts(r.next!.snapshot) !== facts(snapshot)).map((r) => r.label)).toEqual([])
    expect(hints.filter((r) => !r.next!.effects.some((e) => e.type === 'resync')).map((r) => r.label)).toEqual([])
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
