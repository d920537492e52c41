/**
 * The life of a SaaS operation (docs/marketplace-contract.md §3, §4.2):
 * - publisher-initiated (PATCH/DELETE): `NotStarted` → `InProgress` → `Succeeded` after `operationDelayMs`,
 *   then the change is applied and the webhook sent with `operationRequestSource: 'Partner'`;
 * - customer ChangePlan/ChangeQuantity and Reinstate: `InProgress` with a webhook showing the subscription
 *   as it still is; the publisher PATCHes `Success`/`Failure`, or after `autoAcceptMs` it is "automatically
 *   patched as Success";
 * - notify-only (Subscribe, Suspend, Renew, Unsubscribe, and Reinstate unless `reinstateAwaitsAnswer`):
 *   applied at once, `Succeeded`, then the webhook.
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { KnownOperationAction } from '../../marketplace/actions.ts'
import type { CoreContext } from './context.ts'
import { conflict } from './errors.ts'
import type { Change } from './rules.ts'
import { findPlan, type State } from './state.ts'
import { renewTerm, startTerm } from './term.ts'
import type { Operation, OperationSource, Subscription } from './types.ts'

/** Operations that wait for the publisher's answer (PATCH or, for ChangePlan/ChangeQuantity, a 4xx webhook answer). */
const ANSWERED: readonly KnownOperationAction[] = ['ChangePlan', 'ChangeQuantity', 'Reinstate']

export const isPending = (operation: Operation) =>
  operation.status === 'NotStarted' || operation.status === 'InProgress'

/** An operation the publisher may still accept or reject. */
export const awaitsAnswer = (operation: Operation) =>
  isPending(operation) && operation.operationRequestSource === 'Azure' && ANSWERED.includes(operation.action)

// Each subscription's operations, so List Operations and the one-at-a-time check read one subscription's
// rather than every operation (a reconciliation of 10k subscriptions was quadratic). Kept per
// `state.operations` object, shared by every createOperations of one state (the customer's unannounced
// ones too), and built afresh for another object (a reset, a loaded state file).
const INDEXES = new WeakMap<State['operations'], Map<string, Operation[]>>()

function indexOperation(index: Map<string, Operation[]>, operation: Operation) {
  const list = index.get(operation.subscriptionId)
  if (list) list.push(operation)
  else index.set(operation.subscriptionId, [operation])
}

export type Operations = ReturnType<typeof createOperations>

export function createOperations(ctx: CoreContext) {
  const { state, clock, timers } = ctx

  function operationsOf(subscriptionId: string): Operation[] {
    let index = INDEXES.get(state.operations)
    if (!index) {
      index = new Map()
      for (const operation of Object.values(state.operations)) indexOperation(index, operation)
      INDEXES.set(state.operations, index)
    }
    return index.get(subscriptionId) ?? []
  }

  function create(subscription: Subscription, action: KnownOperationAction, source: OperationSource, change?: Change) {
    const operation: Operation = {
      id: randomUUID(),
      activityId: randomUUID(),
      subscriptionId: subscription.id,
      offerId: subscription.offerId,
      publisherId: ctx.publisherId,
      planId: change?.planId ?? subscription.planId,
      quantity: change ? change.quantity : subscription.quantity,
      action,
      timeStamp: clock.iso(),
      status: 'NotStarted',
      operationRequestSource: source,
    }
    if (operation.quantity === undefined) delete operation.quantity
    state.operations[operation.id] = operation
    const index = INDEXES.get(state.operations)
    if (index) indexOperation(index, operation)
    return operation
  }

  function apply(operation: Operation): void {
    const subscription = state.subscriptions[operation.subscriptionId]
    if (!subscription) return
    switch (operation.action) {
      case 'ChangePlan':
      case 'ChangeQuantity': {
        subscription.planId = operation.planId
        if (operation.quantity === undefined) delete subscription.quantity
        else subscription.quantity = operation.quantity
        // Moving to a plan without a trial ends the trial (docs/marketplace-contract.md §5.2).
        if (!findPlan(state, subscription.offerId, operation.planId)?.hasFreeTrials) subscription.isFreeTrial = false
        break
      }
      case 'Subscribe':
        subscription.saasSubscriptionStatus = 'Subscribed'
        startTerm(subscription, clock.now())
        break
      case 'Suspend':
        subscription.saasSubscriptionStatus = 'Suspended'
        break
      case 'Reinstate':
        subscription.saasSubscriptionStatus = 'Subscribed'
        break
      case 'Renew':
        renewTerm(subscription, clock.now())
        break
      case 'Unsubscribe':
        subscription.saasSubscriptionStatus = 'Unsubscribed'
        break
    }
  }

  function finish(operation: Operation, status: 'Succeeded' | 'Failed', errorMessage?: string): void {
    timers.clear(operation.id)
    operation.status = status
    if (status === 'Succeeded') apply(operation)
    else Object.assign(operation, { errorStatusCode: 'Failed', errorMessage })
    ctx.changed()
  }

  /** Sets the timer that moves a pending operation on; also used to resume operations loaded from a file. */
  function arm(operation: Operation): void {
    if (operation.operationRequestSource === 'Azure') {
      timers.set(operation.id, ctx.config.autoAcceptMs, () => finish(operation, 'Succeeded'))
      return
    }
    const half = Math.floor(ctx.config.operationDelayMs / 2)
    timers.set(operation.id, half, () => {
      operation.status = 'InProgress'
      ctx.changed()
      timers.set(operation.id, ctx.config.operationDelayMs - half, () => {
        finish(operation, 'Succeeded')
        ctx.notify(operation)
      })
    })
  }

  const pending = (subscriptionId: string) => operationsOf(subscriptionId).find(isPending)

  return {
    pending,

    /** 409 while the subscription has a pending operation (docs/marketplace-contract.md §2.7, §2.8). */
    requireIdle(subscriptionId: string): void {
      if (pending(subscriptionId)) {
        throw conflict('Another operation is in progress on the resource. Wait for pending operations to complete.')
      }
    },

    list: (subscriptionId: string) => [...operationsOf(subscriptionId)],

    /** A PATCH or DELETE of the publisher: completes on its own after `operationDelayMs`. */
    startForPublisher(
      subscription: Subscription,
      action: 'ChangePlan' | 'ChangeQuantity' | 'Unsubscribe',
      change?: Change,
    ) {
      const operation = create(subscription, action, 'Partner', change)
      arm(operation)
      ctx.changed()
      return operation
    },

    /** A customer change the publisher may answer: `InProgress` and announced now, applied when accepted. */
    startForCustomer(
      subscription: Subscription,
      action: 'ChangePlan' | 'ChangeQuantity' | 'Reinstate',
      change?: Change,
    ) {
      const operation = create(subscription, action, 'Azure', change)
      operation.status = 'InProgress'
      arm(operation)
      ctx.changed()
      ctx.notify(operation)
      return operation
    },

    /** A notify-only event: applied at once, then announced with the subscription as it now is. */
    complete(
      subscription: Subscription,
      action: 'Subscribe' | 'Suspend' | 'Reinstate' | 'Renew' | 'Unsubscribe' | 'Transfer',
    ) {
      const operation = create(subscription, action, 'Azure')
      finish(operation, 'Succeeded')
      ctx.notify(operation)
      return operation
    },

    /** The publisher's PATCH: `Success` applies the change, `Failure` leaves the subscription as it is. */
    answer(operation: Operation, status: 'Success' | 'Failure') {
      if (status === 'Success') finish(operation, 'Succeeded')
      else finish(operation, 'Failed', 'The publisher answered Failure.')
    },

    /** Ends a pending operation as Failed (rejected by a 4xx webhook answer, or overtaken by a DELETE). */
    fail: (operation: Operation, errorMessage: string) => finish(operation, 'Failed', errorMessage),

    /** Re-arms every pending operation, with its full delay (after loading a state file). */
    resume() {
      for (const operation of Object.values(state.operations)) if (isPending(operation)) arm(operation)
    },
  }
}
