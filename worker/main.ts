// The worker program (`npm run worker`): runs subscription workflows and activities until SIGINT/SIGTERM.
import { ConfigError, loadConfig } from '../config/env.ts'
import { createLogger } from '../config/logger.ts'
import { temporalSettings } from '../temporal/connection.ts'
import { quietTemporalRuntime, startWorker } from './start.ts'

const logger = createLogger()
try {
  const config = loadConfig()
  quietTemporalRuntime(config.logLevel === 'info' ? 'warn' : config.logLevel)
  // On SIGTERM, running activities get WORKER_SHUTDOWN_GRACE_MS to finish before they are cancelled.
  const worker = await startWorker({
    config,
    logger,
    temporal: temporalSettings(),
    shutdownGraceTimeMs: config.shutdown.workerGraceMs,
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void worker.stop())
  await worker.done
} catch (err) {
  logger.fatal(err instanceof ConfigError ? err.message : { err }, 'worker stopped')
  process.exitCode = 1
}
