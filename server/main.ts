// The HTTP server program (`npm run server`): landing page, webhook and API until SIGINT/SIGTERM.
import { ConfigError, loadConfig } from '../config/env.ts'
import { createLogger } from '../config/logger.ts'
import { temporalSettings } from '../temporal/connection.ts'
import { startHttpServer } from './start.ts'

const logger = createLogger()
try {
  const server = await startHttpServer({ config: loadConfig(), logger, temporal: temporalSettings() })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close())
} catch (err) {
  logger.fatal(err instanceof ConfigError ? err.message : { err }, 'HTTP server stopped')
  process.exitCode = 1
}
