/**
 * The one logger factory. Secrets never reach the output: headers and fields that carry tokens or keys
 * are redacted wherever they appear in a log record.
 * @module
 */
import pino, { type Logger } from 'pino'

export type { Logger }

const REDACT = [
  '*.authorization',
  '*.Authorization',
  '*.headers.authorization',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.clientSecret',
  '*.client_secret',
  '*.apiKey',
  '*.secret',
  '*["x-ms-marketplace-token"]',
]

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', name = 'saas-fulfillment'): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' } })
}

/** A logger that drops everything, for tests and pure code paths that take an optional logger. */
export const silentLogger: Logger = pino({ level: 'silent' })
