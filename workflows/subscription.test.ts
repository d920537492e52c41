/**
 * The subscription workflow on Temporal's time-skipping test server, with the activities mocked: the
 * bounds the workflow promises (Microsoft's 10-second window, how long a failing hook holds its lane) are
 * exact in workflow time here, so they are asserted exactly, on the activities' scheduled times and the
 * workflow's history, and nothing waits for real time to pass.
 *
 * Time only moves when the test says so (`env.sleep`, or awaiting a result): the server skips to the next
 * timer or timeout then. The server is the Java test server, provisioned from Maven Central by
 * scripts/time-skipping-server.mjs (the SDK would otherwise download it).
 */
import { randomUUID } from 'node:crypto'
import { activityInfo, ApplicationFailure, CancelledFailure, cancellationSignal } from '@temporalio/activity'
import { Client, Connection, type WorkflowHandle } from '@temporalio/client'
import { defaultPayloadConverter } from '@temporalio/common'
import { tsToMs } from '@temporalio/common/lib/time.js'
import { temporal } from '@temporalio/proto'
import { TestWorkflowEnvironment } from '@temporalio/testing'
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Activities } from '../activities/index.ts'
import type { MarketplaceEvent, SubscriptionFacts } from '../machines/subscription/index.ts'
import { resolveTimeSkippingServer } from '../scripts/time-skipping-server.mjs'
import { workflowsPath } from '../worker/create-worker.ts'
import { FailingHookKey, SEARCH_ATTRIBUTES } from './search-attributes.ts'
import { acknowledgementsTaskQueue } from './task-queues.ts'
import {
  decisionsQuery,
  marketplaceEventSignal,
  stateQuery,
  subscriptionWorkflow,
  subscriptionWorkflowId,
  type SubscriptionWorkflowInput,
} from './subscription.ts'

const { EventType, IndexedValueType } = temporal.api.enums.v1

let env: TestWorkflowEnvironment
let bundle: WorkflowBundleWithSourceMap
/** Reads histories past the 4 MiB a default channel accepts (the continue-as-new test makes one). */
let historyReader: Client

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') })
  const path = await resolveTimeSkippingServer()
  env = await startTestServer(path)
  // The test server knows no custom search attributes until told, like a real cluster (README).
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(
      Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [
        name,
        IndexedValueType[`INDEXED_VALUE_TYPE_${type.toUpperCase()}` as keyof typeof IndexedValueType],
      ]),
    ),
  })
  bundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') })
  historyReader = new Client({
    connection: await Connection.connect({
      address: env.address,
      channelArgs: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 },
    }),
  })
}, 300_000)

/** The SDK gives the server 5 s to answer; a JVM starting on a loaded CI machine may miss that once. */
async function startTestServer(path: string, tries = 3): Promise<TestWorkflowEnvironment> {
  try {
    return await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } })
  } catch (err) {
    if (tries <= 1) throw err
    return startTestServer(path, tries - 1)
  }
}

afterAll(async () => {
  await historyReader?.connection.close()
  await env?.teardown()
})

/** One call of a mocked activity, with its times in workflow (server) time. */
interface Call {
  name: string
  params: unknown
  attempt: number
  /** When this attempt was scheduled. */
  at: number
  /** When the activity's first attempt was scheduled. */
  firstAt: number
}

const MS = { second: 1_000, minute: 60_000 }
/**
 * The Java test server skips time only while no activity is pending (scheduled, running or between
 * retries): a failing hook's retries and a hanging vendor run in real time. So the hold is short here,
 * and long (never reached) where a test shows that something does not wait for it.
 */
const SETTINGS = { changeDecisionMs: 6_000, hookLaneHoldMs: 3_000, retentionDays: 30 }
const NEVER = 60 * MS.minute

function facts(overrides: Partial<SubscriptionFacts> = {}): SubscriptionFacts {
  return {
    id: 'sub-1',
    offerId: 'offer-1',
    planId: 'basic',
    quantity: 5,
    saasSubscriptionStatus: 'Subscribed',
    isFreeTrial: false,
    isTest: false,
    ...overrides,
  }
}

/** What a mocked activity does with its parameters: a value, or a promise of one. */
type Behaviour = (params: never) => unknown

/**
 * Mocked activities: Microsoft's subscription is `microsoft` (mutable by the test), every hook succeeds
 * unless `behaviour` says otherwise. Every call is recorded.
 */
function mockActivities(
  microsoft: { facts: SubscriptionFacts },
  behaviour: Partial<Record<keyof Activities | 'recordSubscriptionState', Behaviour>> = {},
) {
  const calls: Call[] = []
  const defaults: Partial<Record<keyof Activities | 'recordSubscriptionState', Behaviour>> = {
    getSubscription: () => microsoft.facts,
    recordSubscriptionState: () => undefined,
    // An adopted subscription Subscribed at Microsoft is set up first (patch provision-adopted-subscribed).
    provision: () => ({ status: 'completed' }),
    decideChange: () => ({ accept: true }),
    acknowledgeOperation: () => ({ status: 'Succeeded' }),
    applyChange: () => undefined,
    suspendAccess: () => undefined,
    notify: () => undefined,
    decideReinstatement: () => ({ accept: true }),
    deprovision: () => undefined,
  }
  const activities = Object.fromEntries(
    Object.entries({ ...defaults, ...behaviour }).map(([name, body]) => [
      name,
      (params: never): Promise<unknown> => {
        const info = activityInfo()
        calls.push({
          name,
          params,
          attempt: info.attempt,
          at: info.currentAttemptScheduledTimestampMs,
          firstAt: info.scheduledTimestampMs,
        })
        return Promise.resolve(body(params))
      },
    ]),
  )
  return { activities, calls, of: (name: string) => calls.filter((c) => c.name === name) }
}

/** A hook that never lands (the vendor's app is down). */
const failing = (message: string) => () => Promise.reject(ApplicationFailure.retryable(message, 'VendorDown'))

/** An activity that runs until the workflow cancels it or the test ends (a vendor that never answers). */
const hanging = () => gate().wait()

/**
 * A hook that answers once the test opens the gate. It gives up when its activity is cancelled (the
 * worker cancels running activities when it shuts down, at the end of each test, pass or fail).
 */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return {
    open,
    wait: () =>
      new Promise<void>((resolve, reject) => {
        cancellationSignal().addEventListener('abort', () => reject(new CancelledFailure('cancelled')))
        void opened.then(resolve)
      }),
  }
}

async function withWorkflow(
  activities: object,
  body: (handle: WorkflowHandle<typeof subscriptionWorkflow>) => Promise<void>,
  input: Partial<SubscriptionWorkflowInput> = {},
) {
  const taskQueue = `test-${randomUUID()}`
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities,
    shutdownGraceTime: 0,
  })
  // What Microsoft waits on runs on the acknowledgements queue (workflows/task-queues.ts).
  const urgent = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: acknowledgementsTaskQueue(taskQueue),
    activities,
    shutdownGraceTime: 0,
  })
  await urgent.runUntil(() =>
    worker.runUntil(async () => {
      const handle = await env.client.workflow.start(subscriptionWorkflow, {
        taskQueue,
        workflowId: subscriptionWorkflowId(`sub-${randomUUID()}`),
        args: [{ subscriptionId: 'sub-1', origin: 'adoption', settings: SETTINGS, ...input }],
      })
      try {
        await body(handle)
      } finally {
        await handle.terminate('test over').catch(() => undefined)
      }
    }),
  )
}

async function now(): Promise<number> {
  return env.currentTimeMs()
}

function changePlan(operationId: string, receivedAt: number, planId = 'pro'): MarketplaceEvent {
  return {
    type: 'ChangePlan',
    operationId,
    status: 'InProgress',
    planId,
    receivedAt: new Date(receivedAt).toISOString(),
  }
}

/** Polls a condition on the workflow (queries, calls) without moving workflow time. */
async function until(probe: () => boolean | Promise<boolean>, what: string) {
  const deadline = Date.now() + 30_000
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

type HistoryEvent = Awaited<ReturnType<typeof historyOf>>[number]

/** The workflow's history as (event, activity type, workflow time), for exact assertions on what happened when. */
async function historyOf(handle: WorkflowHandle, runId?: string) {
  const { events } = await historyReader.workflow.getHandle(handle.workflowId, runId).fetchHistory()
  const scheduled = new Map<number, string>()
  return (events ?? []).map((e) => {
    const id = Number(e.eventId)
    const type = String(EventType[e.eventType ?? 0]).replace('EVENT_TYPE_', '')
    const closing =
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes ??
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskCanceledEventAttributes
    const activity =
      e.activityTaskScheduledEventAttributes?.activityType?.name ?? scheduled.get(Number(closing?.scheduledEventId))
    if (e.activityTaskScheduledEventAttributes) scheduled.set(id, activity!)
    const time = tsToMs(e.eventTime)
    return { id, type, activity, time, scheduledEventId: Number(closing?.scheduledEventId ?? 0), event: e }
  })
}

/**
 * Activity tasks and history events carry the same server instant, read twice: 1–2 ms apart in CI. Attempts
 * told apart this way are scheduled seconds apart (a lane's hold).
 */
const expectSameInstant = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(5)

const isActivityClose = (e: HistoryEvent) =>
  ['ACTIVITY_TASK_COMPLETED', 'ACTIVITY_TASK_FAILED', 'ACTIVITY_TASK_TIMED_OUT', 'ACTIVITY_TASK_CANCELED'].includes(
    e.type,
  )

/** The values `SaasFailingHook` was set to, in order (`null`: cleared). */
function failingHookUpserts(history: HistoryEvent[]): (string | null)[] {
  return history.flatMap((e) => {
    const payload =
      e.event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[FailingHookKey.name]
    if (!payload) return []
    const text = Buffer.from(payload.data ?? new Uint8Array()).toString()
    return [text === '' ? null : (JSON.parse(text) as string | null)]
  })
}

const operation = (type: 'Subscribe' | 'Suspend' | 'Renew' | 'Unsubscribe', operationId: string): MarketplaceEvent => ({
  type,
  operationId,
  status: 'Succeeded',
  receivedAt: new Date().toISOString(),
})

/** Started and at rest: an adopted Subscribed subscription is provisioned first (provision-adopted-subscribed). */
const started = (handle: WorkflowHandle) =>
  until(async () => (await handle.query(stateQuery))?.step?.endsWith('.idle') === true, 'the workflow to start')

describe("Microsoft's 10-second window", () => {
  it(
    'accepts a change by default when the vendor decides too late, and still acknowledges it in the window',
    { timeout: 60_000 },
    async () => {
      const microsoft = { facts: facts() }
      const mocks = mockActivities(microsoft, { decideChange: hanging })
      await withWorkflow(mocks.activities, async (handle) => {
        await started(handle)
        const receivedAt = await now()
        await handle.signal(marketplaceEventSignal, changePlan('op-1', receivedAt))
        await until(() => mocks.of('acknowledgeOperation').length > 0, 'acknowledgeOperation')

        const [decide] = mocks.of('decideChange')
        expect(decide!.params).toMatchObject({
          deadline: new Date(receivedAt + SETTINGS.changeDecisionMs).toISOString(),
        })
        const [ack] = mocks.of('acknowledgeOperation')
        expect(ack!.params).toMatchObject({
          subscriptionId: 'sub-1',
          operationId: 'op-1',
          accept: true,
          deadline: new Date(receivedAt + 10 * MS.second).toISOString(),
          change: { decision: 'defaulted' },
        })
        // Workflow time: not before the vendor's time ran out, and inside Microsoft's window.
        expect(ack!.at - receivedAt).toBeGreaterThanOrEqual(SETTINGS.changeDecisionMs)
        expect(ack!.at - receivedAt).toBeLessThan(10 * MS.second)
        // Decided in a local activity (DECIDE_LOCALLY_PATCH): no activity task, a marker that ends in its timeout.
        const history = await historyOf(handle)
        expect(history.some((e) => e.activity === 'decideChange')).toBe(false)
        const marker = history.find((e) => e.event.markerRecordedEventAttributes?.markerName === 'core_local_activity')
        expect(marker?.event.markerRecordedEventAttributes?.failure?.timeoutFailureInfo?.timeoutType).toBe(
          temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
        )
        expect(marker!.time).toBeGreaterThanOrEqual(receivedAt + SETTINGS.changeDecisionMs)

        const decided = (await handle.query(decisionsQuery)).find((d) => d.event === 'change.decided')
        expect(decided).toMatchObject({ operationId: 'op-1', outcome: 'applied' })
        await until(() => mocks.of('applyChange').length > 0, 'the accepted change to be applied')
        expect((await handle.query(stateQuery))?.planId).toBe('pro')
      })
    },
  )
})

describe('effect lanes', () => {
  it('a failing applyChange holds the access lane at most hookLaneHoldMs; a later suspendAccess then runs while applyChange retries in the background', async () => {
    const microsoft = { facts: facts() }
    const suspending = gate()
    const mocks = mockActivities(microsoft, {
      applyChange: failing('vendor app is down'),
      suspendAccess: suspending.wait,
    })
    await withWorkflow(mocks.activities, async (handle) => {
      await started(handle)
      await handle.signal(marketplaceEventSignal, changePlan('op-1', await now()))
      await until(() => mocks.of('applyChange').length > 0, 'applyChange')
      microsoft.facts = facts({ planId: 'pro', saasSubscriptionStatus: 'Suspended' })
      await handle.signal(marketplaceEventSignal, operation('Suspend', 'op-2'))
      await until(async () => (await handle.query(stateQuery))?.step === 'suspended.idle', 'the suspension')
      expect(mocks.of('suspendAccess')).toEqual([])

      await until(() => mocks.of('suspendAccess').length > 0, 'suspendAccess')
      // suspendAccess is running; applyChange goes on failing in the background meanwhile.
      expect((await handle.describe()).typedSearchAttributes.get(FailingHookKey)).toBe('applyChange')
      const [bounded, background] = [...new Set(mocks.of('applyChange').map((c) => c.firstAt))]
      expect(background).toBeDefined()
      suspending.open()
      await until(async () => {
        const history = await historyOf(handle)
        return history.some((e) => e.activity === 'applyChange' && e.type === 'ACTIVITY_TASK_CANCELED')
      }, 'the background retry to stop once suspendAccess landed')

      const history = await historyOf(handle)
      const scheduled = (activity: string) =>
        history.filter((e) => e.activity === activity && e.type === 'ACTIVITY_TASK_SCHEDULED')
      const [applyScheduled, backgroundScheduled] = scheduled('applyChange')
      const [suspendScheduled] = scheduled('suspendAccess')
      const applyClosed = history.find((e) => e.scheduledEventId === applyScheduled!.id)!
      // The bounded attempt gave up (timed out, or failed when its next retry would not fit) within the hold…
      expect(applyClosed.type).toMatch(/ACTIVITY_TASK_(FAILED|TIMED_OUT)/)
      expect(applyClosed.time - applyScheduled!.time).toBeLessThanOrEqual(SETTINGS.hookLaneHoldMs)
      expectSameInstant(bounded!, applyScheduled!.time)
      // …and the very next workflow task both ran suspendAccess and moved applyChange to the background.
      const nextTask = history.find((e) => e.id > applyClosed.id && e.type === 'WORKFLOW_TASK_COMPLETED')!
      const commands = history.filter((e) => e.event.activityTaskScheduledEventAttributes && e.id > nextTask.id)
      expect(commands.slice(0, 2).map((e) => e.activity)).toEqual(['applyChange', 'suspendAccess'])
      expect(suspendScheduled!.id).toBeGreaterThan(applyClosed.id)
      expectSameInstant(backgroundScheduled!.time, background!)
      // The background retry ran while suspendAccess did, and stopped once it landed.
      const suspendClosed = history.find((e) => e.scheduledEventId === suspendScheduled!.id)!
      const backgroundClosed = history.find((e) => e.scheduledEventId === backgroundScheduled!.id)!
      expect(backgroundClosed.type).toBe('ACTIVITY_TASK_CANCELED')
      expect(backgroundClosed.id).toBeGreaterThan(suspendClosed.id)
      // Operators saw the failing hook while it retried in the background.
      expect(failingHookUpserts(history)).toEqual(['applyChange', null])
      expect((await handle.describe()).typedSearchAttributes.get(FailingHookKey)).toBeUndefined()
      const notes = (await handle.query(decisionsQuery)).filter((d) => d.event === 'applyChange')
      expect(notes[0]?.outcome).toBe('failed')
      expect(notes[0]?.reason).toContain('retried in the background')
    })
  }, 60_000)

  it('records a superseded background retry as superseded, not as failed', async () => {
    const microsoft = { facts: facts() }
    const mocks = mockActivities(microsoft, { applyChange: failing('vendor app is down') })
    await withWorkflow(mocks.activities, async (handle) => {
      await started(handle)
      await handle.signal(marketplaceEventSignal, changePlan('op-1', await now()))
      await until(() => mocks.of('applyChange').length > 0, 'applyChange')
      microsoft.facts = facts({ planId: 'pro', saasSubscriptionStatus: 'Suspended' })
      await handle.signal(marketplaceEventSignal, operation('Suspend', 'op-2'))
      await until(async () => {
        const history = await historyOf(handle)
        return history.some((e) => e.activity === 'applyChange' && e.type === 'ACTIVITY_TASK_CANCELED')
      }, 'the background retry to stop once suspendAccess landed')
      await until(
        async () => (await handle.query(decisionsQuery)).filter((d) => d.event === 'applyChange').length > 1,
        'the note',
      )
      const notes = (await handle.query(decisionsQuery)).filter((d) => d.event === 'applyChange')
      expect(notes.at(-1)!.reason).toContain('no longer retried')
    })
  }, 60_000)

  it('a failing notify never delays acknowledgeOperation or suspendAccess', async () => {
    const microsoft = { facts: facts() }
    const mocks = mockActivities(microsoft, { notify: failing('notification endpoint is down') })
    await withWorkflow(
      mocks.activities,
      async (handle) => {
        await started(handle)
        await handle.signal(marketplaceEventSignal, operation('Renew', 'op-renew'))
        await until(() => mocks.of('notify').length > 0, 'notify')

        // No workflow time passes from here on unless the workflow is waiting for something other than notify.
        await handle.signal(marketplaceEventSignal, changePlan('op-1', await now()))
        await until(() => mocks.of('acknowledgeOperation').length > 0, 'acknowledgeOperation')
        microsoft.facts = facts({ planId: 'pro', saasSubscriptionStatus: 'Suspended' })
        await handle.signal(marketplaceEventSignal, operation('Suspend', 'op-2'))
        await until(() => mocks.of('suspendAccess').length > 0, 'suspendAccess')
        // The mock has run before the server records its completion: wait for that record.
        const completed = async () =>
          (await historyOf(handle)).some((e) => e.activity === 'suspendAccess' && e.type === 'ACTIVITY_TASK_COMPLETED')
        await until(completed, 'suspendAccess completed')

        const history = await historyOf(handle)
        const notifies = history.filter((e) => e.activity === 'notify' && e.type === 'ACTIVITY_TASK_SCHEDULED')
        const [notifyScheduled] = notifies
        // notify is still failing in its lane (its hold is far away), and both ran regardless: one notify,
        // scheduled once, every call an attempt of it, none closed.
        expect(notifies).toHaveLength(1)
        expect(new Set(mocks.of('notify').map((c) => c.firstAt)).size).toBe(1)
        expectSameInstant(mocks.of('notify')[0]!.firstAt, notifyScheduled!.time)
        expect(history.some((e) => e.scheduledEventId === notifyScheduled!.id)).toBe(false)
        for (const name of ['acknowledgeOperation', 'suspendAccess']) {
          const [call] = mocks.of(name)
          expect(call!.at).toBeGreaterThan(notifyScheduled!.time)
          expect(call!.at).toBeLessThan(notifyScheduled!.time + NEVER)
        }
        expect((await handle.query(stateQuery))?.step).toBe('suspended.idle')
      },
      { settings: { ...SETTINGS, hookLaneHoldMs: NEVER } },
    )
  }, 60_000)
})

describe('continue-as-new', () => {
  it('waits for effects in flight, carries state and decisions, and loses no signal sent meanwhile', async () => {
    const microsoft = { facts: facts() }
    const applying = gate()
    const mocks = mockActivities(microsoft, { applyChange: applying.wait })
    await withWorkflow(
      mocks.activities,
      async (handle) => {
        await started(handle)
        const { runId: firstRun } = await handle.describe()
        await handle.signal(marketplaceEventSignal, changePlan('op-1', await now()))
        await until(() => mocks.of('applyChange').length > 0, 'applyChange')

        // The test server suggests continue-as-new once the history passes 4 MiB: signals with large
        // payloads the workflow ignores (`retry` takes no argument) get it there.
        for (let i = 0; i < 5; i++) await handle.signal('retry', 'x'.repeat(900_000))
        // A signal handled after that, while applyChange is still in flight: the run goes on.
        microsoft.facts = facts({ planId: 'pro', saasSubscriptionStatus: 'Suspended' })
        await handle.signal(marketplaceEventSignal, operation('Suspend', 'op-2'))
        await until(async () => (await handle.query(stateQuery))?.step === 'suspended.idle', 'the suspension')
        const waiting = await handle.describe()
        const suggested = (await historyOf(handle)).filter(
          (e) => e.event.workflowTaskStartedEventAttributes?.suggestContinueAsNew,
        )
        expect(suggested.length).toBeGreaterThan(0) // the server suggested it, and the run did not go
        expect(waiting.runId).toBe(firstRun)
        expect(mocks.of('suspendAccess')).toEqual([]) // queued behind applyChange in the access lane

        applying.open()
        // Races the continue-as-new: applied in one run or the other, never lost.
        await handle.signal(marketplaceEventSignal, operation('Renew', 'op-3'))
        await until(async () => (await handle.describe()).runId !== firstRun, 'continue-as-new')
        await until(
          async () => (await handle.query(decisionsQuery)).some((d) => d.operationId === 'op-3'),
          'the Renew sent meanwhile',
        )

        // Every effect of the first run finished before it continued as new; the second one redid none.
        const first = await historyOf(handle, firstRun)
        const continued = first.find((e) => e.type === 'WORKFLOW_EXECUTION_CONTINUED_AS_NEW')!
        const closed = first.filter(isActivityClose)
        expect(first.filter((e) => e.type === 'ACTIVITY_TASK_SCHEDULED')).toHaveLength(closed.length)
        expect(closed.map((e) => e.activity)).toEqual(expect.arrayContaining(['applyChange', 'suspendAccess']))
        expect(Math.max(...closed.map((e) => e.id))).toBeLessThan(continued.id)
        expect(mocks.of('applyChange')).toHaveLength(1)
        expect(mocks.of('suspendAccess')).toHaveLength(1)
        expect(mocks.of('getSubscription')).toHaveLength(2) // at start, and the resync after Suspend
        const [startedEvent] = await historyOf(handle)
        const attributes = startedEvent!.event.workflowExecutionStartedEventAttributes!
        expect(attributes.continuedExecutionRunId).toBe(firstRun)
        const { carried } = defaultPayloadConverter.fromPayload<SubscriptionWorkflowInput>(
          attributes.input!.payloads![0]!,
        )
        expect(carried?.inbox ?? []).toEqual([])
        expect(carried?.decisions.map((d) => d.operationId)).toEqual(expect.arrayContaining(['op-1', 'op-2']))
        const view = await handle.query(stateQuery)
        expect(view).toMatchObject({ step: 'suspended.idle', planId: 'pro' })
      },
      { settings: { ...SETTINGS, hookLaneHoldMs: NEVER } },
    )
  }, 120_000)
})

describe('the end (Unsubscribed)', () => {
  it('records a webhook taken while the last effects run as ignored, never drops it unrecorded', async () => {
    const microsoft = { facts: facts() }
    const deprovisioning = gate()
    const mocks = mockActivities(microsoft, { deprovision: deprovisioning.wait })
    await withWorkflow(mocks.activities, async (handle) => {
      await started(handle)
      microsoft.facts = facts({ saasSubscriptionStatus: 'Unsubscribed' })
      await handle.signal(marketplaceEventSignal, operation('Unsubscribe', 'op-1'))
      await until(() => mocks.of('deprovision').length > 0, 'deprovision')
      // Notifications arrive Succeeded, late and out of order (docs/marketplace-contract.md §4.2): a Renew
      // from before the cancellation lands while access is being revoked. Its 200 said "recorded".
      await handle.signal(marketplaceEventSignal, operation('Renew', 'op-2'))
      deprovisioning.open()
      await handle.result()

      const decisions = await handle.query(decisionsQuery)
      expect(decisions.find((d) => d.operationId === 'op-2')).toMatchObject({
        event: 'Renew',
        outcome: 'ignored',
        reason: 'the subscription is Unsubscribed; nothing changes any more',
      })
      expect(mocks.of('notify')).toEqual([])
    })
  }, 60_000)

  it('records the webhook that started it when Microsoft had cancelled the subscription already', async () => {
    // An auto-activated purchase cancelled before its workflow read Microsoft (the soak found five: the
    // Subscribe webhook starts the workflow, Get Subscription then says Unsubscribed).
    const microsoft = { facts: facts({ saasSubscriptionStatus: 'Unsubscribed' }) }
    const deprovisioning = gate()
    const mocks = mockActivities(microsoft, { deprovision: deprovisioning.wait })
    await withWorkflow(mocks.activities, async (handle) => {
      await handle.signal(marketplaceEventSignal, operation('Subscribe', 'op-1'))
      await until(() => mocks.of('deprovision').length > 0, 'deprovision')
      deprovisioning.open()
      await handle.result()

      const decisions = await handle.query(decisionsQuery)
      expect(decisions.find((d) => d.operationId === 'op-1')).toMatchObject({ event: 'Subscribe', outcome: 'ignored' })
    })
  }, 60_000)
})
