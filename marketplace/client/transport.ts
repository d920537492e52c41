/**
 * One HTTP exchange with Microsoft's marketplace API: auth, tracing ids, timeout, typed errors, logging,
 * and (optionally) retries of what may succeed later.
 *
 * Activities call with `retry` off and let Temporal retry (using `retryAfterMs` as the next delay);
 * the HTTP server, which answers Microsoft or a buyer in the same request, retries here within a budget.
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { Span } from '@opentelemetry/api'
import type { z } from 'zod'
import type { Logger } from '../../config/logger.ts'
import { observeMarketplaceCall } from '../../observability/metrics.ts'
import { withClientSpan } from '../../observability/tracing.ts'
import type { TokenProvider } from './auth.ts'
import { MarketplaceError, parseRetryAfter, readErrorBody } from './errors.ts'

export const API_VERSION = '2018-08-31'

export interface RetryOptions {
  /** Total attempts, the first included. */
  attempts: number
  /** First backoff delay when Microsoft gives no `Retry-After`; doubled each time, with jitter. */
  baseDelayMs?: number
  /** No single wait is longer than this (a longer `Retry-After` ends the retries instead). */
  maxDelayMs?: number
}

export interface TransportOptions {
  /** `https://marketplaceapi.microsoft.com/api` or an emulator's equivalent, without trailing slash. */
  baseUrl: string
  token: TokenProvider
  timeoutMs: number
  logger: Logger
  retry?: RetryOptions
  fetch?: typeof fetch
}

/** What a single call may add: a correlation id carried from the operation that caused it, and a cancel signal. */
export interface CallContext {
  correlationId?: string
  signal?: AbortSignal
}

export interface Request<T> extends CallContext {
  /** The client operation, for logs and errors (`getSubscription`, …). */
  operation: string
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  /** Relative to the base URL, or an absolute URL Microsoft gave (`@nextLink`, `Operation-Location`). */
  path: string
  query?: Record<string, string | undefined>
  headers?: Record<string, string>
  body?: unknown
  schema: z.ZodType<T>
}

export interface Response<T> {
  status: number
  headers: Headers
  body: T
  requestId: string
  correlationId: string
}

export type Transport = <T>(request: Request<T>) => Promise<Response<T>>

export function createTransport(options: TransportOptions): Transport {
  const { baseUrl, logger, timeoutMs } = options
  const doFetch = options.fetch ?? fetch
  const { origin, hostname } = new URL(baseUrl)

  /** One attempt, in its own client span (traces on) named by operation, never by URL. */
  const tracedAttempt = <T>(req: Request<T>, correlationId: string, n: number) =>
    withClientSpan(
      `marketplace ${req.operation}`,
      {
        'marketplace.operation': req.operation,
        'http.request.method': req.method,
        'server.address': hostname,
        'x-ms-correlationid': correlationId,
      },
      (span, traceHeaders) => attempt(req, correlationId, n, span, traceHeaders),
    )

  async function attempt<T>(
    req: Request<T>,
    correlationId: string,
    n: number,
    span: Span | undefined,
    traceHeaders: Record<string, string>,
  ): Promise<Response<T>> {
    const url = buildUrl(baseUrl, origin, req)
    const requestId = randomUUID()
    span?.setAttribute('x-ms-requestid', requestId)
    const started = performance.now()
    const log = { operation: req.operation, method: req.method, requestId, correlationId, attempt: n }
    const authorization = `Bearer ${await bearerToken(options.token, req.operation, correlationId)}`
    let headers: Headers
    try {
      headers = new Headers({
        authorization,
        'x-ms-requestid': requestId,
        'x-ms-correlationid': correlationId,
        ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...traceHeaders,
        ...req.headers,
      })
    } catch (cause) {
      // A value HTTP cannot carry (e.g. a non-ASCII landing token for `x-ms-marketplace-token`): the input
      // is wrong, nothing was sent, and no retry can help.
      logger.warn({ ...log, kind: 'invalid-request' }, 'marketplace call not sendable')
      throw new MarketplaceError(`${req.operation}: the request cannot be sent: ${String(cause)}`, {
        kind: 'invalid-request',
        operation: req.operation,
        requestId,
        correlationId,
        cause,
      })
    }
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout
    let res: globalThis.Response
    let text: string
    try {
      res = await doFetch(url, {
        method: req.method,
        signal,
        // Microsoft does not redirect; following one would send the request (and its headers) elsewhere.
        redirect: 'manual',
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
      })
      // Inside the try: a body cut off by the timeout or the network is a failed call, not an empty one.
      text = await res.text()
    } catch (cause) {
      if (req.signal?.aborted) throw cause
      const kind = timeout.aborted ? 'timeout' : 'network'
      observeMarketplaceCall(req.operation, kind, (performance.now() - started) / 1000)
      logger.warn({ ...log, kind, durationMs: elapsed(started) }, 'marketplace call failed')
      throw new MarketplaceError(
        `${req.operation}: ${kind === 'timeout' ? `no answer within ${timeoutMs} ms` : String(cause)}`,
        {
          kind,
          operation: req.operation,
          requestId,
          correlationId,
          cause,
        },
      )
    }
    const ids = { requestId: res.headers.get('x-ms-requestid') ?? requestId, correlationId }
    const outcome = { ...log, ...ids, status: res.status, durationMs: elapsed(started) }
    span?.setAttribute('http.response.status_code', res.status)
    observeMarketplaceCall(req.operation, res.status, outcome.durationMs / 1000)
    if (!res.ok) {
      const errorBody = parseJson(text)
      const { code, message } = readErrorBody(errorBody)
      const kind =
        res.status === 429 ? 'throttled' : res.status >= 500 || res.status === 408 ? 'unavailable' : 'rejected'
      logger.warn({ ...outcome, code }, 'marketplace call failed')
      throw new MarketplaceError(
        `${req.operation}: ${res.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`,
        {
          kind,
          status: res.status,
          code,
          operation: req.operation,
          retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
          body: errorBody,
          ...ids,
        },
      )
    }
    const parsed = req.schema.safeParse(text.trim() === '' ? undefined : parseJson(text))
    if (!parsed.success) {
      logger.error({ ...outcome, issues: parsed.error.issues.slice(0, 5) }, 'marketplace answer not understood')
      throw new MarketplaceError(
        `${req.operation}: unexpected answer: ${parsed.error.issues[0]?.message ?? 'invalid body'}`,
        {
          kind: 'invalid-response',
          status: res.status,
          operation: req.operation,
          ...ids,
        },
      )
    }
    logger.info(outcome, 'marketplace call')
    return { status: res.status, headers: res.headers, body: parsed.data, ...ids }
  }

  return async function send<T>(req: Request<T>): Promise<Response<T>> {
    const correlationId = req.correlationId ?? randomUUID()
    const attempts = Math.max(1, options.retry?.attempts ?? 1)
    for (let n = 1; ; n++) {
      try {
        return await tracedAttempt(req, correlationId, n)
      } catch (err) {
        const delay = n < attempts ? retryDelay(err, n, options.retry) : undefined
        if (delay === undefined) throw err
        await sleep(delay, req.signal)
      }
    }
  }
}

/**
 * The access token, or a typed failure: a credential that is missing or refused by Entra ID (4xx) is a
 * configuration error that retrying will not fix; anything else (Entra unreachable, 5xx) may pass.
 */
async function bearerToken(token: TokenProvider, operation: string, correlationId: string): Promise<string> {
  try {
    return await token()
  } catch (cause) {
    const { name, statusCode } = cause as { name?: string; statusCode?: number }
    const final = name === 'CredentialUnavailableError' || (name === 'AuthenticationError' && (statusCode ?? 400) < 500)
    throw new MarketplaceError(
      `${operation}: no access token: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        kind: final ? 'credential' : 'unavailable',
        operation,
        correlationId,
        cause,
      },
    )
  }
}

/** Undefined when the error is final or the wait would exceed the budget. */
function retryDelay(err: unknown, attempt: number, retry: RetryOptions | undefined): number | undefined {
  if (!(err instanceof MarketplaceError) || !err.retryable) return undefined
  const max = retry?.maxDelayMs ?? 10_000
  if (err.retryAfterMs !== undefined) return err.retryAfterMs <= max ? err.retryAfterMs : undefined
  const base = (retry?.baseDelayMs ?? 250) * 2 ** (attempt - 1)
  return Math.min(max, base / 2 + Math.random() * (base / 2))
}

/**
 * Absolute URLs come from Microsoft's own answers; they must point at the configured API, or the bearer
 * token would be sent to whatever host a forged `Operation-Location` names.
 */
function buildUrl(baseUrl: string, origin: string, req: Request<unknown>): string {
  const url = /^https?:\/\//i.test(req.path) ? new URL(req.path) : new URL(baseUrl + req.path)
  if (url.origin !== origin)
    throw new Error(`${req.operation}: refusing to call ${url.origin}, not the marketplace API`)
  for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v)
  if (!url.searchParams.has('api-version')) url.searchParams.set('api-version', API_VERSION)
  return url.toString()
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

const elapsed = (start: number) => Math.round(performance.now() - start)

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error)
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason as Error)), { once: true })
  })
}
