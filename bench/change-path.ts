/**
 * Where a customer change's time goes between Microsoft's webhook and the PATCH, from the workflow's own
 * history (event times are the Temporal server's clock, the same machine's as the emulator's): each
 * segment is one hop of the path (intake, a workflow task waiting for and running on the worker, an
 * activity waiting for a poller, the activity itself). The percentiles of each segment over many changes
 * say which hop limits the window.
 * @module
 */
import type { temporal } from '@temporalio/proto'
import type { Service } from './service.ts'
import { latency, type Latency } from './stats.ts'

type HistoryEvent = temporal.api.history.v1.IHistoryEvent

/** The hops, in order: each is the time from the previous mark to this one. */
export const HOPS = [
  /** Webhook sent → signal in the history: JWT, Get Operation, `signalWithStart`. */
  'intake',
  /** Signal → the workflow task that takes it starts on the worker (queued behind the worker's other tasks). */
  'taskWait',
  /** That workflow task on the worker (the machine's step), till its completion reaches the server. */
  'taskRun',
  /** Completion → decideChange started (eager: in the completion's answer; otherwise matched to a poller). */
  'decideWait',
  'decideRun',
  /** decideChange done → the next workflow task starts. */
  'task2Wait',
  'task2Run',
  /** Completion → acknowledgeOperation started. */
  'ackWait',
  /** acknowledgeOperation started → Microsoft has the PATCH (emulator's journal). */
  'patch',
] as const

export type Hop = (typeof HOPS)[number]
export type Path = Partial<Record<Hop, number>> & { workflowTasks: number }

const ms = (e: HistoryEvent | undefined) =>
  e?.eventTime ? Number(e.eventTime.seconds) * 1000 + Math.floor((e.eventTime.nanos ?? 0) / 1e6) : undefined

/**
 * The path of one change, or undefined when its history does not show it (e.g. the run continued as new).
 * `sentAt`: the webhook's first delivery; `patchedAt`: Microsoft's record of the PATCH.
 */
export function pathOf(events: HistoryEvent[], operationId: string, sentAt: number, patchedAt: number) {
  const signal = events.findIndex(
    (e) =>
      e.workflowExecutionSignaledEventAttributes?.signalName === 'marketplaceEvent' &&
      (e.workflowExecutionSignaledEventAttributes.input?.payloads ?? []).some((p) =>
        Buffer.from(p.data ?? []).includes(operationId),
      ),
  )
  if (signal < 0) return undefined
  const after = events.slice(signal)
  const scheduled = (type: string) =>
    after.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type)
  const startedOf = (s: HistoryEvent | undefined) =>
    s && after.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.equals(s.eventId ?? -1))
  const completedOf = (s: HistoryEvent | undefined) =>
    s && after.find((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.equals(s.eventId ?? -1))
  const taskAfter = (at: number) => {
    const i = after.findIndex((e, k) => k >= at && e.workflowTaskStartedEventAttributes)
    const done = after.findIndex((e, k) => k > i && e.workflowTaskCompletedEventAttributes)
    return i < 0 || done < 0 ? undefined : { started: after[i], completed: after[done], index: done }
  }
  const decide = scheduled('decideChange')
  const ack = scheduled('acknowledgeOperation')
  const task1 = taskAfter(0)
  const decided = completedOf(decide)
  const task2 = decided && taskAfter(after.indexOf(decided))
  const marks: [Hop, number | undefined][] = [
    ['intake', ms(events[signal])],
    ['taskWait', ms(task1?.started)],
    ['taskRun', ms(task1?.completed)],
    ['decideWait', ms(startedOf(decide))],
    ['decideRun', ms(decided)],
    ['task2Wait', ms(task2?.started)],
    ['task2Run', ms(task2?.completed)],
    ['ackWait', ms(startedOf(ack))],
    ['patch', patchedAt],
  ]
  const ackAt = ack ? after.indexOf(ack) : after.length
  const path: Path = {
    workflowTasks: after.slice(0, ackAt).filter((e) => e.workflowTaskCompletedEventAttributes).length,
  }
  let previous = sentAt
  for (const [hop, at] of marks) {
    if (at === undefined) continue
    path[hop] = at - previous
    previous = at
  }
  return path
}

/** The paths of up to `sample` changes (evenly spread), summed up hop by hop. */
export async function changePaths(
  service: Service,
  changes: { id: string; operationId: string; sentAt: number; patchedAt: number }[],
  sample = 60,
): Promise<{ n: number; workflowTasks: Latency } & Partial<Record<Hop, Latency>>> {
  const step = Math.max(1, Math.floor(changes.length / sample))
  const picked = changes.filter((_, i) => i % step === 0).slice(0, sample)
  const paths: Path[] = []
  for (const c of picked) {
    const history = await service.temporal.workflow.getHandle(`subscription-${c.id}`).fetchHistory()
    const path = pathOf(history.events ?? [], c.operationId, c.sentAt, c.patchedAt)
    if (path) paths.push(path)
  }
  const hops = Object.fromEntries(
    HOPS.map((hop) => [hop, paths.map((p) => p[hop]).filter((v) => v !== undefined)] as const)
      .filter(([, values]) => values.length)
      .map(([hop, values]) => [hop, latency(values)]),
  )
  return { n: paths.length, workflowTasks: latency(paths.map((p) => p.workflowTasks)), ...hops }
}
