/**
 * Drives the lifecycle machine one event at a time, purely: what it returns is the next snapshot, the side
 * effects to run, and a decision record per event, for operators and the `decisions` query.
 *
 * An event the current state does not accept never throws: it is recorded as ignored (a duplicate
 * operation, an unknown action, an activity result that came too late) or, for a Microsoft operation that
 * a later state will accept (webhooks arrive out of order), kept and replayed when the state changes.
 * @module
 */
import { initialTransition, transition, type SnapshotFrom } from 'xstate'
import type { SubscriptionInput } from './context.ts'
import { isMarketplaceEvent, type MarketplaceEvent, type SubscriptionEvent } from './events.ts'
import { subscriptionMachine } from './machine.ts'
import type { ActionParams, SideEffect } from './transitions.ts'

export type SubscriptionSnapshot = SnapshotFrom<typeof subscriptionMachine>

/** What survives continue-as-new: the machine's state and memory, and the events kept for later. */
export interface DriverState {
  snapshot: SubscriptionSnapshot
  deferred: MarketplaceEvent[]
}

export interface PersistedState {
  value: SubscriptionSnapshot['value']
  context: SubscriptionSnapshot['context']
  deferred: MarketplaceEvent[]
}

export interface Decision {
  at: string
  event: string
  operationId?: string
  requestId?: string
  from: string
  to: string
  /** `failed`: a side effect that did not succeed after its retries (recorded by the workflow). */
  outcome: 'applied' | 'ignored' | 'deferred' | 'failed'
  reason?: string
  effects: string[]
}

export interface Step extends DriverState {
  effects: SideEffect[]
  decisions: Decision[]
}

/** Every side effect the machine declares; the compiler checks this list against `ActionParams` both ways. */
const SIDE_EFFECTS: Record<keyof ActionParams, true> = {
  provision: true,
  activate: true,
  decideChange: true,
  acknowledgeOperation: true,
  acknowledgeReinstatement: true,
  applyChange: true,
  requestChange: true,
  requestCancellation: true,
  suspendAccess: true,
  decideReinstatement: true,
  deprovision: true,
  notify: true,
  resync: true,
}
const isSideEffect = (type: string): type is keyof ActionParams => Object.hasOwn(SIDE_EFFECTS, type)

const MAX_DEFERRED = 20

/** The first state of a subscription, with the side effects of entering it. */
export function start(input: SubscriptionInput, at: string): Step {
  const [snapshot, actions] = initialTransition(subscriptionMachine, { ...input, startedAt: input.startedAt ?? at })
  const effects = sideEffects(actions)
  const decision: Decision = {
    at,
    event: 'start',
    from: '',
    to: stepOf(snapshot),
    outcome: 'applied',
    effects: effects.map((e) => e.type),
  }
  return { snapshot, deferred: [], effects, decisions: [decision] }
}

/**
 * Applies one event. `at` stamps events that carry no time of their own. Never throws for an event the
 * state does not accept; throws only if the machine itself is broken.
 */
export function dispatch(state: DriverState, event: SubscriptionEvent, at: string): Step {
  const stamped = { ...event, at: event.at ?? at } as SubscriptionEvent
  const first = apply(state, stamped, at)
  if (first.decisions[0]?.outcome !== 'applied') return first
  return replayDeferred(first, at)
}

export function persist({ snapshot, deferred }: DriverState): PersistedState {
  return { value: snapshot.value, context: snapshot.context, deferred }
}

/**
 * The machine's state from a persisted one. `converge` and `resyncOvertaken` are the workflow's choices
 * for this run (see `SubscriptionContext`). Steps of earlier versions are mapped to today's: a customer change is
 * no longer a state of its own (`subscribed.deciding`/`acknowledging` are `subscribed.idle` with
 * `context.change`).
 */
export function restore(persisted: PersistedState, converge: boolean, resyncOvertaken = true): DriverState {
  const value = isOpenChangeStep(persisted.value) ? { subscribed: 'idle' } : persisted.value
  const context = { ...persisted.context, converge, resyncOvertaken }
  const snapshot = subscriptionMachine.resolveState({ value, context })
  return { snapshot, deferred: persisted.deferred }
}

const isOpenChangeStep = (value: unknown) =>
  typeof value === 'object' &&
  value !== null &&
  ['deciding', 'acknowledging'].includes((value as { subscribed?: string }).subscribed ?? '')

/**
 * The lifecycle step operators see, e.g. `subscribed.idle`: the state path, except that `subscribed.idle`
 * reads `subscribed.deciding` while the vendor decides a customer change and `subscribed.acknowledging`
 * while its answer goes to Microsoft (the names operators filter on; see the note atop machine.ts).
 */
export function stepOf(snapshot: SubscriptionSnapshot): string {
  const path = (value: unknown): string[] =>
    typeof value === 'string' ? [value] : Object.entries(value as object).flatMap(([k, v]) => [k, ...path(v)])
  const step = path(snapshot.value).join('.')
  const { change } = snapshot.context
  if (step !== 'subscribed.idle' || !change) return step
  return change.accept === undefined ? 'subscribed.deciding' : 'subscribed.acknowledging'
}

function apply(state: DriverState, event: SubscriptionEvent, at: string): Step {
  const { snapshot } = state
  const record = (outcome: Decision['outcome'], to: string, effects: SideEffect[], reason?: string): Decision => ({
    at,
    event: event.type === 'operation.unknown' ? event.action || 'unknown' : event.type,
    operationId: 'operationId' in event ? event.operationId : undefined,
    requestId: 'requestId' in event ? event.requestId : undefined,
    from: stepOf(snapshot),
    to,
    outcome,
    // Why it was not applied; or, for an applied decision, the reason it carries (e.g. "accepted by default").
    reason: reason ?? ('reason' in event ? event.reason : undefined),
    effects: effects.map((e) => e.type),
  })

  const refusal = refuse(state, event)
  if (refusal) {
    if (refusal.defer) {
      const kept = [...state.deferred, event as MarketplaceEvent]
      const dropped = kept.slice(0, -MAX_DEFERRED).map((d): Decision => ({
        at,
        event: d.type,
        operationId: d.operationId,
        from: stepOf(snapshot),
        to: stepOf(snapshot),
        outcome: 'ignored',
        reason: 'dropped: too many events kept for later',
        effects: [],
      }))
      return {
        ...state,
        deferred: kept.slice(-MAX_DEFERRED),
        effects: [],
        decisions: [record('deferred', stepOf(snapshot), [], refusal.reason), ...dropped],
      }
    }
    return { ...state, effects: [], decisions: [record('ignored', stepOf(snapshot), [], refusal.reason)] }
  }
  const [next, actions] = transition(subscriptionMachine, snapshot, event)
  const effects = sideEffects(actions)
  return { snapshot: next, deferred: state.deferred, effects, decisions: [record('applied', stepOf(next), effects)] }
}

/** Why an event is not applied now, and whether it may be later; undefined when it applies. */
function refuse(
  { snapshot, deferred }: DriverState,
  event: SubscriptionEvent,
): { reason: string; defer: boolean } | undefined {
  if (snapshot.status === 'done')
    return { reason: 'the subscription is Unsubscribed; nothing changes any more', defer: false }
  if (event.type === 'operation.unknown')
    return { reason: `unknown action "${event.action}" recorded, not applied`, defer: false }
  const operationId = 'operationId' in event ? event.operationId : undefined
  if (isMarketplaceEvent(event) && operationId && snapshot.context.operations.includes(operationId)) {
    return { reason: `operation ${operationId} was already applied`, defer: false }
  }
  if (isMarketplaceEvent(event) && operationId === snapshot.context.change?.operationId && !snapshot.can(event)) {
    return { reason: `operation ${operationId} is being decided already`, defer: false }
  }
  if (snapshot.can(event)) return undefined
  const where = `not accepted in ${stepOf(snapshot)}`
  if (!isMarketplaceEvent(event)) return { reason: where, defer: false }
  if (deferred.some((d) => d.operationId === event.operationId))
    return { reason: `${where}; already kept for later`, defer: false }
  return { reason: `${where}; kept until a later state accepts it`, defer: true }
}

/** After a state change, applies the kept events the new state accepts, oldest first, until none applies. */
function replayDeferred(step: Step, at: string): Step {
  let current = step
  for (let progressed = true; progressed && current.deferred.length > 0 && current.snapshot.status !== 'done';) {
    progressed = false
    for (const event of current.deferred) {
      const rest = current.deferred.filter((d) => d !== event)
      const duplicate = current.snapshot.context.operations.includes(event.operationId)
      if (!duplicate && !current.snapshot.can(event)) continue
      const next = duplicate
        ? { ...current, deferred: rest, effects: [], decisions: [] }
        : apply({ ...current, deferred: rest }, event, at)
      current = {
        ...next,
        effects: [...current.effects, ...next.effects],
        decisions: [
          ...current.decisions,
          ...next.decisions.map((d) => ({ ...d, reason: 'kept earlier; applied now' })),
        ],
      }
      progressed = true
      break
    }
  }
  return current
}

function sideEffects(actions: { type: string; params?: unknown }[]): SideEffect[] {
  return actions.filter((a) => isSideEffect(a.type)).map((a) => ({ type: a.type, params: a.params }) as SideEffect)
}
