/**
 * The lifecycle of one SaaS subscription: PendingFulfillmentStart → Subscribed ⇄ Suspended → Unsubscribed,
 * with the steps in between (provisioning, activating, a vendor request at Microsoft, a reinstatement being
 * decided) and failure states an operator can retry or cancel. The diagram is in `machine.md` beside this
 * file (generated from this machine by `npm run diagram`; a test fails when it is stale).
 *
 * Pure: no Temporal, no I/O, no clock. The workflow feeds it events through the driver (drive.ts) and runs
 * the side effects it returns (`provision`, `activate`, `acknowledgeOperation`, …, see `ActionParams`) as
 * activities. Rules follow Microsoft's contract (docs/marketplace-contract.md §4–5): only Subscribed can
 * change or be suspended, only Suspended can be reinstated, Unsubscribed is final. An event a state does
 * not accept has no transition here, so `snapshot.can(event)` is false and the driver records it as ignored
 * or keeps it for a later state. This machine alone decides whether an event applies.
 *
 * Two rules shape it:
 * - **Microsoft is the source of truth.** A webhook that changes status, plan or seats is a hint: the
 *   machine asks for `resync` (Get Subscription) and moves to what Microsoft says now (`status.observed`),
 *   so a late, older operation changes nothing and any order of delivery ends in Microsoft's state.
 * - **A customer change is decided whatever the state.** ChangePlan/ChangeQuantity arrive `InProgress` and
 *   Microsoft waits 10 seconds for the answer: they are handled at the root (`context.change`), never
 *   queued behind the lifecycle. While one is open, `subscribed.idle` is shown as `subscribed.deciding` /
 *   `subscribed.acknowledging` (see `stepOf`).
 *
 * STATE NAMES ARE A PUBLIC CONTRACT. The step (`stepOf`: `subscribed.idle`, `provisioningFailed`, …) is
 * written to Temporal as the `SaasStep` search attribute, returned by the API and typed by operators into
 * the Temporal UI; persisted snapshots carry state paths across continue-as-new. To rename a state: keep
 * accepting the old path in `restore()` (drive.ts) and map it to the new one, say so in the README's list
 * of steps, and keep the old name in `stepOf` until saved queries have moved.
 * @module
 */
import { and, assign, not, or, setup } from 'xstate'
import {
  finishRequest,
  isEffective,
  isNewOperation,
  mergeFacts,
  rememberOperation,
  retention,
  withStatus,
  type SubscriptionContext,
  type SubscriptionInput,
  type VendorRequest,
} from './context.ts'
import type { SubscriptionEvent } from './events.ts'
import {
  applyChange,
  applyChangeParams,
  changeFromEvent,
  decideChangeParams,
  isChangeToDecide,
  isConfirmedChange,
  isStaleConfirmedChange,
  matchesRequest,
  observedDifference,
  observedDrift,
  pendingChangeOf,
  requestRefusal,
  requestedChange,
  resyncParams,
  type ActionParams,
} from './transitions.ts'

export interface SubscriptionOutput {
  subscriptionId: string
  status: 'Unsubscribed'
  unsubscribedAt?: string
  retainUntil?: string
}

/** Side effects are declared, not implemented: the workflow runs them; this only types their parameters. */
const declare =
  <P>() =>
  (_: unknown, _params: P) => {}

const operationIdOf = (event: SubscriptionEvent) => ('operationId' in event ? event.operationId : undefined)
const requestIdOf = (event: SubscriptionEvent) => ('requestId' in event ? event.requestId : undefined)
const statusOf = (event: SubscriptionEvent) => ('status' in event ? event.status : undefined)
const observed = (event: SubscriptionEvent) => (event.type === 'status.observed' ? event.subscription : undefined)
const isOpen = (event: SubscriptionEvent) => statusOf(event) === 'InProgress' || statusOf(event) === 'NotStarted'

type Origin = { from: VendorRequest['from'] }

/**
 * A customer's ChangePlan or ChangeQuantity: the same rules for both (one kind of change at Microsoft), so
 * written once and used by both events at the root of the machine.
 */
const customerChange = [
  { guard: 'changeToDecide', actions: ['startChange', { type: 'decideChange', params: decideChangeParams }] },
  // Microsoft already settled the open change (its window passed): its word stands.
  {
    guard: and(['finalForPendingChange', 'succeeded']),
    actions: [{ type: 'applyChange', params: applyChangeParams.pending }, 'takePendingChange'],
  },
  { guard: 'finalForPendingChange', actions: 'dropPendingChange' },
  // Completed at Microsoft before it reached here (a late webhook), or older than the change applied last
  // (delivered out of order, it must not overwrite it): read what Microsoft has now, which costs one call
  // and settles any doubt.
  {
    guard: and([or(['confirmedChange', 'staleConfirmedChange']), 'converging']),
    actions: ['rememberOperation', { type: 'resync', params: resyncParams }],
  },
  { guard: or(['staleConfirmedChange', 'ineffective']), actions: 'rememberOperation' },
] as const

/** A cancellation Microsoft refused, or that could not be sent: back to the state it was asked from. */
const cancellationRefused = [
  {
    guard: and(['forRequest', { type: 'requestFrom', params: { from: 'awaitingBuyer' as const } }]),
    target: 'awaitingBuyer',
    actions: 'failRequest',
  },
  {
    guard: and(['forRequest', { type: 'requestFrom', params: { from: 'provisioningFailed' as const } }]),
    target: 'provisioningFailed',
    actions: 'failRequest',
  },
  {
    guard: and(['forRequest', { type: 'requestFrom', params: { from: 'activationFailed' as const } }]),
    target: 'activationFailed',
    actions: 'failRequest',
  },
  {
    guard: and(['forRequest', { type: 'requestFrom', params: { from: 'subscribed' as const } }]),
    target: 'subscribed',
    actions: 'failRequest',
  },
  {
    guard: and(['forRequest', { type: 'requestFrom', params: { from: 'suspended' as const } }]),
    target: 'suspended',
    actions: 'failRequest',
  },
] as const

export const subscriptionMachine = setup({
  types: {
    context: {} as SubscriptionContext,
    events: {} as SubscriptionEvent,
    input: {} as SubscriptionInput,
    output: {} as SubscriptionOutput,
  },
  actions: {
    // Side effects, run by the workflow as activities (workflows/effects.ts).
    provision: declare<ActionParams['provision']>(),
    activate: declare<ActionParams['activate']>(),
    decideChange: declare<ActionParams['decideChange']>(),
    acknowledgeOperation: declare<ActionParams['acknowledgeOperation']>(),
    acknowledgeReinstatement: declare<ActionParams['acknowledgeReinstatement']>(),
    applyChange: declare<ActionParams['applyChange']>(),
    requestChange: declare<ActionParams['requestChange']>(),
    requestCancellation: declare<ActionParams['requestCancellation']>(),
    suspendAccess: declare<ActionParams['suspendAccess']>(),
    decideReinstatement: declare<ActionParams['decideReinstatement']>(),
    deprovision: declare<ActionParams['deprovision']>(),
    notify: declare<ActionParams['notify']>(),
    resync: declare<ActionParams['resync']>(),

    // Context updates.
    /** Keeps the operation id, so the same webhook delivered again changes nothing. */
    rememberOperation: assign(({ context, event }) => ({
      operations: rememberOperation(context, operationIdOf(event)),
    })),
    /** Who the buyer is; kept when they come back to the landing page later ("Manage account"). */
    rememberBuyer: assign(({ context, event }) => ({
      buyer: event.type === 'buyer.confirmed' ? event.buyer : context.buyer,
    })),
    takeObservedFacts: assign(({ context, event }) => ({
      subscription: mergeFacts(context.subscription, observed(event)),
    })),
    /** Microsoft's view with its plan and seats: for a subscription that ends (observed Unsubscribed). */
    takeObservedPlan: assign(({ context, event }) => {
      const theirs = observed(event)
      if (!theirs) return {}
      return {
        subscription: { ...mergeFacts(context.subscription, theirs), planId: theirs.planId, quantity: theirs.quantity },
      }
    }),
    /** Microsoft's view differed while a step was under way: read it again once the subscription rests. */
    markResyncDue: assign(({ context, event }) => ({
      subscription: mergeFacts(context.subscription, observed(event)),
      resyncDue: true,
    })),
    clearResyncDue: assign({ resyncDue: undefined }),
    markSubscribed: assign(({ context }) => ({ subscription: withStatus(context, 'Subscribed') })),
    markSuspended: assign(({ context }) => ({ subscription: withStatus(context, 'Suspended') })),
    clearFailure: assign({ failure: undefined }),
    rememberProvisioningReference: assign(({ context, event }) => ({
      provisioningReference: event.type === 'provisioning.pending' ? event.reference : context.provisioningReference,
    })),
    recordFailure: assign(({ event }, params: { step: 'provision' | 'activate' }) => ({
      failure: { step: params.step, message: 'message' in event ? event.message : 'failed', at: event.at },
    })),
    /** A plan or seat count Microsoft confirmed (webhook, or observed drift); paired with `applyChange`. */
    takeChangeFromEvent: assign(({ context, event }) => {
      const { update } = applyChange(context, changeFromEvent(event))
      const { planId, quantity } = update.subscription
      return { ...update, subscription: { ...mergeFacts(context.subscription, observed(event)), planId, quantity } }
    }),
    /** The plan and seats the subscription ended on, from the Unsubscribe operation. */
    takeFinalPlan: assign(({ context, event }) => ({
      subscription:
        event.type === 'Unsubscribe'
          ? {
              ...context.subscription,
              planId: event.planId ?? context.subscription.planId,
              quantity: event.quantity ?? context.subscription.quantity,
            }
          : context.subscription,
    })),
    startChange: assign(({ context, event }) => ({
      change: pendingChangeOf(event, context.resyncOvertaken === true && !!context.change),
    })),
    recordDecision: assign(({ context, event }) => ({
      change:
        event.type === 'change.decided'
          ? { ...context.change!, accept: event.accept, reason: event.reason, byDefault: event.byDefault }
          : context.change,
    })),
    takePendingChange: assign(({ context }) => ({
      ...applyChange(context, context.change!).update,
      change: undefined,
      resyncDue: context.resyncDue || context.change?.overtook,
    })),
    dropPendingChange: assign(({ context }) => ({
      operations: rememberOperation(context, context.change?.operationId),
      change: undefined,
      resyncDue: context.resyncDue || context.change?.overtook,
    })),
    startReinstatement: assign(({ event }) => ({
      reinstatement: { operationId: operationIdOf(event), open: isOpen(event) },
    })),
    /** Microsoft reinstated it already (observed Subscribed): nothing is left to answer. */
    startObservedReinstatement: assign({ reinstatement: {} }),
    endReinstatement: assign({ reinstatement: undefined }),
    startRequest: assign(({ context, event }, params: { kind: VendorRequest['kind'] } & Origin) => ({
      request: {
        // Cancellations the machine starts itself (a refused reinstatement) get an id unique to the moment.
        requestId:
          requestIdOf(event) ?? `${params.kind}:${context.reinstatement?.operationId ?? 'observed'}:${event.at ?? ''}`,
        kind: params.kind,
        planId: event.type === 'vendor.changePlan' ? event.planId : undefined,
        quantity: event.type === 'vendor.changeQuantity' ? event.quantity : undefined,
        from: params.from,
      },
    })),
    takeRequestedChange: assign(({ context, event }) => ({
      ...applyChange(context, requestedChange(context, event)).update,
      ...finishRequest(context, 'succeeded', { operationId: operationIdOf(event) }),
    })),
    completeRequest: assign(({ context, event }) => ({
      ...finishRequest(context, 'succeeded', { operationId: operationIdOf(event) }),
      operations: rememberOperation(context, operationIdOf(event)),
    })),
    failRequest: assign(({ context, event }) => ({
      ...finishRequest(context, 'failed', {
        operationId: operationIdOf(event),
        message: 'message' in event ? event.message : `Microsoft answered ${statusOf(event) ?? 'no'}`,
      }),
      operations: rememberOperation(context, operationIdOf(event)),
    })),
    close: assign(({ context, event }) => ({
      subscription: withStatus(context, 'Unsubscribed'),
      change: undefined,
      reinstatement: undefined,
      resyncDue: undefined,
      ...retention(context, event.at),
      // A vendor request still open ends here: a cancellation got what it asked for, a change did not.
      ...(context.request &&
        finishRequest(context, context.request.kind === 'cancel' ? 'succeeded' : 'failed', {
          message: context.request.kind === 'cancel' ? undefined : 'the subscription was cancelled',
        })),
    })),
  },
  guards: {
    /** A Microsoft operation not seen before that happened (not Failed/Conflict). */
    effective: ({ context, event }) =>
      'operationId' in event && 'status' in event && isNewOperation(context, event) && isEffective(event),
    /** A Microsoft operation not seen before that failed: remembered, nothing else changes. */
    ineffective: ({ context, event }) =>
      'operationId' in event && 'status' in event && isNewOperation(context, event) && !isEffective(event),
    /** Microsoft still waits for an answer to this operation (InProgress). */
    open: ({ event }) => isOpen(event),
    /** See `SubscriptionContext.converge`. */
    converging: ({ context }) => context.converge,
    resyncDue: ({ context }) => !!context.resyncDue,
    observedUnsubscribed: ({ event }) => observed(event)?.saasSubscriptionStatus === 'Unsubscribed',
    observedSubscribed: ({ event }) => observed(event)?.saasSubscriptionStatus === 'Subscribed',
    observedSuspended: ({ event }) => observed(event)?.saasSubscriptionStatus === 'Suspended',
    observedDifference,
    activatedByMicrosoft: ({ context }) => context.subscription.saasSubscriptionStatus === 'Subscribed',
    adopted: ({ context }, params: { status: 'Subscribed' | 'Suspended' }) =>
      context.origin === 'adoption' && context.subscription.saasSubscriptionStatus === params.status,
    provisionsAdopted: ({ context }) => context.provisionAdopted === true,
    unsubscribedAlready: ({ context }) => context.subscription.saasSubscriptionStatus === 'Unsubscribed',
    changeToDecide: isChangeToDecide,
    confirmedChange: isConfirmedChange,
    staleConfirmedChange: isStaleConfirmedChange,
    drifted: observedDrift,
    /** Settles the customer change being decided or acknowledged (same operation id). */
    forPendingChange: ({ context, event }) => !!context.change && operationIdOf(event) === context.change.operationId,
    /** The webhook of the pending change redelivered with Microsoft's final status. */
    finalForPendingChange: ({ context, event }) =>
      !!context.change && operationIdOf(event) === context.change.operationId && !isOpen(event),
    succeeded: ({ event }) => statusOf(event) === 'Succeeded',
    /** The settlement of a customer change that a newer one replaced while it was being answered. */
    overtakenChange: ({ context, event }) =>
      event.type === 'operation.settled' &&
      !event.requestId &&
      isNewOperation(context, event) &&
      event.operationId !== context.change?.operationId,
    forRequest: ({ context, event }) => !!context.request && requestIdOf(event) === context.request.requestId,
    requestFrom: ({ context }, params: Origin) => context.request?.from === params.from,
    confirmsRequest: matchesRequest,
    /** A vendor request Microsoft can take (see `requestRefusal`). */
    requestable: ({ context, event }) => requestRefusal(context, event) === undefined,
    accepted: ({ event }) => event.type === 'reinstatement.decided' && event.accept,
    reinstatementOpen: ({ context }) => !!context.reinstatement?.open && !!context.reinstatement.operationId,
  },
}).createMachine({
  id: 'subscription',
  description: 'One SaaS subscription, from purchase to cancellation, as Microsoft and the vendor see it.',
  context: ({ input }) => ({
    subscription: input.subscription,
    origin: input.origin,
    startedAt: input.startedAt,
    retentionDays: input.retentionDays,
    operations: [],
    requests: [],
    converge: input.converge ?? true,
    provisionAdopted: input.provisionAdopted,
    resyncOvertaken: input.resyncOvertaken ?? true,
  }),
  initial: 'routing',
  output: ({ context }) => ({
    subscriptionId: context.subscription.id,
    status: 'Unsubscribed',
    unsubscribedAt: context.unsubscribedAt,
    retainUntil: context.retainUntil,
  }),
  // Shared by every state that is not final; a state's own handlers for the same event come first.
  on: {
    Unsubscribe: [
      { guard: 'effective', target: '.unsubscribed', actions: ['rememberOperation', 'takeFinalPlan'] },
      { guard: 'ineffective', actions: 'rememberOperation' },
    ],
    'buyer.confirmed': { actions: 'rememberBuyer' },
    // A customer's change is decided and answered inside Microsoft's window whatever the lifecycle does.
    ChangePlan: customerChange,
    ChangeQuantity: customerChange,
    'change.decided': {
      guard: 'forPendingChange',
      actions: [
        'recordDecision',
        {
          type: 'acknowledgeOperation',
          params: ({ context }) => ({ subscriptionId: context.subscription.id, change: context.change! }),
        },
      ],
    },
    'operation.settled': [
      {
        guard: and(['forPendingChange', 'succeeded']),
        actions: [{ type: 'applyChange', params: applyChangeParams.pending }, 'takePendingChange'],
      },
      { guard: 'forPendingChange', actions: 'dropPendingChange' },
      // A customer change overtaken by the next one before it settled: Microsoft's view tells what stands.
      {
        guard: and(['overtakenChange', 'succeeded', 'converging']),
        actions: [
          'rememberOperation',
          {
            type: 'resync',
            params: ({ context }) => ({ subscriptionId: context.subscription.id, reason: 'an overtaken change' }),
          },
        ],
      },
    ],
    'resync.requested': {
      actions: {
        type: 'resync',
        params: ({ context, event }) => ({
          subscriptionId: context.subscription.id,
          reason: event.type === 'resync.requested' ? event.reason : 'a request',
        }),
      },
    },
    'status.observed': [
      { guard: 'observedUnsubscribed', target: '.unsubscribed', actions: 'takeObservedPlan' },
      { guard: 'observedDifference', actions: 'markResyncDue' },
      { actions: 'takeObservedFacts' },
    ],
    Suspend: { guard: 'ineffective', actions: 'rememberOperation' },
    Reinstate: { guard: 'ineffective', actions: 'rememberOperation' },
    Renew: { guard: 'ineffective', actions: 'rememberOperation' },
    Subscribe: { guard: 'ineffective', actions: 'rememberOperation' },
  },
  states: {
    routing: {
      description: 'Starts where Microsoft says the subscription is (see `SubscriptionInput.origin`).',
      always: [
        { guard: 'unsubscribedAlready', target: 'unsubscribed' },
        { guard: { type: 'adopted', params: { status: 'Suspended' } }, target: 'suspended' },
        {
          guard: and([{ type: 'adopted', params: { status: 'Subscribed' as const } }, 'provisionsAdopted']),
          target: 'provisioning',
        },
        { guard: { type: 'adopted', params: { status: 'Subscribed' } }, target: 'subscribed' },
        { target: 'awaitingBuyer' },
      ],
    },

    awaitingBuyer: {
      description:
        'PendingFulfillmentStart: purchased; waiting for the buyer to confirm on the landing page, or for Microsoft to activate it itself (Subscribe).',
      on: {
        'buyer.confirmed': { target: 'provisioning', actions: 'rememberBuyer' },
        Subscribe: { guard: 'effective', target: 'provisioning', actions: ['rememberOperation', 'markSubscribed'] },
        'status.observed': [
          { guard: 'observedUnsubscribed', target: 'unsubscribed', actions: 'takeObservedPlan' },
          { guard: 'observedSubscribed', target: 'provisioning', actions: ['takeObservedFacts', 'markSubscribed'] },
          { actions: 'takeObservedFacts' },
        ],
        'vendor.cancel': {
          guard: 'requestable',
          target: 'cancelling',
          actions: { type: 'startRequest', params: { kind: 'cancel', from: 'awaitingBuyer' } },
        },
      },
    },

    provisioning: {
      description:
        'The vendor sets the customer up (hook `provision`), now or later (`provisioning.pending`, reported through the API).',
      entry: [
        'clearFailure',
        { type: 'provision', params: ({ context }) => ({ subscription: context.subscription, buyer: context.buyer }) },
      ],
      on: {
        'provisioning.completed': [{ guard: 'activatedByMicrosoft', target: 'subscribed' }, { target: 'activating' }],
        'provisioning.pending': { actions: 'rememberProvisioningReference' },
        'provisioning.failed': {
          target: 'provisioningFailed',
          actions: { type: 'recordFailure', params: { step: 'provision' } },
        },
        // Microsoft activated it itself (auto-activation): no Activate call after provisioning.
        Subscribe: { guard: 'effective', actions: ['rememberOperation', 'markSubscribed'] },
        'status.observed': [
          { guard: 'observedUnsubscribed', target: 'unsubscribed', actions: 'takeObservedPlan' },
          { guard: 'observedSubscribed', actions: ['takeObservedFacts', 'markSubscribed'] },
          { actions: 'takeObservedFacts' },
        ],
      },
    },

    provisioningFailed: {
      description: 'The vendor could not set the customer up; an operator retries or cancels.',
      on: {
        retry: 'provisioning',
        'vendor.cancel': {
          guard: 'requestable',
          target: 'cancelling',
          actions: { type: 'startRequest', params: { kind: 'cancel', from: 'provisioningFailed' } },
        },
        // Microsoft activated it meanwhile: after a retry the provisioning must not call Activate again.
        Subscribe: { guard: 'effective', actions: ['rememberOperation', 'markSubscribed'] },
        'status.observed': [
          { guard: 'observedUnsubscribed', target: 'unsubscribed', actions: 'takeObservedPlan' },
          { guard: 'observedSubscribed', actions: ['takeObservedFacts', 'markSubscribed'] },
          { actions: 'takeObservedFacts' },
        ],
      },
    },

    activating: {
      description: 'Tells Microsoft the customer is ready (Activate); billing starts when it succeeds.',
      entry: [
        'clearFailure',
        {
          type: 'activate',
          params: ({ context }) => ({
            subscriptionId: context.subscription.id,
            planId: context.subscription.planId,
            quantity: context.subscription.quantity,
          }),
        },
      ],
      on: {
        'activation.completed': 'subscribed',
        'activation.failed': {
          target: 'activationFailed',
          actions: { type: 'recordFailure', params: { step: 'activate' } },
        },
        Subscribe: { guard: 'effective', target: 'subscribed', actions: 'rememberOperation' },
        'status.observed': [
          { guard: 'observedUnsubscribed', target: 'unsubscribed', actions: 'takeObservedPlan' },
          { guard: 'observedSubscribed', target: 'subscribed', actions: 'takeObservedFacts' },
          // Activated, then suspended at once (Microsoft suspends only what it activated).
          { guard: 'observedSuspended', target: 'suspended', actions: 'takeObservedFacts' },
          { actions: 'takeObservedFacts' },
        ],
      },
    },

    activationFailed: {
      description: 'Microsoft refused the activation; an operator retries or cancels.',
      on: {
        retry: 'activating',
        Subscribe: { guard: 'effective', target: 'subscribed', actions: 'rememberOperation' },
        'vendor.cancel': {
          guard: 'requestable',
          target: 'cancelling',
          actions: { type: 'startRequest', params: { kind: 'cancel', from: 'activationFailed' } },
        },
        'status.observed': [
          { guard: 'observedUnsubscribed', target: 'unsubscribed', actions: 'takeObservedPlan' },
          { guard: 'observedSubscribed', target: 'subscribed', actions: 'takeObservedFacts' },
          // Activated, then suspended at once (Microsoft suspends only what it activated).
          { guard: 'observedSuspended', target: 'suspended', actions: 'takeObservedFacts' },
          { actions: 'takeObservedFacts' },
        ],
      },
    },

    subscribed: {
      description: 'Subscribed: active and billed. Customer changes are decided at the root, in any step.',
      initial: 'idle',
      entry: ['markSubscribed', 'clearFailure'],
      states: {
        idle: {
          description:
            'Nothing under way at Microsoft for the vendor. Shown as `subscribed.deciding` / `subscribed.acknowledging` while a customer change is open.',
          always: {
            guard: 'resyncDue',
            actions: [
              'clearResyncDue',
              {
                type: 'resync',
                params: ({ context }) => ({ subscriptionId: context.subscription.id, reason: 'settled' }),
              },
            ],
          },
          on: {
            Suspend: [
              {
                guard: and(['effective', 'converging']),
                actions: [
                  'rememberOperation',
                  {
                    type: 'resync',
                    params: ({ context }) => ({ subscriptionId: context.subscription.id, reason: 'Suspend' }),
                  },
                ],
              },
              { guard: 'effective', target: '#subscription.suspended', actions: 'rememberOperation' },
            ],
            Renew: [
              {
                guard: and(['effective', 'converging']),
                actions: [
                  'rememberOperation',
                  {
                    type: 'notify',
                    params: ({ context, event }) => ({
                      event: 'Renew',
                      subscription: context.subscription,
                      operationId: operationIdOf(event),
                    }),
                  },
                  {
                    type: 'resync',
                    params: ({ context }) => ({ subscriptionId: context.subscription.id, reason: 'Renew' }),
                  },
                ],
              },
              {
                guard: 'effective',
                actions: [
                  'rememberOperation',
                  {
                    type: 'notify',
                    params: ({ context, event }) => ({
                      event: 'Renew',
                      subscription: context.subscription,
                      operationId: operationIdOf(event),
                    }),
                  },
                ],
              },
            ],
            Subscribe: { guard: 'effective', actions: 'rememberOperation' },
            Reinstate: [
              // Microsoft still waits on it though the subscription is active here: take it back, and say so.
              {
                guard: and(['effective', 'open']),
                actions: [
                  'rememberOperation',
                  {
                    type: 'acknowledgeReinstatement',
                    params: ({ context, event }) => ({
                      subscriptionId: context.subscription.id,
                      operationId: operationIdOf(event)!,
                    }),
                  },
                ],
              },
              {
                guard: and(['effective', 'succeeded', 'converging']),
                actions: [
                  'rememberOperation',
                  {
                    type: 'resync',
                    params: ({ context }) => ({ subscriptionId: context.subscription.id, reason: 'Reinstate' }),
                  },
                ],
              },
              { guard: and(['effective', 'succeeded']), actions: 'rememberOperation' },
            ],
            // A completed change delivered late, from runs recorded before convergence (which read Microsoft instead).
            ChangePlan: {
              guard: and(['confirmedChange', not('converging')]),
              actions: [{ type: 'applyChange', params: applyChangeParams.fromEvent }, 'takeChangeFromEvent'],
            },
            ChangeQuantity: {
              guard: and(['confirmedChange', not('converging')]),
              actions: [{ type: 'applyChange', params: applyChangeParams.fromEvent }, 'takeChangeFromEvent'],
            },
            'vendor.changePlan': {
              guard: 'requestable',
              target: 'changing',
              actions: { type: 'startRequest', params: { kind: 'changePlan', from: 'subscribed' } },
            },
            'vendor.changeQuantity': {
              guard: 'requestable',
              target: 'changing',
              actions: { type: 'startRequest', params: { kind: 'changeQuantity', from: 'subscribed' } },
            },
            'vendor.cancel': {
              guard: 'requestable',
              target: '#subscription.cancelling',
              actions: { type: 'startRequest', params: { kind: 'cancel', from: 'subscribed' } },
            },
            'status.observed': [
              { guard: 'observedUnsubscribed', target: '#subscription.unsubscribed', actions: 'takeObservedPlan' },
              // Plan or seats changed too: the vendor applies them before access is limited.
              {
                guard: and(['observedSuspended', 'drifted']),
                target: '#subscription.suspended',
                actions: [{ type: 'applyChange', params: applyChangeParams.fromEvent }, 'takeChangeFromEvent'],
              },
              { guard: 'observedSuspended', target: '#subscription.suspended', actions: 'takeObservedFacts' },
              // Microsoft has another plan or seat count than this service: Microsoft's wins, the vendor is told.
              {
                guard: 'drifted',
                actions: [{ type: 'applyChange', params: applyChangeParams.fromEvent }, 'takeChangeFromEvent'],
              },
              { actions: 'takeObservedFacts' },
            ],
          },
        },

        changing: {
          description:
            'A vendor-initiated plan or seat change is at Microsoft; applied only once Microsoft confirms it.',
          entry: {
            type: 'requestChange',
            params: ({ context }) => ({
              subscriptionId: context.subscription.id,
              requestId: context.request!.requestId,
              planId: context.request!.planId,
              quantity: context.request!.quantity,
            }),
          },
          on: {
            'operation.settled': [
              {
                guard: and(['forRequest', 'succeeded']),
                target: 'idle',
                actions: [{ type: 'applyChange', params: applyChangeParams.requested }, 'takeRequestedChange'],
              },
              { guard: 'forRequest', target: 'idle', actions: 'failRequest' },
            ],
            // Microsoft's webhook for this very change may arrive before the polling activity sees it end.
            ChangePlan: {
              guard: 'confirmsRequest',
              target: 'idle',
              actions: [{ type: 'applyChange', params: applyChangeParams.requested }, 'takeRequestedChange'],
            },
            ChangeQuantity: {
              guard: 'confirmsRequest',
              target: 'idle',
              actions: [{ type: 'applyChange', params: applyChangeParams.requested }, 'takeRequestedChange'],
            },
            'vendor.requestFailed': { guard: 'forRequest', target: 'idle', actions: 'failRequest' },
          },
        },
      },
    },

    cancelling: {
      description:
        'A vendor-initiated cancellation (DELETE) is at Microsoft; back where it started if Microsoft refuses.',
      entry: {
        type: 'requestCancellation',
        params: ({ context }) => ({ subscriptionId: context.subscription.id, requestId: context.request!.requestId }),
      },
      on: {
        'operation.settled': [
          { guard: and(['forRequest', 'succeeded']), target: 'unsubscribed', actions: 'completeRequest' },
          ...cancellationRefused,
        ],
        'vendor.requestFailed': cancellationRefused,
        Unsubscribe: { guard: 'effective', target: 'unsubscribed', actions: ['completeRequest', 'takeFinalPlan'] },
      },
    },

    suspended: {
      description:
        'Suspended: Microsoft did not receive payment. Access is limited (hook `suspendAccess`); data is kept.',
      initial: 'idle',
      entry: [
        'markSuspended',
        {
          type: 'suspendAccess',
          params: ({ context, event }) => ({ subscription: context.subscription, operationId: operationIdOf(event) }),
        },
      ],
      states: {
        idle: {
          description: 'Waiting for payment: Microsoft reinstates or, after 30 days, cancels.',
          always: {
            guard: 'resyncDue',
            actions: [
              'clearResyncDue',
              {
                type: 'resync',
                params: ({ context }) => ({ subscriptionId: context.subscription.id, reason: 'settled' }),
              },
            ],
          },
          on: {
            // Already suspended (adopted from Microsoft's view): nothing more to do.
            Suspend: { guard: 'effective', actions: 'rememberOperation' },
            Reinstate: [
              // Completed at Microsoft: read it, so that a Reinstate older than a later Suspend changes nothing.
              {
                guard: and(['effective', 'succeeded', 'converging']),
                actions: [
                  'rememberOperation',
                  {
                    type: 'resync',
                    params: ({ context }) => ({ subscriptionId: context.subscription.id, reason: 'Reinstate' }),
                  },
                ],
              },
              { guard: 'effective', target: 'reinstating', actions: ['rememberOperation', 'startReinstatement'] },
            ],
            'vendor.cancel': {
              guard: 'requestable',
              target: '#subscription.cancelling',
              actions: { type: 'startRequest', params: { kind: 'cancel', from: 'suspended' } },
            },
            'status.observed': [
              { guard: 'observedUnsubscribed', target: '#subscription.unsubscribed', actions: 'takeObservedPlan' },
              {
                guard: and(['observedSubscribed', 'drifted']),
                target: 'reinstating',
                actions: [
                  { type: 'applyChange', params: applyChangeParams.fromEvent },
                  'takeChangeFromEvent',
                  'startObservedReinstatement',
                ],
              },
              {
                guard: 'observedSubscribed',
                target: 'reinstating',
                actions: ['takeObservedFacts', 'startObservedReinstatement'],
              },
              {
                guard: 'drifted',
                actions: [{ type: 'applyChange', params: applyChangeParams.fromEvent }, 'takeChangeFromEvent'],
              },
              { actions: 'takeObservedFacts' },
            ],
          },
        },

        reinstating: {
          description:
            'Payment came: the vendor takes the customer back (hook `decideReinstatement`); if it cannot, the subscription is cancelled.',
          entry: {
            type: 'decideReinstatement',
            params: ({ context }) => ({
              subscription: context.subscription,
              operationId: context.reinstatement?.operationId,
            }),
          },
          on: {
            'reinstatement.decided': [
              {
                guard: and(['accepted', 'reinstatementOpen']),
                target: '#subscription.subscribed',
                actions: [
                  {
                    type: 'acknowledgeReinstatement',
                    params: ({ context }) => ({
                      subscriptionId: context.subscription.id,
                      operationId: context.reinstatement!.operationId!,
                    }),
                  },
                  'endReinstatement',
                ],
              },
              { guard: 'accepted', target: '#subscription.subscribed', actions: 'endReinstatement' },
              {
                target: '#subscription.cancelling',
                actions: [{ type: 'startRequest', params: { kind: 'cancel', from: 'suspended' } }, 'endReinstatement'],
              },
            ],
          },
        },
      },
    },

    unsubscribed: {
      description:
        'Unsubscribed, final. Access is revoked now (hook `deprovision`); the vendor keeps the data until `retainUntil`.',
      type: 'final',
      // Takes no event: XState still offers the root's handlers to a done snapshot, and this state's own
      // handler, which does nothing, is found before theirs.
      on: { '*': {} },
      entry: [
        'close',
        {
          type: 'deprovision',
          params: ({ context }) => ({ subscription: context.subscription, retainUntil: context.retainUntil! }),
        },
      ],
    },
  },
})
