/**
 * The one logger factory. Secrets never reach the output: headers and fields that carry tokens or keys
 * are redacted wherever they appear in a log record.
 * @module
 */
import pino, { type DestinationStream, type Logger } from 'pino'
import { traceIds } from '../observability/tracing.ts'

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

/** `destination`: where records go instead of stdout (tests read them). */
export function createLogger(
  level: string = process.env.LOG_LEVEL ?? 'info',
  name = 'saas-fulfillment',
  destination?: DestinationStream,
): Logger {
  // With traces on, each record logged inside a span carries its `trace_id` and `span_id`.
  const options = { name, level, redact: { paths: REDACT, censor: '[redacted]' }, mixin: traceIds }
  return destination ? pino(options, destination) : pino(options)
}

/** A logger that drops everything, for tests and pure code paths that take an optional logger. */
export const silentLogger: Logger = pino({ level: 'silent' })
