/**
 * Metering as the HTTP server uses it: the service started on first use (so the server answers, and
 * `/health` works, while the database is still coming up), and submissions run now through Temporal, on
 * the workers, exactly like the scheduled ones.
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { Client } from '@temporalio/client'
import type { Logger } from '../config/logger.ts'
import type { MarketplaceClient } from '../marketplace/client/index.ts'
import { startMetering, type MeteringService, type MeteringSettings } from './service.ts'
import type { SubmissionReport } from './submit.ts'

export function meteringForServer(options: {
  settings: MeteringSettings
  marketplace: MarketplaceClient
  logger: Logger
  client: Client
  taskQueue: string
}) {
  let started: Promise<MeteringService> | undefined
  return {
    metering(): Promise<MeteringService> {
      started ??= startMetering(options).catch((err: unknown) => {
        started = undefined
        throw err
      })
      return started
    },
    /** Closes the ledger's connections, if it was started; for after the HTTP server has drained. */
    async close(): Promise<void> {
      const service = await started?.catch(() => undefined)
      started = undefined
      await service?.close()
    },
    runSubmission(): Promise<SubmissionReport> {
      return options.client.workflow.execute('meteringSubmissionWorkflow', {
        taskQueue: options.taskQueue,
        workflowId: `metering-submission-${randomUUID()}`,
        args: [],
      }) as Promise<SubmissionReport>
    },
  }
}
