import { describe, expect, it } from 'vitest'
import {
  LIFECYCLE_EVENT_TYPES,
  MARKETPLACE_EVENT_TYPES,
  dispatch,
  persist,
  restore,
  stepOf,
  viewOf,
  type DriverState,
  type PersistedState,
  type Step,
  type SubscriptionEvent,
} from './index.ts'
import {
  Run,
  T0,
  changePlan,
  changeQuantity,
  effect,
  minutes,
  observed,
  operation,
  reach,
  unknownOperation,
  unsubscribe,
} from '../../test/support/lifecycle.ts'

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T

describe('duplicate operations', () => {
  it('reads Microsoft once when the same Suspend webhook arrives three times, and suspends once', () => {
    const run = reach('subscribed.idle')
    const steps = [1, 2, 3].map((n) => run.send(operation('Suspend', 'op-s'), minutes(n)))
    // The webhook is a hint: the subscription stays as it is until Microsoft's view says Suspended.
    expect(run.step).toBe('subscribed.idle')
    expect(steps.flatMap((s) => s.effects.map((e) => e.type))).toEqual(['resync'])
    expect(effect(steps[0]!, 'resync')).toEqual({ subscriptionId: 'sub-1', reason: 'Suspend' })
    expect(steps.map((s) => s.decisions[0]?.outcome)).toEqual(['applied', 'ignored', 'ignored'])
    expect(steps[1]!.decisions[0]).toEqual({
      at: minutes(2),
      event: 'Suspend',
      operationId: 'op-s',
      requestId: undefined,
      from: 'subscribed.idle',
      to: 'subscribed.idle',
      outcome: 'ignored',
      reason: 'operation op-s was already applied',
      effects: [],
    })
    expect(steps[2]!.deferred).toEqual([])
    const seen = run.send(observed({ saasSubscriptionStatus: 'Suspended' }))
    expect(run.step).toBe('suspended.idle')
    expect(seen.effects.map((e) => e.type)).toEqual(['suspendAccess'])
    expect(run.send(operation('Suspend', 'op-s')).effects).toEqual([])
  })

  it('has one effect when the same Suspend webhook arrives three times in a run from before convergence', () => {
    const run = reach('subscribed.idle', { converge: false })
    const steps = [1, 2, 3].map((n) => run.send(operation('Suspend', 'op-s'), minutes(n)))
    expect(run.step).toBe('suspended.idle')
    expect(steps.flatMap((s) => s.effects.map((e) => e.type))).toEqual(['suspendAccess'])
    expect(steps.map((s) => s.decisions[0]?.outcome)).toEqual(['applied', 'ignored', 'ignored'])
  })

  it('reads Microsoft once when a completed ChangePlan is delivered three times, and applies it once', () => {
    const run = reach('subscribed.idle')
    const event = changePlan('op-c', 'premium', { status: 'Succeeded', timeStamp: minutes(1) })
    const steps = [run.send(event), run.send(event), run.send(event)]
    expect(steps.flatMap((s) => s.effects.map((e) => e.type))).toEqual(['resync'])
    expect(steps.slice(1).map((s) => s.decisions[0]?.reason)).toEqual([
      'operation op-c was already applied',
      'operation op-c was already applied',
    ])
    expect(run.context.operations.filter((id) => id === 'op-c')).toHaveLength(1)
    const seen = run.send(observed({ saasSubscriptionStatus: 'Subscribed', planId: 'premium' }))
    expect(seen.effects.map((e) => e.type)).toEqual(['applyChange'])
    expect(run.send(observed({ saasSubscriptionStatus: 'Subscribed', planId: 'premium' })).effects).toEqual([])
    expect(run.context.subscription.planId).toBe('premium')
  })

  it('applies a completed ChangePlan once when it is delivered three times in a run from before convergence', () => {
    const run = reach('subscribed.idle', { converge: false })
    const event = changePlan('op-c', 'premium', { status: 'Succeeded', timeStamp: minutes(1) })
    const steps = [run.send(event), run.send(event), run.send(event)]
    expect(steps.flatMap((s) => s.effects.map((e) => e.type))).toEqual(['applyChange'])
    expect(run.context.subscription.planId).toBe('premium')
  })

  // Microsoft redelivers a webhook it got no timely answer to, while the change is still open.
  it('decides a customer change once when its InProgress webhook is delivered three times', () => {
    const run = reach('subscribed.idle')
    const event = changePlan('op-c', 'premium', { timeStamp: minutes(1) })
    const steps = [run.send(event), run.send(event), run.send(event)]
    expect(steps.flatMap((s) => s.effects.map((e) => e.type))).toEqual(['decideChange'])
    expect(steps.slice(1).every((s) => s.decisions[0]?.outcome !== 'applied')).toBe(true)
  })

  it('records a redelivered InProgress change as a duplicate while it is being decided', () => {
    const run = reach('subscribed.idle')
    const event = changePlan('op-c', 'premium')
    run.send(event)
    const again = run.send(event)
    expect(again.decisions[0]).toMatchObject({
      outcome: 'ignored',
      reason: 'operation op-c is being decided already',
    })
    expect(again.deferred).toEqual([])
  })

  it('acknowledges and applies a customer change once, and ignores its webhook redelivered afterwards', () => {
    const run = reach('subscribed.idle')
    const event = changePlan('op-c', 'premium', { timeStamp: minutes(1) })
    run.send(event)
    const decided = run.send({ type: 'change.decided', operationId: 'op-c', accept: true })
    expect(decided.effects.map((e) => e.type)).toEqual(['acknowledgeOperation'])
    const settled = run.send({ type: 'operation.settled', operationId: 'op-c', status: 'Succeeded' })
    expect(settled.effects.map((e) => e.type)).toEqual(['applyChange'])
    expect(settled.decisions).toHaveLength(1)
    const again = [run.send(event), run.send({ ...event, status: 'Succeeded' })]
    expect(again.map((s) => s.decisions[0]?.outcome)).toEqual(['ignored', 'ignored'])
    expect(again.flatMap((s) => s.effects)).toEqual([])
    expect(run.last.deferred).toEqual([])
  })

  it('ignores an Unsubscribe redelivered after the end, as the subscription is final', () => {
    const run = reach('subscribed.idle')
    run.send(operation('Unsubscribe', 'op-u'))
    const again = run.send(operation('Unsubscribe', 'op-u'))
    expect(again.decisions[0]).toMatchObject({
      outcome: 'ignored',
      reason: 'the subscription is Unsubscribed; nothing changes any more',
    })
    expect(again.effects).toEqual([])
  })

  it('keeps a deferred operation once when it is redelivered', () => {
    const run = reach('provisioning')
    run.send(operation('Suspend', 'op-s'))
    const again = run.send(operation('Suspend', 'op-s'))
    expect(again.decisions[0]).toMatchObject({
      outcome: 'ignored',
      reason: 'not accepted in provisioning; already kept for later',
    })
    expect(again.deferred.map((e) => e.operationId)).toEqual(['op-s'])
  })

  it('remembers a failed Unsubscribe without effect, like any failed operation, instead of keeping it', () => {
    const run = reach('subscribed.idle')
    const step = run.send(operation('Unsubscribe', 'op-u', { status: 'Failed' }))
    expect(step.decisions[0]?.outcome).toBe('applied')
    expect(step.effects).toEqual([])
    expect(run.step).toBe('subscribed.idle')
    expect(run.context.operations).toContain('op-u')
    expect(run.last.deferred).toEqual([])
  })
})

describe('events a state does not accept', () => {
  it('records an unknown action as ignored, under its own name, without remembering it', () => {
    const run = reach('subscribed.idle')
    const step = run.send(unknownOperation('op-t', 'Transfer'))
    expect(step.decisions).toEqual([
      {
        at: T0,
        event: 'Transfer',
        operationId: 'op-t',
        requestId: undefined,
        from: 'subscribed.idle',
        to: 'subscribed.idle',
        outcome: 'ignored',
        reason: 'unknown action "Transfer" recorded, not applied',
        effects: [],
      },
    ])
    expect(step.deferred).toEqual([])
    expect(run.context.operations).toEqual([])
  })

  it('names an unknown action without a name "unknown"', () => {
    const step = reach('subscribed.idle').send(unknownOperation('op-t', ''))
    expect(step.decisions[0]?.event).toBe('unknown')
  })

  it('ignores an activity result that comes too late, with the step in the reason', () => {
    const run = reach('subscribed.idle')
    const step = run.send({ type: 'activation.completed' })
    expect(step.decisions[0]).toMatchObject({ outcome: 'ignored', reason: 'not accepted in subscribed.idle' })
    expect(step.deferred).toEqual([])
  })

  it('keeps a Microsoft operation a later state may accept, and says so', () => {
    const run = reach('activating')
    const step = run.send(operation('Suspend', 'op-s'))
    expect(step.decisions[0]).toMatchObject({
      outcome: 'deferred',
      reason: 'not accepted in activating; kept until a later state accepts it',
      from: 'activating',
      to: 'activating',
    })
    expect(step.deferred).toEqual([{ ...operation('Suspend', 'op-s'), at: T0 }])
  })

  it.each([...MARKETPLACE_EVENT_TYPES, ...LIFECYCLE_EVENT_TYPES])(
    'ignores %s once the subscription is final',
    (type) => {
      const run = reach('unsubscribed')
      const event = { type, operationId: 'op-late', status: 'Succeeded', requestId: 'req', action: 'X' }
      const step = run.send(event as unknown as SubscriptionEvent)
      expect(step.decisions[0]).toMatchObject({
        outcome: 'ignored',
        reason: 'the subscription is Unsubscribed; nothing changes any more',
      })
      expect(step.effects).toEqual([])
      expect(step.snapshot).toBe(run.steps.at(-2)!.snapshot)
    },
  )

  it('stamps an event with the dispatch time unless it carries its own', () => {
    const run = reach('provisioning')
    run.send({ type: 'provisioning.failed', message: 'x' }, minutes(9))
    expect(run.context.failure?.at).toBe(minutes(9))
    run.send({ type: 'retry' })
    run.send({ type: 'provisioning.failed', message: 'y', at: minutes(2) }, minutes(9))
    expect(run.context.failure?.at).toBe(minutes(2))
    expect(run.last.decisions[0]?.at).toBe(minutes(9))
  })
})

describe('out-of-order delivery', () => {
  it('stays subscribed when a Reinstate arrives before its Suspend, as Microsoft says Subscribed', () => {
    const run = reach('subscribed.idle')
    const early = run.send(operation('Reinstate', 'op-r'), minutes(1))
    expect(early.decisions[0]?.outcome).toBe('applied')
    expect(early.effects).toEqual([{ type: 'resync', params: { subscriptionId: 'sub-1', reason: 'Reinstate' } }])
    run.send(observed({ saasSubscriptionStatus: 'Subscribed' }))
    const late = run.send(operation('Suspend', 'op-s'), minutes(2))
    expect(late.effects.map((e) => e.type)).toEqual(['resync'])
    const seen = run.send(observed({ saasSubscriptionStatus: 'Subscribed' }))
    expect(run.step).toBe('subscribed.idle')
    expect(seen.effects).toEqual([])
    expect(run.steps.flatMap((s) => s.effects.map((e) => e.type))).not.toContain('suspendAccess')
    expect(run.context.operations).toEqual(['op-r', 'op-s'])
  })

  it('acknowledges at once an InProgress Reinstate (older docs) that arrives before its Suspend', () => {
    const run = reach('subscribed.idle')
    const early = run.send(operation('Reinstate', 'op-r', { status: 'InProgress' }), minutes(1))
    expect(early.effects).toEqual([
      { type: 'acknowledgeReinstatement', params: { subscriptionId: 'sub-1', operationId: 'op-r' } },
    ])
    run.send(operation('Suspend', 'op-s'), minutes(2))
    run.send(observed({ saasSubscriptionStatus: 'Subscribed' }))
    expect(run.step).toBe('subscribed.idle')
  })

  it('suspends on a late Suspend in a run from before convergence (the edge it took then)', () => {
    const run = reach('subscribed.idle', { converge: false })
    run.send(operation('Reinstate', 'op-r'), minutes(1))
    const late = run.send(operation('Suspend', 'op-s'), minutes(2))
    expect(run.step).toBe('suspended.idle')
    expect(late.effects.map((e) => e.type)).toEqual(['suspendAccess'])
  })

  it('keeps Microsoft’s newer plan when an older completed ChangePlan arrives after it', () => {
    const run = reach('subscribed.idle')
    run.send(changePlan('op-2', 'gold', { status: 'Succeeded', timeStamp: minutes(20) }))
    run.send(observed({ saasSubscriptionStatus: 'Subscribed', planId: 'gold' }))
    const older = run.send(changePlan('op-1', 'premium', { status: 'Succeeded', timeStamp: minutes(10) }))
    expect(older.effects.map((e) => e.type)).toEqual(['resync'])
    const seen = run.send(observed({ saasSubscriptionStatus: 'Subscribed', planId: 'gold' }))
    expect(seen.effects).toEqual([])
    expect(run.context.subscription.planId).toBe('gold')
    expect(run.context.operations).toEqual(['op-2', 'op-1'])
  })

  it('keeps the newer plan when an older completed ChangePlan arrives after it, before convergence', () => {
    const run = reach('subscribed.idle', { converge: false })
    run.send(changePlan('op-2', 'gold', { status: 'Succeeded', timeStamp: minutes(20) }))
    const older = run.send(changePlan('op-1', 'premium', { status: 'Succeeded', timeStamp: minutes(10) }))
    expect(older.effects).toEqual([])
    expect(run.context.subscription.planId).toBe('gold')
    expect(run.context.operations).toEqual(['op-2', 'op-1'])
  })

  it('applies a newer completed ChangeQuantity that arrives after an older one, before convergence', () => {
    const run = reach('subscribed.idle', { converge: false })
    run.send(changeQuantity('op-1', 7, { status: 'Succeeded', timeStamp: minutes(10) }))
    run.send(changeQuantity('op-2', 9, { status: 'Succeeded', timeStamp: minutes(20) }))
    expect(run.context.subscription.quantity).toBe(9)
    expect(run.context.lastChangeAt).toBe(minutes(20))
  })

  it('reads Microsoft for a Suspend kept during activation, and suspends when Microsoft says so', () => {
    const run = reach('activating')
    run.send(operation('Suspend', 'op-s'))
    const activated = run.send({ type: 'activation.completed' })
    expect(activated.decisions.map((d) => d.event)).toEqual(['activation.completed', 'Suspend'])
    expect(activated.effects.map((e) => e.type)).toEqual(['resync'])
    expect(run.step).toBe('subscribed.idle')
    const seen = run.send(observed({ saasSubscriptionStatus: 'Suspended' }))
    expect(run.step).toBe('suspended.idle')
    expect(effect(seen, 'suspendAccess').subscription.saasSubscriptionStatus).toBe('Suspended')
  })

  it('suspends an adopted-late subscription once activation completes, when Suspend came first, before convergence', () => {
    const run = reach('activating', { converge: false })
    run.send(operation('Suspend', 'op-s'))
    const activated = run.send({ type: 'activation.completed' })
    expect(run.step).toBe('suspended.idle')
    expect(activated.decisions.map((d) => d.event)).toEqual(['activation.completed', 'Suspend'])
    expect(effect(activated, 'suspendAccess').operationId).toBe('op-s')
  })

  it('settles a change whose final webhook arrives while it is still being decided; the late decision is ignored', () => {
    const run = reach('subscribed.deciding')
    const final = run.send(changePlan('op-change', 'premium', { status: 'Succeeded', timeStamp: minutes(1) }))
    expect(final.decisions[0]?.outcome).toBe('applied')
    expect(final.effects.map((e) => e.type)).toEqual(['applyChange'])
    expect(run.step).toBe('subscribed.idle')
    expect(run.context.subscription.planId).toBe('premium')
    const decided = run.send({ type: 'change.decided', operationId: 'op-change', accept: false })
    expect(decided.decisions[0]?.outcome).toBe('ignored')
    expect(decided.effects).toEqual([])
  })

  it('takes Microsoft operations at once while a customer change is open, without waiting for it to settle', () => {
    const run = reach('subscribed.deciding')
    const quantity = run.send(changeQuantity('op-q', 8, { status: 'Succeeded', timeStamp: minutes(2) }))
    expect(quantity.effects.map((e) => e.type)).toEqual(['resync'])
    const renew = run.send(operation('Renew', 'op-renew'))
    expect(renew.effects.map((e) => e.type)).toEqual(['notify', 'resync'])
    // Microsoft has the seats already; the plan waits for the acknowledgement.
    const seen = run.send(observed({ saasSubscriptionStatus: 'Subscribed', quantity: 8 }))
    expect(effect(seen, 'applyChange').subscription).toMatchObject({ planId: 'basic', quantity: 8 })
    expect(run.step).toBe('subscribed.deciding')
    run.send({ type: 'change.decided', operationId: 'op-change', accept: true })
    const settled = run.send({ type: 'operation.settled', operationId: 'op-change', status: 'Succeeded' })
    expect(settled.decisions.map((d) => [d.event, d.operationId])).toEqual([['operation.settled', 'op-change']])
    expect(settled.effects.map((e) => e.type)).toEqual(['applyChange'])
    expect(run.context.subscription).toMatchObject({ planId: 'premium', quantity: 8 })
    expect(run.last.deferred).toEqual([])
  })
})

describe('the deferred queue', () => {
  const renews = (n: number) => Array.from({ length: n }, (_, i) => operation('Renew', `op-${i + 1}`))

  it('keeps at most the 20 newest operations', () => {
    const run = reach('provisioning')
    for (const event of renews(25)) run.send(event)
    expect(run.last.deferred.map((e) => e.operationId)).toEqual(Array.from({ length: 20 }, (_, i) => `op-${i + 6}`))
  })

  it('replays the kept operations oldest first when a state accepts them', () => {
    const run = reach('provisioning')
    for (const event of renews(25)) run.send(event)
    run.send({ type: 'provisioning.completed' })
    const activated = run.send({ type: 'activation.completed' })
    const kept = Array.from({ length: 20 }, (_, i) => `op-${i + 6}`)
    expect(activated.decisions.slice(1).map((d) => d.operationId)).toEqual(kept)
    // Each Renew tells the vendor and reads Microsoft's new term.
    expect(activated.effects.map((e) => (e.type === 'notify' ? e.params.operationId : e.type))).toEqual(
      kept.flatMap((id) => [id, 'resync']),
    )
    expect(activated.deferred).toEqual([])
  })

  it('replays in order, leaving what the new state still refuses (run from before convergence)', () => {
    const run = reach('provisioning', { converge: false })
    run.send(operation('Suspend', 'op-s'))
    run.send(operation('Renew', 'op-renew'))
    run.send({ type: 'provisioning.completed' })
    const activated = run.send({ type: 'activation.completed' })
    expect(run.step).toBe('suspended.idle')
    expect(activated.decisions.map((d) => d.event)).toEqual(['activation.completed', 'Suspend'])
    expect(activated.deferred.map((e) => e.operationId)).toEqual(['op-renew'])
  })

  it('replays in order; a kept Suspend is only a reason to read Microsoft, so a kept Renew applies too', () => {
    const run = reach('provisioning')
    run.send(operation('Suspend', 'op-s'))
    run.send(operation('Renew', 'op-renew'))
    run.send({ type: 'provisioning.completed' })
    const activated = run.send({ type: 'activation.completed' })
    expect(run.step).toBe('subscribed.idle')
    expect(activated.decisions.map((d) => d.event)).toEqual(['activation.completed', 'Suspend', 'Renew'])
    expect(activated.effects.map((e) => e.type)).toEqual(['resync', 'notify', 'resync'])
    expect(activated.deferred).toEqual([])
  })

  it('replays nothing after an event that was not applied', () => {
    const run = reach('provisioning')
    run.send(operation('Suspend', 'op-s'))
    const ignored = run.send({ type: 'activation.completed' })
    expect(ignored.decisions).toHaveLength(1)
    expect(ignored.deferred).toHaveLength(1)
  })
})

describe('persist and restore (continue-as-new)', () => {
  const scenario: SubscriptionEvent[] = [
    operation('Suspend', 'op-s0'),
    { type: 'buyer.confirmed', buyer: { email: 'buyer@contoso.com' } },
    { type: 'provisioning.pending', reference: 'job-1' },
    { type: 'provisioning.failed', message: 'quota' },
    { type: 'retry' },
    { type: 'provisioning.completed' },
    { type: 'activation.failed', message: '500' },
    { type: 'retry' },
    { type: 'activation.completed' },
    observed({ saasSubscriptionStatus: 'Suspended' }),
    operation('Reinstate', 'op-r0'),
    observed({ saasSubscriptionStatus: 'Subscribed' }),
    { type: 'reinstatement.decided', accept: true },
    changePlan('op-c1', 'premium', { timeStamp: minutes(1) }),
    operation('Renew', 'op-renew'),
    { type: 'change.decided', operationId: 'op-c1', accept: true },
    { type: 'operation.settled', operationId: 'op-c1', status: 'Succeeded' },
    changePlan('op-c0', 'gold', { status: 'Succeeded', timeStamp: minutes(0) }),
    { type: 'vendor.changeQuantity', requestId: 'req-q', quantity: 9 },
    observed({ saasSubscriptionStatus: 'Subscribed', planId: 'premium', quantity: 7 }),
    { type: 'operation.settled', operationId: 'op-q', requestId: 'req-q', status: 'Failed' },
    observed({ saasSubscriptionStatus: 'Subscribed', planId: 'premium', quantity: 6, name: 'Renamed' }),
    { type: 'vendor.cancel', requestId: 'req-c' },
    { type: 'vendor.requestFailed', requestId: 'req-c', message: '409' },
    operation('Suspend', 'op-s1'),
    operation('Suspend', 'op-s1'),
    observed({ saasSubscriptionStatus: 'Suspended', planId: 'premium', quantity: 6 }),
    changeQuantity('op-c2', 4, { timeStamp: minutes(30) }),
    { type: 'change.decided', operationId: 'op-c2', accept: false },
    { type: 'operation.settled', operationId: 'op-c2', status: 'Failed' },
    operation('Reinstate', 'op-r1', { status: 'InProgress' }),
    { type: 'reinstatement.decided', accept: false },
    unsubscribe('op-u', { planId: 'premium', quantity: 6 }),
    operation('Renew', 'op-late'),
  ]

  const play = (state: DriverState, events: SubscriptionEvent[], from: number): Step[] =>
    events.map((event, i) => {
      const step = dispatch(state, event, minutes(from + i))
      state = step
      return step
    })

  const summary = (step: Step) => ({
    step: stepOf(step.snapshot),
    status: step.snapshot.status,
    context: json(step.snapshot.context),
    deferred: json(step.deferred),
    effects: json(step.effects),
    decisions: json(step.decisions),
    view: json(viewOf(step.snapshot)),
  })

  const original = play(Run.purchase().state, scenario, 0)

  it('walks a long scenario through most steps (sanity check of the scenario itself)', () => {
    const steps = new Set(original.map((s) => stepOf(s.snapshot)))
    expect(steps).toEqual(
      new Set([
        'awaitingBuyer',
        'provisioning',
        'provisioningFailed',
        'activating',
        'activationFailed',
        'suspended.idle',
        'suspended.reinstating',
        'subscribed.idle',
        'subscribed.deciding',
        'subscribed.acknowledging',
        'subscribed.changing',
        'cancelling',
        'unsubscribed',
      ]),
    )
    // Microsoft's view differed while a vendor request was at Microsoft: read again once it settled.
    const reads = original.flatMap((s) => s.effects).filter((e) => e.type === 'resync')
    expect(reads.map((e) => e.params.reason)).toContain('settled')
  })

  it('persists plain JSON data', () => {
    for (const step of original) {
      const persisted = persist(step)
      expect(json(persisted)).toEqual(persisted)
    }
  })

  it.each(scenario.map((_, i) => i))('continues identically after a JSON round-trip at event %i', (i) => {
    const at = i === 0 ? Run.purchase().last : original[i - 1]!
    const restored = restore(json<PersistedState>(persist(at)), true)
    expect(stepOf(restored.snapshot)).toBe(stepOf(at.snapshot))
    expect(restored.snapshot.status).toBe(at.snapshot.status)
    const resumed = play(restored, scenario.slice(i), i)
    expect(resumed.map(summary)).toEqual(original.slice(i).map(summary))
  })

  it('keeps the deferred operations across a restore and replays them', () => {
    const run = reach('provisioning')
    run.send(operation('Suspend', 'op-s'))
    const restored = restore(json(persist(run.state)), true)
    expect(restored.deferred.map((e) => e.operationId)).toEqual(['op-s'])
    const next = dispatch(
      dispatch(restored, { type: 'provisioning.completed' }, T0),
      { type: 'activation.completed' },
      T0,
    )
    expect(next.decisions.map((d) => d.event)).toEqual(['activation.completed', 'Suspend'])
    expect(next.effects.map((e) => e.type)).toEqual(['resync'])
  })

  it('restores a final subscription as done', () => {
    const restored = restore(json(persist(reach('unsubscribed').state)), true)
    expect(restored.snapshot.status).toBe('done')
    expect(dispatch(restored, operation('Renew', 'op-x'), T0).decisions[0]?.outcome).toBe('ignored')
  })

  it('takes the converge choice of the run it is restored into, not the one persisted', () => {
    const persisted = json(persist(reach('subscribed.idle').state))
    expect(persisted.context.converge).toBe(true)
    const legacy = restore(persisted, false)
    expect(legacy.snapshot.context.converge).toBe(false)
    const suspend = dispatch(legacy, operation('Suspend', 'op-s'), T0)
    expect(stepOf(suspend.snapshot)).toBe('suspended.idle')
    const converging = restore(json(persist(reach('subscribed.idle', { converge: false }).state)), true)
    expect(dispatch(converging, operation('Suspend', 'op-s'), T0).effects.map((e) => e.type)).toEqual(['resync'])
  })

  // Snapshots persisted before a customer change moved to the root had it in a state of its own.
  it.each([
    ['deciding', undefined, 'change.decided'],
    ['acknowledging', true, 'operation.settled'],
  ] as const)('maps an old persisted subscribed.%s to subscribed.idle with its change', (old, accept, next) => {
    const { context } = reach('subscribed.idle').last.snapshot
    const change = {
      operationId: 'op-c',
      action: 'ChangePlan' as const,
      planId: 'premium',
      receivedAt: T0,
      ...(accept === undefined ? {} : { accept }),
    }
    const persisted = json<PersistedState>({
      value: { subscribed: old } as unknown as PersistedState['value'],
      context: { ...context, change },
      deferred: [],
    })
    const restored = restore(persisted, true)
    expect(restored.snapshot.value).toEqual({ subscribed: 'idle' })
    expect(stepOf(restored.snapshot)).toBe(`subscribed.${old}`)
    const event: SubscriptionEvent =
      next === 'change.decided'
        ? { type: 'change.decided', operationId: 'op-c', accept: true }
        : { type: 'operation.settled', operationId: 'op-c', status: 'Succeeded' }
    const step = dispatch(restored, event, T0)
    expect(step.effects.map((e) => e.type)).toEqual(
      next === 'change.decided' ? ['acknowledgeOperation'] : ['applyChange'],
    )
    expect(stepOf(step.snapshot)).toBe(next === 'change.decided' ? 'subscribed.acknowledging' : 'subscribed.idle')
  })
})
