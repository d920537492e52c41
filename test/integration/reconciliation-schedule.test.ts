/**
 * The Schedule `saas-reconciliation` as a worker leaves it: created on the first start, updated on the next
 * ones (`RECONCILE_INTERVAL`, `off` pauses it), with its overlap policy and catch-up window, and triggered
 * the way operators do (`temporal schedule trigger`). In a namespace of its own (without the service's
 * search attributes, so with no subscriptions to compare), since every test harness starts workers that set
 * the Schedule of the shared one.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { promisify } from 'node:util'
import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client'
import { msToTs } from '@temporalio/common/lib/time.js'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { loadConfig } from '../../config/env.ts'
import { silentLogger } from '../../config/logger.ts'
import { startEmulator, type EmulatorHandle } from '../../emulator/index.ts'
import { createReconciliationsGateway } from '../../server/reconciliations-gateway.ts'
import { reconciliationWorkflow, RECONCILIATION_ID } from '../../workflows/reconciliation.ts'
import { startWorker, type RunningWorker } from '../../worker/start.ts'
import { eventually, workflowBundle } from '../support/harness.ts'
import { TestVendor } from '../support/vendor.ts'

const address = inject('temporalAddress')
const namespace = `reconciliation-${randomUUID().slice(0, 8)}`
const taskQueue = `test-${randomUUID()}`
let emulator: EmulatorHandle
let client: Client
let worker: RunningWorker | undefined

beforeAll(async () => {
  const connection = await Connection.connect({ address })
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  })
  client = new Client({ connection, namespace })
  // A new namespace takes a moment to reach every part of the server.
  await eventually(
    () =>
      client.workflow.count().then(
        () => true,
        () => false,
      ),
    { timeoutMs: 60_000 },
  )
  emulator = await startEmulator()
})
afterAll(async () => {
  await worker?.stop()
  await emulator?.stop()
  await client?.connection.close()
})

async function startWith(interval: string) {
  await worker?.stop()
  const config = loadConfig({
    TEMPORAL_TASK_QUEUE: taskQueue,
    MARKETPLACE_API_URL: emulator.apiUrl,
    MARKETPLACE_STATIC_TOKEN: emulator.staticToken,
    WEBHOOK_AUTH: 'none',
    ADMIN_API_KEY: 'test-admin-key-0123456789',
    SESSION_SECRET: 'test-session-secret-0123456789-abcdef',
    RECONCILE_INTERVAL: interval,
  })
  worker = await startWorker({
    config,
    logger: silentLogger,
    temporal: { connectionOptions: { address }, namespace },
    hooks: new TestVendor().hooks(),
    workflowBundle: await workflowBundle(),
  })
}

const describeSchedule = () => client.schedule.getHandle(RECONCILIATION_ID).describe()

it('is created on the first start, every RECONCILE_INTERVAL, skipping overlaps, catching up one interval', async () => {
  await startWith('30m')
  const schedule = await describeSchedule()
  expect(schedule.spec.intervals).toMatchObject([{ every: 30 * 60_000 }])
  expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: reconciliationWorkflow.name, taskQueue })
  expect(schedule.action.args).toEqual([
    { trigger: 'schedule', settings: { activationDeadlineMs: 7 * 86_400_000, operations: 'all' } },
  ])
  expect(schedule.policies).toMatchObject({ overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 30 * 60_000 })
  expect(schedule.state.paused).toBe(false)
})

it('is updated on the next starts, and paused by off', async () => {
  await startWith('2h')
  expect((await describeSchedule()).spec.intervals).toMatchObject([{ every: 2 * 3_600_000 }])
  await startWith('off')
  const paused = await describeSchedule()
  expect(paused.state).toMatchObject({ paused: true, note: 'RECONCILE_INTERVAL=off: runs only when triggered' })
  const schedules = []
  for await (const s of client.schedule.list()) schedules.push(s.scheduleId)
  expect(schedules).toEqual([RECONCILIATION_ID])
})

it('runs a reconciliation when an operator triggers it, even paused', async () => {
  await promisify(execFile)(inject('temporalCliPath'), [
    'schedule',
    'trigger',
    '--schedule-id',
    RECONCILIATION_ID,
    '--address',
    address,
    '--namespace',
    namespace,
  ])
  const runs = createReconciliationsGateway({ client, taskQueue, settings: {} })
  const run = await eventually(async () => {
    const [latest] = await runs.list(1)
    return latest?.state === 'finished' && latest
  })
  expect(run.id).toMatch(new RegExp(`^${RECONCILIATION_ID}-`))
  expect(run.report).toMatchObject({
    trigger: 'schedule',
    pages: 1,
    counts: { checked: 0 },
  })
})
