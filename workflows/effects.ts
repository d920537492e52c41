/**
 * Runs the machine's side effects as activities and turns their results into the machine's next events.
 *
 * Retry policies encode the contract: calls to Microsoft are retried until they land (Retry-After honoured
 * through the activity's `nextRetryDelay`), definitive 4xx answers are not; a customer's change is decided
 * inside Microsoft's 10-second window or accepted by default; vendor hooks are retried for a day, but an
 * access or informational hook holds its lane (see lanes.ts) for at most `hookLaneHoldMs`: after that it
 * goes on retrying in the background and the lane moves on.
 * @module
 */
import type { ActivityOptions } from '@temporalio/common'
import * as wf from '@temporalio/workflow'
import type { Activities } from '../activities/index.ts'
import { messageOf } from './errors.ts'
import { summaryOf } from './summaries.ts'
import { onAcknowledgementsQueue } from './task-queues.ts'
import type { SideEffect, SubscriptionEvent } from '../machines/subscription/index.ts'

export interface EffectSettings {
  /** How long the vendor may take to decide on a customer's change, counted from the webhook's receipt. */
  changeDecisionMs: number
  /** A hook silent this long is presumed dead (its worker crashed) and retried elsewhere. */
  hookHeartbeatTimeoutMs?: number
  /** How long a failing access or notify hook may hold up the hooks queued behind it (default 2 minutes). */
  hookLaneHoldMs?: number
}

/** The default of `EffectSettings.hookLaneHoldMs`: the bound a failing hook puts on the access changes after it. */
export const HOOK_LANE_HOLD_MS = 120_000
/** A hook's whole retry budget, in its lane and then in the background. */
const HOOK_BUDGET = '1d'

/**
 * Marks runs that decide a customer's change in a local activity: in the workflow task that received the
 * change, on the worker's local-activity slots, so the PATCH waits on one workflow task and one activity
 * instead of two of each (bench/README.md §2), and a worker whose activity slots are all taken by
 * provisioning or hooks still decides at once. What that costs: while the vendor decides (at most
 * `changeDecisionMs`, 6 s by default), that workflow task stays open, so queries and updates of this one
 * subscription wait for it; a worker that dies meanwhile leaves the decision to be taken again on another
 * worker after the task's timeout, where the window's deadline still holds (accepted by default past it).
 */
export const DECIDE_LOCALLY_PATCH = 'decide-change-locally'

/** Microsoft's window to accept or reject a ChangePlan/ChangeQuantity, from the webhook's receipt. */
const MICROSOFT_WINDOW_MS = 10_000

const untilItLands = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' } as const

const MARKETPLACE: ActivityOptions = { startToCloseTimeout: '2m', scheduleToCloseTimeout: '7d', retry: untilItLands }
const ACKNOWLEDGEMENT: ActivityOptions = {
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '1h',
  retry: { initialInterval: '200ms', backoffCoefficient: 1.5, maximumInterval: '5s' },
}
const FOLLOWED: ActivityOptions = {
  startToCloseTimeout: '20m',
  heartbeatTimeout: '1m',
  scheduleToCloseTimeout: '1d',
  retry: untilItLands,
}
const hookOptions = (
  settings: EffectSettings,
  scheduleToCloseTimeout: number | typeof HOOK_BUDGET,
): ActivityOptions => ({
  startToCloseTimeout: '1h',
  heartbeatTimeout: settings.hookHeartbeatTimeoutMs ?? 60_000,
  scheduleToCloseTimeout,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10m' },
})

/** The outcome of one effect: the event it produces for the machine, and/or a note for the decision log. */
export interface EffectResult {
  event?: SubscriptionEvent
  note?: string
  /** A hook that failed in its lane: the rest of its retries, run in the background by the caller. */
  retryInBackground?: () => Promise<EffectResult>
}

type HookEffect = Extract<SideEffect, { type: 'applyChange' | 'suspendAccess' | 'deprovision' | 'notify' }>

/**
 * Runs one effect. `bounded` (lanes are on): access and notify hooks hold their lane only `hookLaneHoldMs`
 * and hand back the rest of their retries; otherwise (runs recorded before lanes) they use their whole budget.
 */
export async function perform(effect: SideEffect, settings: EffectSettings, bounded: boolean): Promise<EffectResult> {
  const { workflowId } = wf.workflowInfo()
  // Every activity carries a one-line summary, so the history reads as a story in the Temporal UI.
  const activities = (options: ActivityOptions) =>
    wf.proxyActivities<Activities>({ ...options, summary: summaryOf(effect) })
  const marketplace = activities(MARKETPLACE)
  // What Microsoft waits on runs on a queue of its own (lanes on), never behind provisioning or hooks.
  const urgent = bounded ? onAcknowledgementsQueue() : {}
  const acknowledgements = activities({ ...ACKNOWLEDGEMENT, ...urgent })
  const followed = activities(FOLLOWED)
  const hooks = activities(hookOptions(settings, HOOK_BUDGET))
  switch (effect.type) {
    case 'provision':
      try {
        const result = await hooks.provision(effect.params)
        return {
          event:
            result.status === 'completed'
              ? { type: 'provisioning.completed' }
              : { type: 'provisioning.pending', reference: result.reference },
        }
      } catch (err) {
        return { event: { type: 'provisioning.failed', message: messageOf(err) } }
      }

    case 'activate':
      try {
        await marketplace.activate({ ...effect.params, correlationId: workflowId })
        return { event: { type: 'activation.completed' } }
      } catch (err) {
        return { event: { type: 'activation.failed', message: messageOf(err) } }
      }

    case 'decideChange': {
      const { change } = effect.params
      const deadline = Date.parse(change.receivedAt) + settings.changeDecisionMs
      const accept = (reason: string) => ({
        event: {
          type: 'change.decided' as const,
          operationId: change.operationId,
          accept: true,
          reason,
          byDefault: true,
        },
      })
      const left = deadline - Date.now()
      if (left < 200) return accept('no time left in Microsoft’s window; accepted by default')
      const retry = { initialInterval: '100ms', maximumInterval: '1s' }
      // Decided inside the workflow task that took the change (see DECIDE_LOCALLY_PATCH). A local activity
      // gets the window as its schedule-to-close timeout only: when a start-to-close timeout of the same
      // length fired first, the worker's core retried the attempt and lost the schedule-to-close timeout, so
      // the vendor was asked again and again and Microsoft never answered (test/integration/decisions.test.ts).
      // The activity itself also refuses to go past the deadline (activities/vendor.ts).
      const { decideChange } =
        bounded && wf.patched(DECIDE_LOCALLY_PATCH)
          ? wf.proxyLocalActivities<Activities>({ scheduleToCloseTimeout: left, retry, summary: summaryOf(effect) })
          : activities({ startToCloseTimeout: left, scheduleToCloseTimeout: left, retry, ...urgent })
      try {
        const decision = await decideChange({ ...effect.params, deadline: new Date(deadline).toISOString() })
        return { event: { type: 'change.decided', operationId: change.operationId, ...decision } }
      } catch (err) {
        return accept(`vendor did not decide in time (${messageOf(err)}); accepted by default`)
      }
    }

    case 'acknowledgeOperation': {
      const { subscriptionId, change } = effect.params
      const deadline = new Date(Date.parse(change.receivedAt) + MICROSOFT_WINDOW_MS).toISOString()
      try {
        const { status, timeStamp } = await acknowledgements.acknowledgeOperation({
          subscriptionId,
          operationId: change.operationId,
          accept: change.accept !== false,
          deadline,
          change: {
            action: change.action,
            receivedAt: change.receivedAt,
            decision: change.byDefault ? 'defaulted' : change.accept === false ? 'rejected' : 'accepted',
          },
        })
        return { event: { type: 'operation.settled', operationId: change.operationId, status, timeStamp } }
      } catch (err) {
        return {
          event: { type: 'operation.settled', operationId: change.operationId, status: 'Failed' },
          note: `could not learn how Microsoft settled operation ${change.operationId}: ${messageOf(err)}`,
        }
      }
    }

    case 'acknowledgeReinstatement':
      try {
        await acknowledgements.acknowledgeOperation({ ...effect.params, accept: true })
        return {}
      } catch (err) {
        return { note: `Reinstate ${effect.params.operationId} was not acknowledged: ${messageOf(err)}` }
      }

    case 'requestChange':
    case 'requestCancellation': {
      const { requestId } = effect.params
      try {
        const result =
          effect.type === 'requestChange'
            ? await followed.requestChange(effect.params)
            : await followed.requestCancellation(effect.params)
        return {
          event:
            result.outcome === 'settled'
              ? {
                  type: 'operation.settled',
                  operationId: result.operationId,
                  status: result.status,
                  timeStamp: result.timeStamp,
                  requestId,
                }
              : { type: 'vendor.requestFailed', requestId, message: result.message },
        }
      } catch (err) {
        return { event: { type: 'vendor.requestFailed', requestId, message: messageOf(err) } }
      }
    }

    case 'decideReinstatement':
      try {
        return { event: { type: 'reinstatement.decided', ...(await hooks.decideReinstatement(effect.params)) } }
      } catch (err) {
        // The customer paid and Microsoft reinstates on its own: taking them back is the safe default.
        return {
          event: {
            type: 'reinstatement.decided',
            accept: true,
            reason: `vendor did not answer (${messageOf(err)}); reinstated by default`,
          },
        }
      }

    case 'resync': {
      const subscription = await marketplace.getSubscription(effect.params.subscriptionId)
      return {
        event: { type: 'status.observed', subscription, reason: `Microsoft's view after ${effect.params.reason}` },
      }
    }

    case 'applyChange':
    case 'suspendAccess':
    case 'deprovision':
    case 'notify':
      if (!bounded) return callHook(effect, hooks)
      return callHook(effect, activities(hookOptions(settings, settings.hookLaneHoldMs ?? HOOK_LANE_HOLD_MS)), () =>
        callHook(effect, hooks),
      )
  }
}

async function callHook(
  effect: HookEffect,
  hooks: wf.ActivityInterfaceFor<Activities>,
  retryInBackground?: () => Promise<EffectResult>,
): Promise<EffectResult> {
  try {
    await (hooks[effect.type] as (p: typeof effect.params) => Promise<void>)(effect.params)
    return {}
  } catch (err) {
    // A background retry cancelled because a later access change landed: the caller records why.
    if (wf.isCancellation(err)) throw err
    if (retryInBackground) {
      return {
        note: `vendor hook ${effect.type} still failing (${messageOf(err)}); retried in the background`,
        retryInBackground,
      }
    }
    return { note: `vendor hook ${effect.type} failed after retries: ${messageOf(err)}` }
  }
}
