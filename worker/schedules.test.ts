import { ScheduleOverlapPolicy } from '@temporalio/client'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../config/env.ts'
import { reconciliationSchedule } from './schedules.ts'

const env = {
  ADMIN_API_KEY: 'a-long-enough-admin-key',
  SESSION_SECRET: 'a-session-secret-of-at-least-32-chars',
  WEBHOOK_AUTH: 'none',
  MARKETPLACE_API_URL: 'http://127.0.0.1:3001/api',
}
const reconciliationOf = (vars: Record<string, string>) => loadConfig({ ...env, ...vars }).reconciliation

describe('RECONCILE_INTERVAL', () => {
  it('is an hour by default, and written like 30m or 2h; off pauses the Schedule', () => {
    expect(reconciliationOf({}).intervalMs).toBe(3_600_000)
    expect(reconciliationOf({ RECONCILE_INTERVAL: '30m' }).intervalMs).toBe(1_800_000)
    expect(reconciliationOf({ RECONCILE_INTERVAL: '2h' }).intervalMs).toBe(7_200_000)
    expect(reconciliationOf({ RECONCILE_INTERVAL: 'off' }).intervalMs).toBeUndefined()
  })

  it('refuses anything else, saying what it takes', () => {
    expect(() => reconciliationOf({ RECONCILE_INTERVAL: 'hourly' })).toThrow(
      /RECONCILE_INTERVAL: must be "off" or a duration like 30m or 2h/,
    )
    expect(() => reconciliationOf({ RECONCILE_INTERVAL: '30s' })).toThrow(/RECONCILE_INTERVAL: must be at least 1m/)
    expect(() => reconciliationOf({ RECONCILE_OPERATIONS: 'some' })).toThrow(/RECONCILE_OPERATIONS/)
  })
})

describe('RECONCILE_ACTIVATION_DEADLINE', () => {
  it('is a week by default, written like the other durations (metering/duration.ts)', () => {
    expect(reconciliationOf({}).activationDeadlineMs).toBe(7 * 86_400_000)
    expect(reconciliationOf({ RECONCILE_ACTIVATION_DEADLINE: '2d' }).activationDeadlineMs).toBe(2 * 86_400_000)
    expect(reconciliationOf({ RECONCILE_ACTIVATION_DEADLINE: '36h' }).activationDeadlineMs).toBe(36 * 3_600_000)
    expect(() => reconciliationOf({ RECONCILE_ACTIVATION_DEADLINE: 'a week' })).toThrow(
      /RECONCILE_ACTIVATION_DEADLINE: must be a whole number and a unit/,
    )
  })
})

describe('reconciliationSchedule', () => {
  it('runs every interval, skips overlapping runs and catches up one missed interval', () => {
    const schedule = reconciliationSchedule('queue', reconciliationOf({ RECONCILE_INTERVAL: '30m' }))
    expect(schedule).toMatchObject({
      scheduleId: 'saas-reconciliation',
      spec: { intervals: [{ every: 1_800_000 }] },
      action: { type: 'startWorkflow', workflowType: 'reconciliationWorkflow', workflowId: 'saas-reconciliation' },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 1_800_000 },
      state: { paused: false },
    })
  })

  it('stays, paused with a note, when off', () => {
    const schedule = reconciliationSchedule('queue', reconciliationOf({ RECONCILE_INTERVAL: 'off' }))
    expect(schedule.state).toEqual({ paused: true, note: 'RECONCILE_INTERVAL=off: runs only when triggered' })
  })
})
