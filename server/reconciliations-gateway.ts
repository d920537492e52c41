/**
 * The HTTP server's door to reconciliation runs: start one now, read one, list the latest. A run's report
 * is its workflow's result once it has ended, and its `progress` query while it runs (or if it failed).
 * @module
 */
import { randomUUID } from 'node:crypto'
import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client'
import {
  progressQuery,
  RECONCILIATION_ID,
  reconciliationWorkflow,
  type ReconciliationReport,
  type ReconciliationSettings,
} from '../workflows/reconciliation.ts'

export interface ReconciliationRun {
  id: string
  /**
   * `failed`: the run stopped before the last page (its report says why in `error`), or its workflow ended
   * without a report (failed, terminated, cancelled or timed out).
   */
  state: 'running' | 'finished' | 'failed'
  /** Absent only if a failed run cannot be read any more. */
  report?: ReconciliationReport
}

export type ReconciliationsGateway = ReturnType<typeof createReconciliationsGateway>

/** Every run's workflow id starts so; the rest is the time (and, for API runs, a short random suffix). */
export const isReconciliationId = (id: string) => id.startsWith(`${RECONCILIATION_ID}-`)

export function createReconciliationsGateway(options: {
  client: Client
  taskQueue: string
  settings: Partial<ReconciliationSettings>
}) {
  const { client, taskQueue, settings } = options

  async function runOf(execution: Pick<WorkflowExecutionInfo, 'workflowId' | 'type' | 'status'>) {
    const handle = client.workflow.getHandle<typeof reconciliationWorkflow>(execution.workflowId)
    const state = stateOf(execution.status.name)
    const report =
      state === 'finished'
        ? await handle.result()
        : // A failed run whose history can no longer be replayed, or a running one no worker answers for
          // now (a query times out): its state is known, its report is not; say so rather than fail the list.
          await handle.query(progressQuery).catch(() => undefined)
    // A run that stopped before the last page (List Subscriptions kept failing) did not check everything.
    return { id: execution.workflowId, state: report?.error ? 'failed' : state, report } satisfies ReconciliationRun
  }

  return {
    /** Starts a run now; answers its id once Temporal has it. */
    async start(): Promise<string> {
      const id = `${RECONCILIATION_ID}-api-${new Date().toISOString()}-${randomUUID().slice(0, 8)}`
      await client.workflow.start(reconciliationWorkflow, {
        workflowId: id,
        taskQueue,
        args: [{ trigger: 'api', settings }],
      })
      return id
    },

    /** One run, or undefined if there is none with this id. */
    async get(id: string): Promise<ReconciliationRun | undefined> {
      if (!isReconciliationId(id)) return undefined
      try {
        const execution = await client.workflow.getHandle(id).describe()
        return execution.type === reconciliationWorkflow.name ? await runOf(execution) : undefined
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined
        throw err
      }
    },

    /** The latest `limit` runs, latest first. */
    async list(limit: number): Promise<ReconciliationRun[]> {
      const query = `WorkflowType = "${reconciliationWorkflow.name}" AND ExecutionStatus != "ContinuedAsNew"`
      const executions: WorkflowExecutionInfo[] = []
      for await (const execution of client.workflow.list({ query, pageSize: limit })) {
        executions.push(execution)
        if (executions.length >= limit) break
      }
      const runs = await Promise.all(executions.map(runOf))
      // A run that continued as new shows its last part's start in visibility; its report has the first one.
      const startOf = (run: ReconciliationRun) => run.report?.startedAt ?? ''
      return runs.sort((a, b) => startOf(b).localeCompare(startOf(a)))
    },
  }
}

function stateOf(status: WorkflowExecutionInfo['status']['name']): ReconciliationRun['state'] {
  if (status === 'RUNNING') return 'running'
  return status === 'COMPLETED' ? 'finished' : 'failed'
}
