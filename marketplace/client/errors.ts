/**
 * Typed failures of calls to Microsoft's marketplace APIs.
 *
 * The split follows what a caller can do about them: 429, 5xx, timeouts and network errors may succeed
 * when tried again (429 says when, through `Retry-After`); 400/401/403/404/409 are Microsoft's final
 * answer and carry its code and message.
 * @module
 */

export type MarketplaceErrorKind =
  | 'throttled'
  | 'unavailable'
  | 'timeout'
  | 'network'
  | 'rejected'
  | 'invalid-response'
  /** The request could not be sent as given (a header value HTTP cannot carry): fix the input. */
  | 'invalid-request'
  /** No usable credential (missing, or refused by Entra ID): fix the configuration. */
  | 'credential'

export interface MarketplaceErrorDetails {
  kind: MarketplaceErrorKind
  /** HTTP status, when Microsoft answered. */
  status?: number
  /** Microsoft's error code (`BadArgument`, `Conflict`, …) when the body had one. */
  code?: string
  /** The operation of the client that failed (`getSubscription`, `activate`, …). */
  operation: string
  requestId?: string
  correlationId?: string
  /** From `Retry-After`, for 429 (and 503 when present). */
  retryAfterMs?: number
  /** Microsoft's error body as parsed JSON (e.g. a metering 409's `additionalInfo`). */
  body?: unknown
  cause?: unknown
}

export class MarketplaceError extends Error {
  override readonly name = 'MarketplaceError'
  readonly kind: MarketplaceErrorKind
  readonly status?: number
  readonly code?: string
  readonly operation: string
  readonly requestId?: string
  readonly correlationId?: string
  readonly retryAfterMs?: number
  readonly body?: unknown

  constructor(message: string, details: MarketplaceErrorDetails) {
    super(message, { cause: details.cause })
    this.kind = details.kind
    this.status = details.status
    this.code = details.code
    this.operation = details.operation
    this.requestId = details.requestId
    this.correlationId = details.correlationId
    this.retryAfterMs = details.retryAfterMs
    this.body = details.body
  }

  /** True when the same call may succeed later; false for Microsoft's definitive 4xx answers. */
  get retryable(): boolean {
    return !['rejected', 'invalid-response', 'invalid-request', 'credential'].includes(this.kind)
  }

  /** A stable type name for Temporal's `ApplicationFailure.type` and for logs. */
  get type(): string {
    return this.status ? `Marketplace${this.status}` : `Marketplace${this.kind[0]!.toUpperCase()}${this.kind.slice(1)}`
  }
}

export function isMarketplaceError(err: unknown, status?: number): err is MarketplaceError {
  return err instanceof MarketplaceError && (status === undefined || err.status === status)
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** Microsoft uses two error shapes: `{ error: { code, message } }` (SaaS) and `{ code, message }` (metering). */
export function readErrorBody(body: unknown): { code?: string; message?: string } {
  if (!body || typeof body !== 'object') return {}
  const outer = body as { error?: unknown; code?: unknown; message?: unknown }
  const inner = (outer.error && typeof outer.error === 'object' ? outer.error : outer) as {
    code?: unknown
    message?: unknown
  }
  return {
    code: typeof inner.code === 'string' ? inner.code : undefined,
    message: typeof inner.message === 'string' ? inner.message : undefined,
  }
}
