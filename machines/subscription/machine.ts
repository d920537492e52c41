/**
 * The lifecycle of one SaaS subscription: PendingFulfillmentStart → Subscribed ⇄ Suspended → Unsubscribed,
 * with the steps in between (provisioning, activating, a change being decided, a vendor request at
 * Microsoft) and failure states an operator can retry or cancel.
 *
 * Pure: no Temporal, no I/O, no clock. The workflow feeds it events through `transition()` and runs the
 * side effects it returns (`provision`, `activate`, `acknowledgeOperation`, …, see `ActionParams`) as
 * activities. Rules follow Microsoft's contract: only Subscribed can change or be suspended, only
 * Suspended can be reinstated, Unsubscribed is final. An event a state does not accept has no transition
 * here, so `snapshot.can(event)` is false and the driver (drive.ts) records it as ignored or keeps it
 * for a later state.
 * @module
 */
import { and, assign, setup } from 'xstate'
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
  isChangeToDecide,
  isConfirmedChange,
  isStaleConfirmedChange,
  matchesRequest,
  observedDrift,
  pendingChangeOf,
  requestedChange,
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

type Origin = { from: VendorRequest['from'] }

export const subscriptionMachine = setup({
  types: {
    context: {} as SubscriptionContext,
    events: {} as SubscriptionEvent,
    input: {} as SubscriptionInput,
    output: {} as SubscriptionOutput,
  },
  actions: {
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

    /** Keeps the operation id, so the same webhook delivered again changes nothing. */
    rememberOperation: assign(({ context, event }) => ({
      operations: rememberOperation(context, operationIdOf(event)),
    })),
    takeObservedFacts: assign(({ context, event }) => ({
      subscription: mergeFacts(context.subscription, observed(event)),
    })),
    markSubscribed: assign(({ context }) => ({ subscription: withStatus(context, 'Subscribed') })),
    clearFailure: assign({ failure: undefined }),
    recordFailure: assign(({ event }, params: { step: 'provision' | 'activate' }) => ({
      failure: { step: params.step, message: 'message' in event ? event.message : 'failed', at: event.at },
    })),
    /** A plan or seat count Microsoft confirmed (webhook, or observed drift); paired with `applyChange`. */
    takeChangeFromEvent: assign(({ context, event }) => {
      const { update } = applyChange(context, changeFromEvent(event))
      const { planId, quantity } = update.subscription
      return { ...update, subscription: { ...mergeFacts(context.subscription, observed(event)), planId, quantity } }
    }),
    startChange: assign(({ event }) => ({ change: pendingChangeOf(event) })),
    recordDecision: assign(({ context, event }) => ({
      change:
        event.type === 'change.decided'
          ? { ...context.change!, accept: event.accept, reason: event.reason }
          : context.change,
    })),
    takePendingChange: assign(({ context }) => ({
      ...applyChange(context, context.change!).update,
      change: undefined,
    })),
    dropPendingChange: assign(({ context }) => ({
      operations: rememberOperation(context, context.change?.operationId),
      change: undefined,
    })),
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
  },
  guards: {
    /** A Microsoft operation not seen before that happened (not Failed/Conflict). */
    effective: ({ context, event }) =>
      'operationId' in event && 'status' in event && isNewOperation(context, event) && isEffective(event),
    /** A Microsoft operation not seen before that failed: remembered, nothing else changes. */
    ineffective: ({ context, event }) =>
      'operationId' in event && 'status' in event && isNewOperation(context, event) && !isEffective(event),
    observedUnsubscribed: ({ event }) => observed(event)?.saasSubscriptionStatus === 'Unsubscribed',
    observedSubscribed: ({ event }) => observed(event)?.saasSubscriptionStatus === 'Subscribed',
    observedSuspended: ({ event }) => observed(event)?.saasSubscriptionStatus === 'Suspended',
    activatedByMicrosoft: ({ context }) => context.subscription.saasSubscriptionStatus === 'Subscribed',
    adopted: ({ context }, params: { status: 'Subscribed' | 'Suspended' }) =>
      context.origin === 'adoption' && context.subscription.saasSubscriptionStatus === params.status,
    unsubscribedAlready: ({ context }) => context.subscription.saasSubscriptionStatus === 'Unsubscribed',
    changeToDecide: isChangeToDecide,
    confirmedChange: isConfirmedChange,
    staleConfirmedChange: isStaleConfirmedChange,
    drifted: observedDrift,
    /** Settles the customer change being decided or acknowledged (same operation id). */
    forPendingChange: ({ context, event }) => operationIdOf(event) === context.change?.operationId,
    /** The webhook of the pending change redelivered with Microsoft's final status. */
    finalForPendingChange: ({ context, event }) =>
      operationIdOf(event) === context.change?.operationId &&
      !['InProgress', 'NotStarted'].includes(statusOf(event) ?? ''),
    succeeded: ({ event }) => statusOf(event) === 'Succeeded',
    forRequest: ({ context, event }) => requestIdOf(event) === context.request?.requestId,
    requestFrom: ({ context }, params: Origin) => context.request?.from === params.from,
    confirmsRequest: matchesRequest,
    newPlan: ({ context, event }) => event.type === 'vendor.changePlan' && event.planId !== context.subscription.planId,
    newQuantity: ({ context, event }) =>
      event.type === 'vendor.changeQuantity' &&
      Number.isInteger(event.quantity) &&
      event.quantity > 0 &&
      event.quantity !== context.subscription.quantity,
    accepted: ({ event }) => event.type === 'reinstatement.decided' && event.accept,
    reinstatementOpen: ({ context }) => !!context.reinstatement?.open && !!context.reinstatement.operationId,
  },
}).createMachine({
  id: 'subscription',
  context: ({ input }) => ({
    subscription: input.subscription,
    origin: input.origin,
    startedAt: input.startedAt,
    retentionDays: input.retentionDays,
    operations: [],
    requests: [],
  }),
  initial: 'routing',
  output: ({ context }) => ({
    subscriptionId: context.subscription.id,
    status: 'Unsubscribed',
    unsubscribedAt: context.unsubscribedAt,
    retainUntil: context.retainUntil,
  }),
  // Shared by every active state; a state's own handlers for the same event come first.
  on: {
    Unsubscribe: [
      { guard: 'effective', target: '.unsubscribed', actions: 'rememberOperation' },
      { guard: 'ineffective', actions: 'rememberOperation' },
    ],
    // The buyer may come back to the landing page later ("Manage account"): who they are is kept.
    'buyer.confirmed': { actions: assign({ buyer: ({ event }) => event.buyer }) },
    'status.observed': [{ guard: 'observedUnsubscribed', target: '.unsubscribed' }, { actions: 'takeObservedFacts' }],
    ChangePlan: { guard: 'ineffective', actions: 'rememberOperation' },
    ChangeQuantity: { guard: 'ineffective', actions: 'rememberOperation' },
    Suspend: { guard: 'ineffective', actions: 'rememberOperation' },
    Reinstate: { guard: 'ineffective', actions: 'rememberOperation' },
    Renew: { guard: 'ineffective', actions: 'rememberOperation' },
    Subscribe: { guard: 'ineffective', actions: 'rememberOperation' },
  },
  states: {
    /** Starts where Microsoft says the subscription is (see `SubscriptionInput.origin`). */
    routing: {
      always: [
        { guard: 'unsubscribedAlready', target: 'unsubscribed' },
        { guard: { type: 'adopted', params: { status: 'Suspended' } }, target: 'suspended' },
        { guard: { type: 'adopted', params: { status: 'Subscribed' } }, target: 'subscribed' },
        { target: 'awaitingBuyer' },
      ],
    },

    /** Purchased; waiting for the buyer to confirm on the landing page, or for Microsoft's `Subscribe`. */
    awaitingBuyer: {
      on: {
        'buyer.confirmed': { target: 'provisioning', actions: assign({ buyer: ({ event }) => event.buyer }) },
        Subscribe: { guard: 'effective', target: 'provisioning', actions: ['rememberOperation', 'markSubscribed'] },
        'status.observed': [
          { guard: 'observedUnsubscribed', target: 'unsubscribed' },
          { guard: 'observedSubscribed', target: 'provisioning', actions: ['takeObservedFacts', 'markSubscribed'] },
          { actions: 'takeObservedFacts' },
        ],
        'vendor.cancel': cancel('awaitingBuyer'),
      },
    },

    /** The vendor sets the customer up (hook `provision`), now or later (`provisioning.pending`). */
    provisioning: {
      entry: [
        'clearFailure',
        { type: 'provision', params: ({ context }) => ({ subscription: context.subscription, buyer: context.buyer }) },
      ],
      on: {
        'provisioning.completed': [{ guard: 'activatedByMicrosoft', target: 'subscribed' }, { target: 'activating' }],
        'provisioning.pending': { actions: assign({ provisioningReference: ({ event }) => event.reference }) },
        'provisioning.failed': {
          target: 'provisioningFailed',
          actions: { type: 'recordFailure', params: { step: 'provision' } },
        },
        // Microsoft activated it itself (auto-activation): no Activate call after provisioning.
        Subscribe: { guard: 'effective', actions: ['rememberOperation', 'markSubscribed'] },
        'status.observed': [
          { guard: 'observedUnsubscribed', target: 'unsubscribed' },
          { guard: 'observedSubscribed', actions: ['takeObservedFacts', 'markSubscribed'] },
          { actions: 'takeObservedFacts' },
        ],
      },
    },

    provisioningFailed: {
      on: {
        retry: 'provisioning',
        'vendor.cancel': cancel('provisioningFailed'),
        // Microsoft activated it meanwhile: after a retry the provisioning must not call Activate again.
        Subscribe: { guard: 'effective', actions: ['rememberOperation', 'markSubscribed'] },
        'status.observed': [
          { guard: 'observedUnsubscribed', target: 'unsubscribed' },
          { guard: 'observedSubscribed', actions: ['takeObservedFacts', 'markSubscribed'] },
          { actions: 'takeObservedFacts' },
        ],
      },
    },

    /** Tells Microsoft the customer is ready (Activate); billing starts when it succeeds. */
    activating: {
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
        'status.observed': observedWhileActivating(),
      },
    },

    activationFailed: {
      on: {
        retry: 'activating',
        Subscribe: { guard: 'effective', target: 'subscribed', actions: 'rememberOperation' },
        'vendor.cancel': cancel('activationFailed'),
        'status.observed': observedWhileActivating(),
      },
    },

    subscribed: {
      initial: 'idle',
      entry: ['markSubscribed', 'clearFailure'],
      states: {
        idle: {
          on: {
            ChangePlan: customerChange(),
            ChangeQuantity: customerChange(),
            Suspend: { guard: 'effective', target: '#subscription.suspended', actions: 'rememberOperation' },
            Renew: {
              guard: 'effective',
              actions: [
                'rememberOperation',
                assign(({ context, event }) => ({
                  subscription:
                    event.type === 'Renew' && event.subscription
                      ? { ...context.subscription, term: event.subscription.term }
                      : context.subscription,
                })),
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
            Subscribe: { guard: 'effective', actions: 'rememberOperation' },
            // Already reinstated (a subscription adopted after the fact); an InProgress one is kept for later instead.
            Reinstate: { guard: and(['effective', 'succeeded']), actions: 'rememberOperation' },
            'vendor.changePlan': {
              guard: 'newPlan',
              target: 'changing',
              actions: { type: 'startRequest', params: { kind: 'changePlan', from: 'subscribed' } },
            },
            'vendor.changeQuantity': {
              guard: 'newQuantity',
              target: 'changing',
              actions: { type: 'startRequest', params: { kind: 'changeQuantity', from: 'subscribed' } },
            },
            'vendor.cancel': cancel('subscribed'),
            'status.observed': [
              { guard: 'observedUnsubscribed', target: '#subscription.unsubscribed' },
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

        /** The vendor decides on the customer's change (hook `decideChange`; accepted by default when late). */
        deciding: {
          entry: {
            type: 'decideChange',
            params: ({ context }) => ({ subscription: context.subscription, change: context.change! }),
          },
          on: {
            'change.decided': { guard: 'forPendingChange', target: 'acknowledging', actions: 'recordDecision' },
            // Microsoft already settled it (its window passed): its word stands, the decision comes too late.
            ChangePlan: settleChange('finalForPendingChange'),
            ChangeQuantity: settleChange('finalForPendingChange'),
          },
        },

        /** PATCH Success/Failure to Microsoft, then Microsoft's final word on the operation. */
        acknowledging: {
          entry: {
            type: 'acknowledgeOperation',
            params: ({ context }) => ({ subscriptionId: context.subscription.id, change: context.change! }),
          },
          on: {
            'operation.settled': settleChange('forPendingChange'),
            // The same operation redelivered with its final status settles it too.
            ChangePlan: settleChange('finalForPendingChange'),
            ChangeQuantity: settleChange('finalForPendingChange'),
          },
        },

        /** A vendor-initiated change is at Microsoft; applied only once Microsoft confirms it. */
        changing: {
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

    /** A vendor-initiated cancellation (DELETE) is at Microsoft. */
    cancelling: {
      entry: {
        type: 'requestCancellation',
        params: ({ context }) => ({ subscriptionId: context.subscription.id, requestId: context.request!.requestId }),
      },
      on: {
        'operation.settled': [
          { guard: and(['forRequest', 'succeeded']), target: 'unsubscribed', actions: 'completeRequest' },
          ...backFromCancel(),
        ],
        'vendor.requestFailed': backFromCancel(),
        Unsubscribe: { guard: 'effective', target: 'unsubscribed', actions: 'completeRequest' },
      },
    },

    suspended: {
      initial: 'idle',
      entry: [
        assign(({ context }) => ({ subscription: withStatus(context, 'Suspended') })),
        {
          type: 'suspendAccess',
          params: ({ context, event }) => ({ subscription: context.subscription, operationId: operationIdOf(event) }),
        },
      ],
      states: {
        idle: {
          on: {
            // Already suspended (adopted from a webhook whose subscription showed Suspended): nothing more to do.
            Suspend: { guard: 'effective', actions: 'rememberOperation' },
            Reinstate: {
              guard: 'effective',
              target: 'reinstating',
              actions: [
                'rememberOperation',
                assign({
                  reinstatement: ({ event }) => ({
                    operationId: event.operationId,
                    open: event.status === 'InProgress' || event.status === 'NotStarted',
                  }),
                }),
              ],
            },
            'vendor.cancel': cancel('suspended'),
            'status.observed': [
              { guard: 'observedUnsubscribed', target: '#subscription.unsubscribed' },
              {
                guard: 'observedSubscribed',
                target: 'reinstating',
                actions: ['takeObservedFacts', assign({ reinstatement: {} })],
              },
              { actions: 'takeObservedFacts' },
            ],
          },
        },
        /** The vendor takes the customer back (hook `decideReinstatement`); if it cannot, the subscription is cancelled. */
        reinstating: {
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
                  assign({ reinstatement: undefined }),
                ],
              },
              { guard: 'accepted', target: '#subscription.subscribed', actions: assign({ reinstatement: undefined }) },
              {
                target: '#subscription.cancelling',
                actions: [
                  { type: 'startRequest', params: { kind: 'cancel', from: 'suspended' } },
                  assign({ reinstatement: undefined }),
                ],
              },
            ],
          },
        },
      },
    },

    /** Final. Access is revoked now; the vendor keeps the data until `retainUntil`. */
    unsubscribed: {
      type: 'final',
      entry: [
        assign(({ context, event }) => ({
          subscription: withStatus(context, 'Unsubscribed'),
          change: undefined,
          reinstatement: undefined,
          ...retention(context, event.at),
          // A vendor request still open ends here: a cancellation got what it asked for, a change did not.
          ...(context.request &&
            finishRequest(context, context.request.kind === 'cancel' ? 'succeeded' : 'failed', {
              message: context.request.kind === 'cancel' ? undefined : 'the subscription was cancelled',
            })),
        })),
        {
          type: 'deprovision',
          params: ({ context }) => ({ subscription: context.subscription, retainUntil: context.retainUntil! }),
        },
      ],
    },
  },
})

function cancel(from: VendorRequest['from']) {
  return {
    target: '#subscription.cancelling',
    actions: { type: 'startRequest', params: { kind: 'cancel', from } },
  } as const
}

/** Back to where a cancellation started when Microsoft refuses it (Failed/Conflict, or a 4xx). */
function backFromCancel() {
  const origins = ['awaitingBuyer', 'provisioningFailed', 'activationFailed', 'subscribed', 'suspended'] as const
  return origins.map((from) => ({
    guard: and(['forRequest', { type: 'requestFrom', params: { from } }]),
    target: `#subscription.${from}`,
    actions: 'failRequest',
  })) as { guard: ReturnType<typeof and>; target: string; actions: 'failRequest' }[]
}

/** ChangePlan/ChangeQuantity while idle: decide an open one, apply a confirmed one, skip a stale one. */
function customerChange() {
  return [
    { guard: 'changeToDecide', target: 'deciding', actions: 'startChange' },
    {
      guard: 'confirmedChange',
      actions: [{ type: 'applyChange', params: applyChangeParams.fromEvent }, 'takeChangeFromEvent'],
    },
    { guard: 'staleConfirmedChange', actions: 'rememberOperation' },
  ] as const
}

/** Microsoft's final word on the customer's change: applied if it succeeded, only remembered otherwise. */
function settleChange(guard: 'forPendingChange' | 'finalForPendingChange') {
  return [
    {
      guard: and([guard, 'succeeded']),
      target: 'idle',
      actions: [{ type: 'applyChange', params: applyChangeParams.pending }, 'takePendingChange'],
    },
    { guard, target: 'idle', actions: 'dropPendingChange' },
  ] as const
}

function observedWhileActivating() {
  return [
    { guard: 'observedUnsubscribed', target: '#subscription.unsubscribed' },
    { guard: 'observedSubscribed', target: '#subscription.subscribed', actions: 'takeObservedFacts' },
    { actions: 'takeObservedFacts' },
  ] as const
}
