/**
 * What a subscription's workflow histories say, over every run of its chain (continue-as-new): the
 * operations it took durably (its `marketplaceEvent` signals) and how many times each activity completed.
 * @module
 */
import type { Client } from '@temporalio/client'
import { defaultPayloadConverter } from '@temporalio/common'
import type { temporal } from '@temporalio/proto'
import type { MarketplaceEvent } from '../machines/subscription/index.ts'
import { marketplaceEventSignal } from '../workflows/subscription.ts'

export interface HistoryFacts {
  /** Operation ids of the webhooks the workflow received durably (signal in its history). */
  signalled: Set<string>
  /** Completed activities by activity type. */
  completed: Map<string, number>
}

export async function historyFacts(client: Client, workflowId: string): Promise<HistoryFacts> {
  const signalled = new Set<string>()
  const completed = new Map<string, number>()
  let runId: string | undefined
  for (;;) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory()
    const events = history.events ?? []
    const types = new Map<string, string>()
    for (const e of events) {
      const signal = e.workflowExecutionSignaledEventAttributes
      if (signal?.signalName === marketplaceEventSignal.name) {
        const event = defaultPayloadConverter.fromPayload<MarketplaceEvent>(signal.input!.payloads![0]!)
        signalled.add(event.operationId)
      }
      const scheduled = e.activityTaskScheduledEventAttributes
      if (scheduled) types.set(String(e.eventId), scheduled.activityType!.name!)
      const done = e.activityTaskCompletedEventAttributes
      if (done) {
        const type = types.get(String(done.scheduledEventId))!
        completed.set(type, (completed.get(type) ?? 0) + 1)
      }
    }
    // The run this one continued (continue-as-new), if any: its signals count too.
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined
    if (!runId) return { signalled, completed }
  }
}
