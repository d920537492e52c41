import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { httpMetrics } from './http-metrics.ts'
import {
  clearHookFailure,
  HOOK_FAILURE_FORGET_MS,
  observeMarketplaceCall,
  observeWebhookAck,
  recordDrift,
  recordHookFailure,
  recordWebhook,
  registry,
  setMeteringBacklogSource,
} from './metrics.ts'

/** The samples of one metric whose labels include `match`, as `{labels, value}`. */
async function samples(name: string, match: Record<string, string> = {}) {
  const metric = registry.getSingleMetric(name)
  if (!metric) throw new Error(`no metric ${name}`)
  const { values } = await metric.get()
  return values.filter((v) =>
    Object.entries(match).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want),
  )
}

describe('domain metrics', () => {
  it('keep labels bounded: values outside the known lists are recorded as "other"', async () => {
    recordWebhook('ChangePlan', 'accepted')
    recordWebhook('a1b2c3d4-0000-4000-8000-000000000001', 'accepted')
    observeMarketplaceCall('getSubscription', 200, 0.1)
    observeMarketplaceCall('https://evil.example/subscriptions/123', 'something odd!', 0.1)
    recordDrift('status', true)
    recordDrift('tenant f0e1d2c3-0000-4000-8000-0000000000aa', false)

    expect(await samples('saas_webhooks_total', { action: 'ChangePlan', outcome: 'accepted' })).toHaveLength(1)
    expect(await samples('saas_webhooks_total', { action: 'other' })).toHaveLength(1)
    expect(await samples('saas_marketplace_requests_total', { operation: 'other', status: 'other' })).toHaveLength(1)
    expect(await samples('saas_reconciliation_repaired_total', { kind: 'status' })).toHaveLength(1)
    expect(await samples('saas_reconciliation_drift_total', { kind: 'other' })).toHaveLength(1)
    const text = await registry.metrics()
    expect(text).not.toMatch(/a1b2c3d4|f0e1d2c3|evil\.example/)
  })

  it('measures webhook → acknowledgement against the 10-second window', async () => {
    const receivedAt = new Date('2026-01-01T10:00:00Z')
    observeWebhookAck('ChangeQuantity', 'Success', receivedAt, receivedAt.getTime() + 2_500)
    observeWebhookAck('ChangeQuantity', 'Success', receivedAt, receivedAt.getTime() + 11_000)
    const buckets = await samples('saas_webhook_ack_seconds', { action: 'ChangeQuantity', result: 'Success' })
    const at = (le: string) => buckets.find((b) => String(b.labels.le) === le)!.value
    expect(at('3')).toBe(1)
    expect(at('10')).toBe(1)
    expect(at('15')).toBe(2)
  })

  it('ages the oldest still-failing hook call from its first failure, until it succeeds', async () => {
    const since = Date.now() - 3_600_000
    recordHookFailure('provision', 'subscription-a/run/1', since)
    recordHookFailure('provision', 'subscription-a/run/1') // a retry fails again: the age is kept
    const [oldest] = await samples('saas_vendor_hook_oldest_failure_seconds', { hook: 'provision' })
    expect(oldest!.value).toBeGreaterThanOrEqual(3_600)
    expect(await samples('saas_vendor_hook_failures_total', { hook: 'provision' })).toMatchObject([{ value: 2 }])

    clearHookFailure('subscription-a/run/1')
    const [cleared] = await samples('saas_vendor_hook_oldest_failure_seconds', { hook: 'provision' })
    expect(cleared!.value).toBe(0)
  })

  it('forgets a failing hook call not seen failing for a while (its retry may have succeeded elsewhere)', async () => {
    const longAgo = Date.now() - HOOK_FAILURE_FORGET_MS - 60_000
    recordHookFailure('notify', 'subscription-b/run/7', longAgo, longAgo)
    recordHookFailure('suspend', 'subscription-c/run/3', longAgo)
    const [forgotten] = await samples('saas_vendor_hook_oldest_failure_seconds', { hook: 'notify' })
    const [current] = await samples('saas_vendor_hook_oldest_failure_seconds', { hook: 'suspend' })
    expect(forgotten!.value).toBe(0)
    expect(current!.value).toBeGreaterThan(HOOK_FAILURE_FORGET_MS / 1000)
  })

  it("reads metering's backlog at scrape time", async () => {
    setMeteringBacklogSource(() => Promise.resolve({ pendingHours: 7, oldestPendingAgeSeconds: 72_000 }))
    const text = await registry.metrics()
    expect(text).toMatch(/^saas_metering_pending_hours 7$/m)
    expect(text).toMatch(/^saas_metering_oldest_pending_age_seconds 72000$/m)
    setMeteringBacklogSource(() => Promise.reject(new Error('database down')))
    expect(await registry.metrics()).toMatch(/^saas_metering_pending_hours nan$/im)
  })
})

describe('HTTP metrics', () => {
  it('label requests by route template, never by raw path', async () => {
    const api = new Hono()
    api.get('/api/subscriptions/:subscriptionId', (c) => c.json({ id: c.req.param('subscriptionId') }))
    const app = new Hono()
    app.use(httpMetrics())
    app.route('/', api)
    await app.request('/api/subscriptions/a1b2c3d4-0000-4000-8000-000000000002')
    await app.request('/no/such/page/a1b2c3d4-0000-4000-8000-000000000003')

    expect(
      await samples('http_requests_total', { route: '/api/subscriptions/:subscriptionId', status: '200' }),
    ).toHaveLength(1)
    expect(await samples('http_requests_total', { status: '404' })).toMatchObject([{ labels: { route: '/*' } }])
    expect(await registry.metrics()).not.toContain('a1b2c3d4-0000-4000-8000-00000000000')
  })
})
