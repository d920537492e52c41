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
} from './test-helpers.ts'

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T

describe('duplicate operations', () => {
  it('has one effect when the same Suspend webhook arrives three times', () => {
    const run = reach('subscribed.idle')
    const steps = [1, 2, 3].map((n) => run.send(operation('Suspend', 'op-s'), minutes(n)))
    expect(run.step).toBe('suspended.idle')
    expect(steps.flatMap((s) => s.effects.map((e) => e.type))).toEqual(['suspendAccess'])
    expect(steps.map((s) => s.decisions[0]?.outcome)).toEqual(['applied', 'ignored', 'ignored'])
    expect(steps[1]!.decisions[0]).toEqual({
      at: minutes(2),
      event: 'Suspend',
      operationId: 'op-s',
      requestId: undefined,
      from: 'suspended.idle',
      to: 'suspended.idle',
      outcome: 'ignored',
      reason: 'operation op-s was already applied',
      effects: [],
    })
    expect(steps[2]!.deferred).toEqual([])
  })

  it('applies a completed ChangePlan once when it is delivered three times', () => {
    const run = reach('subscribed.idle')
    const event = changePlan('op-c', 'premium', { status: 'Succeeded', timeStamp: minutes(1) })
    const steps = [run.send(event), run.send(event), run.send(event)]
    expect(steps.flatMap((s) => s.effects.map((e) => e.type))).toEqual(['applyChange'])
    expect(steps.slice(1).map((s) => s.decisions[0]?.reason)).toEqual([
      'operation op-c was already applied',
      'operation op-c was already applied',
    ])
    expect(run.context.operations.filter((id) => id === 'op-c')).toHaveLength(1)
  })

  it('decides a customer change once when its InProgress webhook is delivered three times', () => {
    const run = reach('subscribed.idle')
    const event = changePlan('op-c', 'premium', { timeStamp: minutes(1) })
    const steps = [run.send(event), run.send(event), run.send(event)]
    expect(steps.flatMap((s) => s.effects.map((e) => e.type))).toEqual(['decideChange'])
    expect(steps.slice(1).every((s) => s.decisions[0]?.outcome !== 'applied')).toBe(true)
    run.send({ type: 'change.decided', operationId: 'op-c', accept: true })
    const settled = run.send({ type: 'operation.settled', operationId: 'op-c', status: 'Succeeded' })
    expect(settled.effects.map((e) => e.type)).toEqual(['applyChange'])
    expect(settled.decisions).toHaveLength(1)
    expect(run.last.deferred).toEqual([])
  })

  // QUESTIONABLE: while the change is being decided its operation id is not yet remembered, so the
  // redelivered webhook is recorded as `deferred` ("kept until a later state accepts it") instead of being
  // ignored as the duplicate it is; it then occupies one of the 20 deferred slots until the change settles
  // and is dropped silently. The effect count is right (see the test above); the decision record is not.
  it('records a redelivered InProgress change as a duplicate while it is being decided', () => {
    const run = reach('subscribed.idle')
    const event = changePlan('op-c', 'premium')
    run.send(event)
    const again = run.send(event)
    expect(again.decisions[0]?.outcome).toBe('ignored')
    expect(again.deferred).toEqual([])
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

  // BUG (minor): every failed (Failed/Conflict) operation is remembered by a root handler except Unsubscribe,
  // which has no `ineffective` handler. A failed Unsubscribe is therefore "kept until a later state accepts
  // it" — which none ever will — and occupies a deferred slot forever (pushing out real ones at 20).
  it('remembers a failed Unsubscribe like any other failed operation instead of keeping it', () => {
    const run = reach('subscribed.idle')
    const step = run.send(operation('Unsubscribe', 'op-u', { status: 'Failed' }))
    expect(step.decisions[0]?.outcome).toBe('applied')
    expect(step.deferred).toEqual([])
    expect(run.context.operations).toContain('op-u')
  })

  it('remembers a failed Unsubscribe without effect, like any failed operation', () => {
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
  it('reinstates when Reinstate arrives before its Suspend', () => {
    const run = reach('subscribed.idle')
    const early = run.send(operation('Reinstate', 'op-r'), minutes(1))
    expect(early.decisions[0]?.outcome).toBe('deferred')
    const suspend = run.send(operation('Suspend', 'op-s'), minutes(2))
    expect(run.step).toBe('suspended.reinstating')
    expect(suspend.effects.map((e) => e.type)).toEqual(['suspendAccess', 'decideReinstatement'])
    expect(suspend.decisions.map((d) => [d.event, d.outcome, d.from, d.to, d.reason])).toEqual([
      ['Suspend', 'applied', 'subscribed.idle', 'suspended.idle', undefined],
      ['Reinstate', 'applied', 'suspended.idle', 'suspended.reinstating', 'kept earlier; applied now'],
    ])
    expect(suspend.deferred).toEqual([])
    run.send({ type: 'reinstatement.decided', accept: true })
    expect(run.step).toBe('subscribed.idle')
  })

  it('keeps the newer plan when an older completed ChangePlan arrives after it', () => {
    const run = reach('subscribed.idle')
    run.send(changePlan('op-2', 'gold', { status: 'Succeeded', timeStamp: minutes(20) }))
    const older = run.send(changePlan('op-1', 'premium', { status: 'Succeeded', timeStamp: minutes(10) }))
    expect(older.effects).toEqual([])
    expect(run.context.subscription.planId).toBe('gold')
    expect(run.context.operations).toEqual(['op-2', 'op-1'])
  })

  it('applies a newer completed ChangeQuantity that arrives after an older one', () => {
    const run = reach('subscribed.idle')
    run.send(changeQuantity('op-1', 7, { status: 'Succeeded', timeStamp: minutes(10) }))
    run.send(changeQuantity('op-2', 9, { status: 'Succeeded', timeStamp: minutes(20) }))
    expect(run.context.subscription.quantity).toBe(9)
    expect(run.context.lastChangeAt).toBe(minutes(20))
  })

  it('suspends an adopted-late subscription once activation completes, when Suspend came first', () => {
    const run = reach('activating')
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

  it('applies Microsoft operations kept during a change once it settles', () => {
    const run = reach('subscribed.deciding')
    run.send(changeQuantity('op-q', 8, { status: 'Succeeded', timeStamp: minutes(2) }))
    run.send(operation('Renew', 'op-renew'))
    run.send({ type: 'change.decided', operationId: 'op-change', accept: true })
    const settled = run.send({ type: 'operation.settled', operationId: 'op-change', status: 'Succeeded' })
    expect(settled.decisions.map((d) => [d.event, d.operationId])).toEqual([
      ['operation.settled', 'op-change'],
      ['ChangeQuantity', 'op-q'],
      ['Renew', 'op-renew'],
    ])
    expect(settled.effects.map((e) => e.type)).toEqual(['applyChange', 'applyChange', 'notify'])
    expect(run.context.subscription).toMatchObject({ planId: 'premium', quantity: 8 })
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
    expect(activated.decisions.slice(1).map((d) => d.operationId)).toEqual(
      Array.from({ length: 20 }, (_, i) => `op-${i + 6}`),
    )
    expect(activated.effects.map((e) => (e.type === 'notify' ? e.params.operationId : e.type))).toEqual(
      Array.from({ length: 20 }, (_, i) => `op-${i + 6}`),
    )
    expect(activated.deferred).toEqual([])
  })

  it('replays in order, leaving what the new state still refuses', () => {
    const run = reach('provisioning')
    run.send(operation('Suspend', 'op-s'))
    run.send(operation('Renew', 'op-renew'))
    run.send({ type: 'provisioning.completed' })
    const activated = run.send({ type: 'activation.completed' })
    expect(run.step).toBe('suspended.idle')
    expect(activated.decisions.map((d) => d.event)).toEqual(['activation.completed', 'Suspend'])
    expect(activated.deferred.map((e) => e.operationId)).toEqual(['op-renew'])
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
    operation('Reinstate', 'op-r0'),
    { type: 'reinstatement.decided', accept: true },
    changePlan('op-c1', 'premium', { timeStamp: minutes(1) }),
    operation('Renew', 'op-renew'),
    { type: 'change.decided', operationId: 'op-c1', accept: true },
    { type: 'operation.settled', operationId: 'op-c1', status: 'Succeeded' },
    changePlan('op-c0', 'gold', { status: 'Succeeded', timeStamp: minutes(0) }),
    { type: 'vendor.changeQuantity', requestId: 'req-q', quantity: 9 },
    { type: 'operation.settled', operationId: 'op-q', requestId: 'req-q', status: 'Failed' },
    observed({ saasSubscriptionStatus: 'Subscribed', planId: 'premium', quantity: 6, name: 'Renamed' }),
    { type: 'vendor.cancel', requestId: 'req-c' },
    { type: 'vendor.requestFailed', requestId: 'req-c', message: '409' },
    operation('Suspend', 'op-s1'),
    operation('Suspend', 'op-s1'),
    operation('Reinstate', 'op-r1'),
    { type: 'reinstatement.decided', accept: false },
    operation('Unsubscribe', 'op-u'),
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
  })

  it('persists plain JSON data', () => {
    for (const step of original) {
      const persisted = persist(step)
      expect(json(persisted)).toEqual(persisted)
    }
  })

  it.each(scenario.map((_, i) => i))('continues identically after a JSON round-trip at event %i', (i) => {
    const at = i === 0 ? Run.purchase().last : original[i - 1]!
    const restored = restore(json<PersistedState>(persist(at)))
    expect(stepOf(restored.snapshot)).toBe(stepOf(at.snapshot))
    expect(restored.snapshot.status).toBe(at.snapshot.status)
    const resumed = play(restored, scenario.slice(i), i)
    expect(resumed.map(summary)).toEqual(original.slice(i).map(summary))
  })

  it('keeps the deferred operations across a restore and replays them', () => {
    const run = reach('provisioning')
    run.send(operation('Suspend', 'op-s'))
    const restored = restore(json(persist(run.state)))
    expect(restored.deferred.map((e) => e.operationId)).toEqual(['op-s'])
    const next = dispatch(
      dispatch(restored, { type: 'provisioning.completed' }, T0),
      { type: 'activation.completed' },
      T0,
    )
    expect(stepOf(next.snapshot)).toBe('suspended.idle')
  })

  it('restores a final subscription as done', () => {
    const restored = restore(json(persist(reach('unsubscribed').state)))
    expect(restored.snapshot.status).toBe('done')
    expect(dispatch(restored, operation('Renew', 'op-x'), T0).decisions[0]?.outcome).toBe('ignored')
  })
})
