/**
 * Activities that call the vendor's hooks (provision, decide, apply, suspend, reinstate, deprovision, notify).
 * @module
 */
import { ApplicationFailure, activityInfo, cancellationSignal, heartbeat } from '@temporalio/activity'
import type { ActionParams } from '../machines/subscription/index.ts'
import { clearHookFailure, recordHookFailure } from '../observability/metrics.ts'
import { translatingFailures } from './failures.ts'
import type { VendorDecision, HookContext, ProvisionResult, VendorHooks } from './hooks/index.ts'

export function vendorActivities(hooks: VendorHooks) {
  /**
   * The same key on every retry of one step, so the vendor can de-duplicate. With the run id: activity ids
   * restart at 1 after continue-as-new, so workflow id and activity id alone repeat across runs.
   */
  const hookContext = (): HookContext => {
    const info = activityInfo()
    const execution = info.workflowExecution
    return {
      key: `${execution ? `${execution.workflowId}/${execution.runId}` : info.taskQueue}/${info.activityId}`,
      // A local activity (deciding a change, workflows/effects.ts) cannot heartbeat: the SDK would warn on each.
      heartbeat: info.isLocal ? () => undefined : heartbeat,
      signal: cancellationSignal(),
    }
  }
  /** Runs a hook; its failures feed the failing-hook metrics until the same step succeeds. */
  const run = async <T>(body: (ctx: HookContext) => Promise<T>): Promise<T> => {
    const ctx = hookContext()
    const info = activityInfo()
    try {
      const result = await translatingFailures(() => body(ctx))
      clearHookFailure(ctx.key)
      return result
    } catch (err) {
      recordHookFailure(info.activityType, ctx.key, info.scheduledTimestampMs)
      throw err
    }
  }

  return {
    provision: (p: ActionParams['provision']): Promise<ProvisionResult> => run((ctx) => hooks.provision(p, ctx)),
    decideChange: (p: ActionParams['decideChange'] & { deadline: string }): Promise<VendorDecision> =>
      run((ctx) => beforeDeadline(p.deadline, ctx, (c) => hooks.decideChange(p, c))),
    applyChange: (p: ActionParams['applyChange']): Promise<void> => run((ctx) => hooks.applyChange(p, ctx)),
    suspendAccess: (p: ActionParams['suspendAccess']): Promise<void> => run((ctx) => hooks.suspend(p, ctx)),
    decideReinstatement: (p: ActionParams['decideReinstatement']): Promise<VendorDecision> =>
      run((ctx) => hooks.reinstate(p, ctx)),
    deprovision: (p: ActionParams['deprovision']): Promise<void> => run((ctx) => hooks.deprovision(p, ctx)),
    notify: (p: ActionParams['notify']): Promise<void> => run((ctx) => hooks.notify(p, ctx)),
  }
}

/**
 * Runs a hook that must answer by `deadline`: refused once it has passed, and given up (its signal aborted) when
 * it passes. Both non-retryable, so the caller's default applies at once. The worker's own timeouts of a local
 * activity are not enough: an attempt retried after a fast failure can outlive them (workflows/effects.ts).
 */
async function beforeDeadline<T>(
  deadline: string,
  ctx: HookContext,
  hook: (ctx: HookContext) => Promise<T>,
): Promise<T> {
  const left = Date.parse(deadline) - Date.now()
  const late = () => ApplicationFailure.nonRetryable(`the vendor did not answer by ${deadline}`, 'DeadlinePassed')
  if (!(left > 0)) throw late()
  const expiry = AbortSignal.timeout(left)
  const expired = new Promise<never>((_, reject) => expiry.addEventListener('abort', () => reject(late())))
  return Promise.race([hook({ ...ctx, signal: AbortSignal.any([ctx.signal, expiry]) }), expired])
}
