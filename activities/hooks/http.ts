/**
 * Vendor hooks as HTTP callbacks: `POST {VENDOR_HOOK_URL}/{hook}` with a JSON body signed like Stripe's
 * webhooks, so the vendor's app can check it came from this service and is fresh:
 *
 *   x-saas-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *   x-saas-hook: provision          idempotency-key: <same on every retry of the step>
 *
 * 2xx answers the hook (`{ "accept": false, "reason": "…" }` for decisions); 202 on `provision` means
 * "accepted, I will report completion later". 4xx other than 408/429 is a refusal that is not retried;
 * everything else is retried by the activity.
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { VendorRejectedError, type HookContext, type HookName, type VendorHooks } from './types.ts'

const decisionSchema = z.object({ accept: z.boolean(), reason: z.string().optional() })
const pendingSchema = z.object({ reference: z.string().optional() }).catch({})

export function httpHooks(options: {
  url: string
  secret: string
  timeoutMs?: number
  fetch?: typeof fetch
}): VendorHooks {
  const base = options.url.replace(/\/+$/, '')
  const doFetch = options.fetch ?? fetch

  async function call(hook: HookName, body: object, ctx: HookContext): Promise<{ status: number; json: unknown }> {
    const payload = JSON.stringify({ hook, key: ctx.key, ...body })
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000)
    // The vendor may take its time: keep telling Temporal this attempt is alive while waiting.
    const alive = setInterval(() => ctx.heartbeat(), 5_000)
    let res: Response
    let text: string
    try {
      res = await doFetch(`${base}/${hook}`, {
        method: 'POST',
        signal: AbortSignal.any([ctx.signal, timeout]),
        headers: {
          'content-type': 'application/json',
          'x-saas-hook': hook,
          'idempotency-key': ctx.key,
          'x-saas-signature': signPayload(options.secret, payload),
        },
        body: payload,
      })
      text = await res.text()
    } finally {
      clearInterval(alive)
    }
    if (res.ok) return { status: res.status, json: parseJson(text) }
    const message = `vendor hook ${hook} answered ${res.status}${text ? `: ${text.slice(0, 500)}` : ''}`
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429)
      throw new VendorRejectedError(message)
    throw new Error(message)
  }

  return {
    async provision(req, ctx) {
      const res = await call('provision', req, ctx)
      return res.status === 202
        ? { status: 'pending', ...pendingSchema.parse(res.json ?? {}) }
        : { status: 'completed' }
    },
    async decideChange(req, ctx) {
      return decisionSchema.parse((await call('decideChange', req, ctx)).json)
    },
    async applyChange(req, ctx) {
      await call('applyChange', req, ctx)
    },
    async suspend(req, ctx) {
      await call('suspend', req, ctx)
    },
    async reinstate(req, ctx) {
      return decisionSchema.parse((await call('reinstate', req, ctx)).json)
    },
    async deprovision(req, ctx) {
      await call('deprovision', req, ctx)
    },
    async notify(req, ctx) {
      await call('notify', req, ctx)
    },
  }
}

/** A 2xx body that is not JSON reads as no body: it still answers the hooks that need none (and 202). */
function parseJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined
  } catch {
    return undefined
  }
}

/** The `x-saas-signature` header value for a body at time `t` (unix seconds). */
export function signPayload(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`
}

/**
 * What a vendor's app runs to check a callback (also used by this project's tests): the signature must
 * match and be at most `toleranceSeconds` old.
 */
export function verifySignature(
  secret: string,
  body: string,
  header: string | null,
  toleranceSeconds = 300,
  now = Date.now(),
): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((p) => p.split('=', 2) as [string, string]))
  const t = Number(parts.t)
  // Exactly 64 hex digits: Buffer.from(…, 'hex') silently drops a trailing odd digit or anything after a non-hex one.
  const v1 = parts.v1 ?? ''
  if (!Number.isFinite(t) || !/^[0-9a-f]{64}$/i.test(v1) || Math.abs(now / 1000 - t) > toleranceSeconds) return false
  const expected = Buffer.from(signPayload(secret, body, t).split('v1=')[1]!, 'hex')
  const given = Buffer.from(v1, 'hex')
  return expected.length === given.length && timingSafeEqual(expected, given)
}
