/**
 * The service's `/api` as the operator CLI sees it: one authenticated JSON request at a time, and every
 * way it can fail turned into an `OpsError` that carries the exit code a script can rely on.
 * @module
 */

/** Exit codes of `saas-ops`, stable for scripts (also printed by `saas-ops --help`). */
export const EXIT = {
  ok: 0,
  /** The service answered with an error (refused, conflict, failed run, …). */
  failed: 1,
  /** Bad arguments or missing configuration (SAAS_ADMIN_KEY): nothing was sent. */
  usage: 2,
  /** No such subscription or run (404). */
  notFound: 3,
  /** The admin key was refused (401/403). */
  unauthorized: 4,
  /** The service is unreachable, timed out, or said it is unavailable (503): try again later. */
  unavailable: 5,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

export class OpsError extends Error {
  override name = 'OpsError'
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** The service's error body, for `--json`. */
    readonly body?: unknown,
  ) {
    super(message)
  }
}

export interface ApiOptions {
  /** The service's base URL, e.g. `http://127.0.0.1:3000` (SAAS_URL). */
  url: string
  /** ADMIN_API_KEY of the service (SAAS_ADMIN_KEY). */
  adminKey: string
  timeoutMs?: number
  fetch?: typeof fetch
}

export type Api = <T>(method: 'GET' | 'POST', path: string, query?: Record<string, string | undefined>) => Promise<T>

export function createApi(options: ApiOptions): Api {
  const doFetch = options.fetch ?? fetch
  const base = options.url.replace(/\/+$/, '')
  return async function call<T>(method: 'GET' | 'POST', path: string, query: Record<string, string | undefined> = {}) {
    const url = new URL(base + path)
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v)
    let res: Response
    let text: string
    try {
      res = await doFetch(url, {
        method,
        headers: { authorization: `Bearer ${options.adminKey}`, accept: 'application/json' },
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      })
      text = await res.text()
    } catch (cause) {
      throw new OpsError(`cannot reach ${base}: ${describe(cause)} (is SAAS_URL right?)`, EXIT.unavailable)
    }
    const body = parse(text)
    if (res.ok) return body as T
    const said = typeof body === 'object' && body !== null && 'error' in body ? String(body.error) : text.slice(0, 200)
    const details = typeof body === 'object' && body !== null && 'details' in body ? detailsOf(body.details) : ''
    const message = `${method} ${path}: ${res.status} ${said}${details}`
    if (res.status === 404) throw new OpsError(message, EXIT.notFound, body)
    if (res.status === 401 || res.status === 403)
      throw new OpsError(`${message} (check SAAS_ADMIN_KEY)`, EXIT.unauthorized, body)
    if (res.status === 503 || res.status === 502 || res.status === 504)
      throw new OpsError(message, EXIT.unavailable, body)
    throw new OpsError(message, EXIT.failed, body)
  }
}

function parse(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text)
  } catch {
    return text
  }
}

/** Validation issues (`[{ path, message }]`) in one line each; anything else as JSON. */
function detailsOf(details: unknown): string {
  if (Array.isArray(details))
    return details
      .map((d: { path?: unknown[]; message?: string }) =>
        d && typeof d === 'object' && 'message' in d
          ? `\n  ${Array.isArray(d.path) ? d.path.join('.') + ': ' : ''}${d.message}`
          : `\n  ${JSON.stringify(d)}`,
      )
      .join('')
  return details === undefined ? '' : `\n  ${JSON.stringify(details)}`
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause
    if (err.name === 'TimeoutError') return 'no answer in time'
    return cause?.code ?? cause?.message ?? err.message
  }
  return String(err)
}
