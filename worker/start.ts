/**
 * Starts a worker for the subscription workflows and their activities.
 * @module
 */
import { Client } from '@temporalio/client'
import type { Config } from '../config/env.ts'
import type { Logger } from '../config/logger.ts'
import { createActivities } from '../activities/index.ts'
import { createVendorHooks, type VendorHooks } from '../activities/hooks/index.ts'
import { createMarketplaceClient } from '../marketplace/client/index.ts'
import { tracing } from '../observability/tracing.ts'
import { createSubscriptionsGateway, workflowSettings } from '../server/subscriptions-gateway.ts'
import { connectWorker, type TemporalSettings } from '../temporal/connection.ts'
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker'
import {
  createAcknowledgementsWorker,
  createWorker,
  type CreateWorkerOptions,
  type WorkerTuning,
} from './create-worker.ts'
import { withMetering } from '../activities/metering.ts'
import { ensureMeteringSchedules } from '../metering/schedules.ts'
import { startMetering } from '../metering/service.ts'
import { ensureReconciliationSchedule } from './schedules.ts'

export interface RunningWorker {
  /** Settles when the worker stops; rejects if it crashed. */
  done: Promise<void>
  stop(): Promise<void>
}

export async function startWorker(options: {
  config: Config
  logger: Logger
  temporal: TemporalSettings
  /** Overrides `config.vendor` (tests plug their own vendor in). */
  hooks?: VendorHooks
  /** A prebuilt workflow bundle, so several workers in one process bundle once. */
  workflowBundle?: CreateWorkerOptions['workflowBundle']
  /** How long running activities may take to finish once `stop()` is called (default 0: cancelled at once). */
  shutdownGraceTimeMs?: number
  /** Overrides of the worker's sizing (tests). */
  tuning?: WorkerTuning
}): Promise<RunningWorker> {
  const { config, logger, temporal } = options
  const connection = await connectWorker(temporal)
  // No retries inside the client: Temporal retries activities, honouring Retry-After as the next delay.
  const marketplace = createMarketplaceClient({
    baseUrl: config.marketplace.apiUrl,
    staticToken: config.marketplace.staticToken,
    timeoutMs: config.marketplace.timeoutMs,
    logger,
  })
  const hooks = options.hooks ?? (await createVendorHooks(config.vendor))
  // Metering (DATABASE_URL set): migrates the ledger on start, then runs its activities and Schedules.
  const metering = config.metering && (await startMetering({ settings: config.metering, marketplace, logger }))
  // Reconciliation reads visibility and signals subscription workflows over the worker's own connection.
  const traced = tracing()
  const client = new Client({
    connection,
    namespace: temporal.namespace,
    ...(traced && { interceptors: traced.clientInterceptors }),
  })
  const subscriptions = createSubscriptionsGateway({
    client,
    taskQueue: config.taskQueue,
    settings: workflowSettings(config.lifecycle),
  })
  const activities = withMetering(
    createActivities({ marketplace, hooks, reconciliation: { client, subscriptions, logger } }),
    metering,
  )
  const worker = await createWorker({
    connection,
    namespace: temporal.namespace,
    taskQueue: config.taskQueue,
    activities,
    workflowBundle: options.workflowBundle,
    shutdownGraceTimeMs: options.shutdownGraceTimeMs,
    tuning: options.tuning,
  })
  // What Microsoft waits on (decide, PATCH) has its own queue and slots: never behind provisioning or hooks.
  const acknowledgements = await createAcknowledgementsWorker({
    connection,
    namespace: temporal.namespace,
    taskQueue: config.taskQueue,
    activities,
    shutdownGraceTimeMs: options.shutdownGraceTimeMs,
    tuning: options.tuning,
  })
  await ensureReconciliationSchedule({
    client,
    taskQueue: config.taskQueue,
    reconciliation: config.reconciliation,
    logger,
  })
  if (config.metering) {
    const { intervalMs } = config.metering
    await ensureMeteringSchedules({
      connection,
      namespace: temporal.namespace,
      taskQueue: config.taskQueue,
      intervalMs,
    })
  }
  const workers = [worker, acknowledgements]
  const shutdown = () => workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown())
  // One of the two crashing stops the other: the process ends and is restarted whole.
  const done = Promise.allSettled(
    workers.map((w) =>
      w.run().catch((err: unknown) => {
        shutdown()
        throw err
      }),
    ),
  )
    .then((results) => {
      const crashed = results.find((r) => r.status === 'rejected')
      if (crashed) throw crashed.reason
    })
    .finally(() => connection.close())
  logger.info({ taskQueue: config.taskQueue, namespace: temporal.namespace }, 'worker running')
  return {
    done,
    async stop() {
      shutdown()
      await done
      await metering?.close()
    },
  }
}

/**
 * The Temporal SDK logs through its own runtime logger (INFO by default: every worker state change).
 * Call once, before the first worker or connection, to log at the service's level instead; with
 * `metricsBindAddress`, the SDK's own metrics are served there (`/metrics`, Prometheus format).
 */
export function quietTemporalRuntime(level: Config['logLevel'], options: { metricsBindAddress?: string } = {}): void {
  const levels: Record<Config['logLevel'], LogLevel> = {
    trace: 'TRACE',
    debug: 'DEBUG',
    info: 'INFO',
    warn: 'WARN',
    error: 'ERROR',
    fatal: 'ERROR',
    silent: 'ERROR',
  }
  Runtime.install({
    logger: new DefaultLogger(levels[level]),
    ...(options.metricsBindAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.metricsBindAddress } } } }
      : {}),
  })
}
