/**
 * One durable workflow per SaaS subscription, id `subscription-<subscriptionId>`. Its lifecycle machine
 * decides; the workflow feeds it events (webhooks, the buyer, the vendor, activity results) and runs the
 * side effects it returns as activities, in lanes (lanes.ts): what Microsoft waits on starts at once,
 * access changes stay in order among themselves, informational hooks and reads of Microsoft queue apart,
 * and a failing hook holds its lane for a bounded time only.
 *
 * Facts come from Microsoft: the subscription is read with Get Subscription when the workflow starts
 * (unless the starter read it from Microsoft itself: Resolve, List), never taken from a webhook's body.
 *
 * Runs recorded before convergence and lanes (no `CONVERGENCE_PATCH` marker in their history) replay on
 * the path they took then: edges applied as delivered, effects one after another. Such a run, once live on
 * this code, continues as new at its next idle moment and carries on converging.
 * @module
 */
import * as wf from '@temporalio/workflow'
import {
  dispatch,
  persist,
  refusalOf,
  restore,
  start,
  stepOf,
  viewOf,
  type Buyer,
  type Decision,
  type DriverState,
  type MarketplaceEvent,
  type PersistedState,
  type SideEffect,
  type Step,
  type SubscriptionEvent,
  type SubscriptionFacts,
  type SubscriptionOutput,
  type SubscriptionView,
} from '../machines/subscription/index.ts'
import type { Activities } from '../activities/index.ts'
import type { MeteringActivities } from '../activities/metering.ts'
import { perform, type EffectResult, type EffectSettings } from './effects.ts'
import { messageOf } from './errors.ts'
import { LANE_OF, type Lane } from './lanes.ts'
import { upsertSearchable } from './searchable.ts'
import { detailsOf } from './summaries.ts'
import { eventTraces } from './trace-context.ts'

export interface SubscriptionWorkflowInput {
  subscriptionId: string
  /** Microsoft's subscription when the starter read it from Microsoft (Resolve, List); Get Subscription otherwise. */
  subscription?: SubscriptionFacts
  origin: 'purchase' | 'adoption'
  settings: EffectSettings & { retentionDays: number }
  /** Set by continue-as-new: the machine's state, the events kept for later, the recent decisions. */
  carried?: { state: PersistedState; decisions: Decision[]; inbox?: SubscriptionEvent[] }
}

export interface VendorRequestResult {
  requestId: string
  /** `refused`: not possible in the subscription's current state; nothing was sent to Microsoft. */
  outcome: 'succeeded' | 'failed' | 'refused'
  operationId?: string
  message?: string
  subscription: SubscriptionView
}

export const subscriptionWorkflowId = (subscriptionId: string) => `subscription-${subscriptionId}`

/** A webhook operation, already verified by the HTTP server (JWT and Get Operation). */
export const marketplaceEventSignal = wf.defineSignal<[MarketplaceEvent]>('marketplaceEvent')
export const buyerConfirmedSignal = wf.defineSignal<[Buyer]>('buyerConfirmed')
/** The vendor's report on a provisioning it accepted earlier with 202. */
export const provisioningReportedSignal =
  wf.defineSignal<[{ status: 'succeeded' | 'failed'; message?: string }]>('provisioningReported')
/** Microsoft's current view (List/Get Subscription), and why it was read (e.g. "found by reconciliation"). */
export const statusObservedSignal =
  wf.defineSignal<[{ subscription: SubscriptionFacts; reason: string }]>('statusObserved')
/** An operator retries a failed provisioning or activation. */
export const retrySignal = wf.defineSignal('retry')
/** An operator asks the subscription to read Microsoft's view now and converge on it. */
export const resyncSignal = wf.defineSignal<[{ reason: string }]>('resync')

export const stateQuery = wf.defineQuery<SubscriptionView | undefined>('state')
export const decisionsQuery = wf.defineQuery<Decision[]>('decisions')

// Updates rather than signals: the vendor's API call waits for Microsoft's confirmation and gets the outcome.
export const changePlanUpdate = wf.defineUpdate<VendorRequestResult, [{ planId: string }]>('changePlan')
export const changeQuantityUpdate = wf.defineUpdate<VendorRequestResult, [{ quantity: number }]>('changeQuantity')
export const cancelUpdate = wf.defineUpdate<VendorRequestResult, []>('cancel')

/** Marks runs that converge on Microsoft's state and run effects in lanes (see the module comment). */
export const CONVERGENCE_PATCH = 'converge-on-microsoft-and-lanes'
const CONVERGENCE_ROLLOUT_PATCH = 'converge-on-microsoft-rollout'
/** Marks runs that report each confirmed state to the usage ledger (recordSubscriptionState). */
const LEDGER_PATCH = 'report-state-to-usage-ledger'
/** Marks runs in which an adopted subscription that is Subscribed at Microsoft is provisioned. */
const PROVISION_ADOPTED_PATCH = 'provision-adopted-subscribed'
/** Marks runs that read Microsoft after a customer change that overtook an open one (`PendingChange.overtook`). */
const RESYNC_OVERTAKEN_PATCH = 'resync-after-overtaken-change'

const MAX_DECISIONS = 200
const { getSubscription } = wf.proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumInterval: '1m' },
})
/** The usage ledger learns each state Microsoft confirmed, so usage is billed only for Subscribed hours. */
const { recordSubscriptionState } = wf.proxyActivities<Pick<MeteringActivities, 'recordSubscriptionState'>>({
  startToCloseTimeout: '1m',
  scheduleToCloseTimeout: '1d',
  retry: { maximumInterval: '5m' },
  summary: 'usage ledger · subscription state',
})

export async function subscriptionWorkflow(input: SubscriptionWorkflowInput): Promise<SubscriptionOutput> {
  const converge = wf.patched(CONVERGENCE_PATCH)
  const resyncOvertaken = wf.patched(RESYNC_OVERTAKEN_PATCH)
  const inbox: SubscriptionEvent[] = [...(input.carried?.inbox ?? [])]
  const refused = new Map<string, string>()
  let state: DriverState | undefined = input.carried && restore(input.carried.state, converge, resyncOvertaken)
  let decisions: Decision[] = input.carried?.decisions ?? []
  const lanes = new Map<Lane | 'serial', Promise<void>>()
  /** Hooks retried in the background after holding their lane too long, by lane, oldest first. */
  const background = new Map<Lane, { hook: string; scope: wf.CancellationScope }[]>()
  let inFlight = 0
  let ledger = Promise.resolve()

  const traces = eventTraces()
  const receive = (event: SubscriptionEvent) => void inbox.push(traces.keep(event))
  wf.setHandler(marketplaceEventSignal, receive)
  wf.setHandler(buyerConfirmedSignal, (buyer) => receive({ type: 'buyer.confirmed', buyer }))
  wf.setHandler(provisioningReportedSignal, (report) =>
    receive(
      report.status === 'succeeded'
        ? { type: 'provisioning.completed' }
        : { type: 'provisioning.failed', message: report.message ?? 'reported by the vendor' },
    ),
  )
  wf.setHandler(statusObservedSignal, ({ subscription, reason }) =>
    receive({ type: 'status.observed', subscription, reason }),
  )
  wf.setHandler(retrySignal, () => receive({ type: 'retry' }))
  wf.setHandler(resyncSignal, ({ reason }) => receive({ type: 'resync.requested', reason }))
  wf.setHandler(stateQuery, () => state && viewOf(state.snapshot))
  wf.setHandler(decisionsQuery, () => decisions)
  wf.setHandler(
    changePlanUpdate,
    ({ planId }: { planId: string }) => request({ type: 'vendor.changePlan', requestId: wf.uuid4(), planId }),
    {
      validator: ({ planId }: { planId: string }) => validate({ type: 'vendor.changePlan', requestId: '', planId }),
    },
  )
  wf.setHandler(
    changeQuantityUpdate,
    ({ quantity }: { quantity: number }) => request({ type: 'vendor.changeQuantity', requestId: wf.uuid4(), quantity }),
    {
      validator: ({ quantity }: { quantity: number }) =>
        validate({ type: 'vendor.changeQuantity', requestId: '', quantity }),
    },
  )
  wf.setHandler(cancelUpdate, () => request({ type: 'vendor.cancel', requestId: wf.uuid4() }), {
    validator: () => validate({ type: 'vendor.cancel', requestId: '' }),
  })

  if (!state) {
    const subscription = input.subscription ?? (await getSubscription(input.subscriptionId))
    if (subscription.id !== input.subscriptionId) {
      throw wf.ApplicationFailure.nonRetryable(
        `Microsoft answered subscription ${subscription.id} for ${input.subscriptionId}`,
        'SubscriptionMismatch',
      )
    }
    state = apply(
      start(
        {
          subscription,
          retentionDays: input.settings.retentionDays,
          origin: input.origin,
          converge,
          provisionAdopted: wf.patched(PROVISION_ADOPTED_PATCH),
          resyncOvertaken,
        },
        now(),
      ),
    )
  }
  publish()

  while (state.snapshot.status !== 'done') {
    await wf.condition(() => inbox.length > 0 || readyToContinueAsNew())
    const event = inbox.shift()
    if (!event || (!converge && idle() && wf.patched(CONVERGENCE_ROLLOUT_PATCH))) {
      if (event) inbox.unshift(event)
      return wf.continueAsNew<typeof subscriptionWorkflow>({
        ...input,
        subscription: undefined,
        carried: { state: persist(state), decisions, inbox },
      })
    }
    const current: DriverState = state
    state = traces.within(event, (): DriverState => apply(dispatch(current, event, now())))
    publish()
  }
  // Final: let the last effects (deprovision) and any waiting vendor request finish first.
  await wf.condition(() => inFlight === 0 && wf.allHandlersFinished())
  const { output } = state.snapshot
  // Webhooks taken meanwhile (answered 200) are recorded as ignored, not dropped unseen. Replay-safe
  // without a patch: a final state yields no effects, so this adds decisions and no commands.
  for (const event of inbox.splice(0)) state = apply(dispatch(state, event, now()))
  return output

  /** Records the step's decisions, refuses vendor requests the machine ignored, and queues its effects. */
  function apply(step: Step): DriverState {
    if (converge && wf.patched(LEDGER_PATCH))
      reportState(state?.snapshot.context.subscription, step.snapshot.context.subscription)
    decisions = [...decisions, ...step.decisions].slice(-MAX_DECISIONS)
    for (const d of step.decisions)
      if (d.requestId && d.outcome === 'ignored') refused.set(d.requestId, d.reason ?? 'not possible now')
    for (const effect of step.effects) run(effect)
    return step
  }

  /** Queues an effect in its lane (one serial lane for runs recorded before lanes). */
  function run(effect: SideEffect) {
    const lane = converge ? LANE_OF[effect.type] : 'serial'
    inFlight++
    const queued = lane === 'now' ? Promise.resolve() : (lanes.get(lane) ?? Promise.resolve())
    const done = queued
      .then(() => perform(effect, input.settings, converge))
      .then((result) => {
        settle(effect.type, result)
        if (lane === 'serial' || lane === 'now') return
        if (result.retryInBackground) retryInBackground(lane, effect.type, result.retryInBackground)
        else if (!result.note) supersede(lane)
      })
      .finally(() => inFlight--)
    if (lane !== 'now') lanes.set(lane, done)
  }

  function settle(effectType: string, { event, note }: EffectResult) {
    if (note) record(effectType, note)
    if (event) inbox.push(traces.keep(event))
  }

  /** Tells the usage ledger of a new status, plan or term, in order, off every other lane. */
  function reportState(before: SubscriptionFacts | undefined, after: SubscriptionFacts) {
    const key = (s: SubscriptionFacts | undefined) =>
      s && [s.saasSubscriptionStatus, s.planId, s.term?.termUnit, s.term?.startDate].join('|')
    if (key(before) === key(after)) return
    const report = {
      subscriptionId: after.id,
      status: after.saasSubscriptionStatus,
      offerId: after.offerId,
      planId: after.planId,
      termUnit: after.term?.termUnit,
      termStartDate: after.term?.startDate,
      at: now(),
    }
    inFlight++
    ledger = ledger
      .then(() => recordSubscriptionState(report))
      .catch((err: unknown) => record('recordSubscriptionState', messageOf(err)))
      .finally(() => inFlight--)
  }

  /** A hook that held its lane too long goes on retrying without blocking what follows it. */
  function retryInBackground(lane: Lane, hook: string, retry: () => Promise<EffectResult>) {
    const scope = new wf.CancellationScope()
    const entry = { hook, scope }
    background.set(lane, [...(background.get(lane) ?? []), entry])
    inFlight++
    publish()
    void scope
      .run(retry)
      .then(
        (result) => settle(hook, { ...result, note: result.note ?? `vendor hook ${hook} landed after retries` }),
        (err: unknown) =>
          record(
            hook,
            wf.isCancellation(err)
              ? `vendor hook ${hook} no longer retried: a later access change landed and carries the current state`
              : messageOf(err),
          ),
      )
      .finally(() => {
        background.set(
          lane,
          (background.get(lane) ?? []).filter((e) => e !== entry),
        )
        inFlight--
        publish()
      })
  }

  /** A later change of the same lane landed: it carries the subscription's whole state, so older retries stop. */
  function supersede(lane: Lane) {
    for (const { scope } of background.get(lane) ?? []) scope.cancel()
  }

  /** Search attributes, memo and the UI's current details, in step with the subscription. */
  function publish() {
    if (!state) return
    upsertSearchable(state.snapshot, failingHooks())
    wf.setCurrentDetails(detailsOf(viewOf(state.snapshot), decisions.at(-1), failingHooks()))
  }

  function failingHooks(): string[] {
    return [...background.values()].flat().map((e) => e.hook)
  }

  function record(effectType: string, reason: string) {
    const step = state ? stepOf(state.snapshot) : ''
    decisions = [
      ...decisions,
      { at: now(), event: effectType, from: step, to: step, outcome: 'failed' as const, reason, effects: [] },
    ].slice(-MAX_DECISIONS)
  }

  function idle() {
    return inFlight === 0 && wf.allHandlersFinished()
  }

  /** Update validator: refusing here writes nothing to the history and tells the caller why. */
  function validate(event: SubscriptionEvent) {
    if (!state) throw new Error('the subscription is still starting; try again in a moment')
    const refusal = refusalOf(state.snapshot, event)
    if (refusal) throw new Error(refusal)
  }

  async function request(event: Extract<SubscriptionEvent, { requestId: string }>): Promise<VendorRequestResult> {
    const { requestId } = event
    receive(event)
    const finished = () => state!.snapshot.context.requests.find((r) => r.requestId === requestId)
    await wf.condition(() => !!finished() || refused.has(requestId))
    const done = finished()
    return {
      requestId,
      outcome: done?.outcome ?? 'refused',
      operationId: done?.operationId,
      message: done?.message ?? refused.get(requestId),
      subscription: viewOf(state!.snapshot),
    }
  }

  function readyToContinueAsNew() {
    return wf.workflowInfo().continueAsNewSuggested && idle()
  }
}

const now = () => new Date().toISOString()
