/**
 * Shared fixtures for the subscription machine's tests: deterministic times, Microsoft operations with
 * the statuses the contract says they arrive with, and a small recorder around the pure driver that
 * reaches any lifecycle step by its ordinary path. Not a test itself (no `.test.ts`).
 * @module
 */
import {
  dispatch,
  type ActionParams,
  start,
  stepOf,
  type DriverState,
  type MarketplaceEvent,
  type Step,
  type SubscriptionEvent,
  type SubscriptionFacts,
  type SubscriptionInput,
  type SubscriptionStatus,
} from '../../machines/subscription/index.ts'
import type { OperationStatus } from '../../machines/subscription/events.ts'

/** Every test clock starts here; nothing reads the real time. */
export const T0 = '2024-05-01T12:00:00.000Z'
export const RETENTION_DAYS = 30
export const DAY_MS = 86_400_000

/** `T0` plus some minutes, as an ISO string. */
export function minutes(n: number): string {
  return new Date(Date.parse(T0) + n * 60_000).toISOString()
}

export function plusDays(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * DAY_MS).toISOString()
}

export function facts(overrides: Partial<SubscriptionFacts> = {}): SubscriptionFacts {
  return {
    id: 'sub-1',
    name: 'Contoso',
    offerId: 'offer-1',
    planId: 'basic',
    quantity: 5,
    saasSubscriptionStatus: 'PendingFulfillmentStart',
    term: { termUnit: 'P1M', startDate: '2024-05-01', endDate: '2024-05-31' },
    autoRenew: true,
    isFreeTrial: false,
    isTest: false,
    ...overrides,
  }
}

/** `converge: false` is a run recorded before convergence, which replays the edges it took then. */
export interface RunOptions {
  converge?: boolean
  provisionAdopted?: boolean
}

export function input(
  origin: SubscriptionInput['origin'],
  overrides: Partial<SubscriptionFacts> = {},
  { converge, provisionAdopted }: RunOptions = {},
): SubscriptionInput {
  return {
    subscription: facts(overrides),
    origin,
    retentionDays: RETENTION_DAYS,
    ...(converge === undefined ? {} : { converge }),
    ...(provisionAdopted === undefined ? {} : { provisionAdopted }),
  }
}

type OperationType = Exclude<MarketplaceEvent['type'], 'operation.unknown'>

/**
 * How each action arrives by webhook (docs/marketplace-contract.md §4.2–4.3): customer changes InProgress,
 * the rest Succeeded, Reinstate included (notify-only today; older docs had it InProgress).
 */
export const ARRIVES_AS: Record<OperationType, OperationStatus> = {
  ChangePlan: 'InProgress',
  ChangeQuantity: 'InProgress',
  Reinstate: 'Succeeded',
  Suspend: 'Succeeded',
  Renew: 'Succeeded',
  Unsubscribe: 'Succeeded',
  Subscribe: 'Succeeded',
}

interface OperationOptions {
  status?: OperationStatus
  timeStamp?: string
  receivedAt?: string
  at?: string
}

function operationFields(type: OperationType, operationId: string, options: OperationOptions) {
  return {
    operationId,
    status: options.status ?? ARRIVES_AS[type],
    receivedAt: options.receivedAt ?? T0,
    ...(options.timeStamp ? { timeStamp: options.timeStamp } : {}),
    ...(options.at ? { at: options.at } : {}),
  }
}

/** A Microsoft operation without a payload of its own (Suspend, Reinstate, Renew, Unsubscribe, Subscribe). */
export function operation(
  type: Exclude<OperationType, 'ChangePlan' | 'ChangeQuantity'>,
  operationId: string,
  options: OperationOptions = {},
): MarketplaceEvent {
  return { type, ...operationFields(type, operationId, options) }
}

export function changePlan(operationId: string, planId: string, options: OperationOptions = {}): MarketplaceEvent {
  return { type: 'ChangePlan', planId, ...operationFields('ChangePlan', operationId, options) }
}

export function changeQuantity(
  operationId: string,
  quantity: number,
  options: OperationOptions = {},
): MarketplaceEvent {
  return { type: 'ChangeQuantity', quantity, ...operationFields('ChangeQuantity', operationId, options) }
}

/** Microsoft's Unsubscribe, with the plan and seats the subscription ended on when Get Operation reports them. */
export function unsubscribe(
  operationId: string,
  final: { planId?: string; quantity?: number } = {},
  options: OperationOptions = {},
): MarketplaceEvent {
  return { type: 'Unsubscribe', ...final, ...operationFields('Unsubscribe', operationId, options) }
}

export function unknownOperation(operationId: string, action: string): MarketplaceEvent {
  return {
    type: 'operation.unknown',
    action,
    operationId,
    status: 'Succeeded',
    receivedAt: T0,
  }
}

export function observed(overrides: Partial<SubscriptionFacts>): SubscriptionEvent {
  return { type: 'status.observed', subscription: facts(overrides) }
}

/** The parameters of the effect of one type among those of a step (fails the test if absent). */
export function effect<K extends keyof ActionParams>(step: Pick<Step, 'effects'>, type: K): ActionParams[K] {
  const found = step.effects.find((e) => e.type === type)
  if (!found) throw new Error(`no ${type} effect among [${step.effects.map((e) => e.type).join(', ')}]`)
  return found.params as ActionParams[K]
}

/** The pure driver plus a record of every step: `send` one event, read where it stands. */
export class Run {
  readonly steps: Step[]

  constructor(first: Step) {
    this.steps = [first]
  }

  static purchase(overrides: Partial<SubscriptionFacts> = {}, options: RunOptions = {}): Run {
    return new Run(start(input('purchase', overrides, options), T0))
  }

  static adopt(status: SubscriptionStatus, overrides: Partial<SubscriptionFacts> = {}, options: RunOptions = {}): Run {
    return new Run(start(input('adoption', { saasSubscriptionStatus: status, ...overrides }, options), T0))
  }

  get last(): Step {
    return this.steps[this.steps.length - 1]!
  }

  get state(): DriverState {
    return { snapshot: this.last.snapshot, deferred: this.last.deferred }
  }

  get step(): string {
    return stepOf(this.last.snapshot)
  }

  get context() {
    return this.last.snapshot.context
  }

  send(event: SubscriptionEvent, at: string = T0): Step {
    const next = dispatch(this.state, event, at)
    this.steps.push(next)
    return next
  }

  sendAll(...events: SubscriptionEvent[]): Step {
    for (const event of events) this.send(event)
    return this.last
  }
}

/** Every resting step of the machine (`routing` is left at once). */
export const STEPS = [
  'awaitingBuyer',
  'provisioning',
  'provisioningFailed',
  'activating',
  'activationFailed',
  'subscribed.idle',
  'subscribed.deciding',
  'subscribed.acknowledging',
  'subscribed.changing',
  'cancelling',
  'suspended.idle',
  'suspended.reinstating',
  'unsubscribed',
] as const
export type RestingStep = (typeof STEPS)[number]

/**
 * A purchased subscription taken by its ordinary path to the given step. Operations that change the
 * status are followed by Microsoft's view (`status.observed`, the workflow's answer to `resync`), except
 * in a run from before convergence (`converge: false`), where the operation alone moves it.
 */
export function reach(target: RestingStep, options: RunOptions = {}): Run {
  const legacy = options.converge === false
  const view = (status: SubscriptionStatus) => (legacy ? [] : [observed({ saasSubscriptionStatus: status })])
  const run = Run.purchase({}, options)
  const path: Record<RestingStep, SubscriptionEvent[]> = {
    awaitingBuyer: [],
    provisioning: [{ type: 'buyer.confirmed', buyer: { email: 'buyer@contoso.com' } }],
    provisioningFailed: [
      { type: 'buyer.confirmed', buyer: { email: 'buyer@contoso.com' } },
      { type: 'provisioning.failed', message: 'tenant quota exceeded' },
    ],
    activating: [
      { type: 'buyer.confirmed', buyer: { email: 'buyer@contoso.com' } },
      { type: 'provisioning.completed' },
    ],
    activationFailed: [
      { type: 'buyer.confirmed', buyer: { email: 'buyer@contoso.com' } },
      { type: 'provisioning.completed' },
      { type: 'activation.failed', message: 'Activate answered 500' },
    ],
    'subscribed.idle': toSubscribed(),
    'subscribed.deciding': [...toSubscribed(), changePlan('op-change', 'premium', { timeStamp: minutes(1) })],
    'subscribed.acknowledging': [
      ...toSubscribed(),
      changePlan('op-change', 'premium', { timeStamp: minutes(1) }),
      { type: 'change.decided', operationId: 'op-change', accept: true },
    ],
    'subscribed.changing': [...toSubscribed(), { type: 'vendor.changePlan', requestId: 'req-plan', planId: 'premium' }],
    cancelling: [...toSubscribed(), { type: 'vendor.cancel', requestId: 'req-cancel' }],
    'suspended.idle': [...toSubscribed(), operation('Suspend', 'op-suspend'), ...view('Suspended')],
    // As Microsoft does it today: the Reinstate arrives Succeeded, then Microsoft's view says Subscribed.
    'suspended.reinstating': [
      ...toSubscribed(),
      operation('Suspend', 'op-suspend'),
      ...view('Suspended'),
      operation('Reinstate', 'op-reinstate'),
      ...view('Subscribed'),
    ],
    unsubscribed: [...toSubscribed(), operation('Unsubscribe', 'op-unsubscribe')],
  }
  run.sendAll(...path[target])
  if (run.step !== target) throw new Error(`reach(${target}) ended in ${run.step}`)
  return run
}

function toSubscribed(): SubscriptionEvent[] {
  return [
    { type: 'buyer.confirmed', buyer: { email: 'buyer@contoso.com' } },
    { type: 'provisioning.completed' },
    { type: 'activation.completed' },
  ]
}
