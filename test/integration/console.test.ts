/**
 * The Temporal UI as a console: each subscription's workflow shows where it stands (current details:
 * status, plan, seats, tenant, the last decision), and every activity in its history carries a one-line
 * summary, so the history reads as a story without opening payloads.
 */
import { randomUUID } from 'node:crypto'
import { workflowMetadataQuery } from '@temporalio/workflow'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { SubscriptionView } from '../../machines/subscription/index.ts'
import { eventually, startHarness, type Harness } from '../support/harness.ts'
import { confirmPurchase } from '../support/landing.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h?.stop())

it('shows status, plan, seats, tenant and the last decision, and a summary on every activity', async () => {
  const tenantId = randomUUID()
  const purchase = h.emulator.marketplace.purchase({
    offerId: 'contoso-analytics',
    planId: 'team',
    quantity: 7,
    beneficiary: { emailId: 'admin@console.example', objectId: randomUUID(), tenantId },
  })
  await confirmPurchase(purchase.landingUrl)
  const id = purchase.subscription.id
  const handle = h.temporal.workflow.getHandle(`subscription-${id}`)
  await eventually(async () => (await handle.query<SubscriptionView | undefined>('state'))?.step === 'subscribed.idle')
  h.emulator.marketplace.suspend(id)
  await eventually(async () => (await handle.query<SubscriptionView | undefined>('state'))?.step === 'suspended.idle')

  const details = await eventually(async () => {
    const { currentDetails } = await handle.query(workflowMetadataQuery)
    return currentDetails?.includes('Suspended') && currentDetails
  })
  expect(details).toContain('team × 7')
  expect(details).toContain(tenantId)
  expect(details).toMatch(/Last decision: \S+/)

  const history = await handle.fetchHistory()
  const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes)
  expect(scheduled.length).toBeGreaterThanOrEqual(4)
  const { payloadConverter } = h.temporal.options.loadedDataConverter
  const summaries = scheduled.map((e) => payloadConverter.fromPayload<string>(e.userMetadata!.summary!))
  expect(summaries).toEqual(
    expect.arrayContaining([
      `provision · team × 7 · tenant ${tenantId}`,
      'Activate · team × 7',
      'Get Subscription · after Suspend',
      `suspendAccess · team × 7 · tenant ${tenantId}`,
    ]),
  )
})
