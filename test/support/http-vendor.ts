/**
 * The vendor's app behind real HTTP hooks (`VENDOR_HOOKS=http`), for end-to-end tests of how the service
 * lives with a flaky vendor: a server that checks each callback's signature, answers each hook as the
 * test says (503 forever, a rejection, …) and records every call with the status it answered.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { verifySignature } from '../../activities/hooks/index.ts'
import type { HookName } from '../../activities/hooks/types.ts'
import { silentLogger } from '../../config/logger.ts'
import { startWorker } from '../../worker/start.ts'
import { startHarness, temporalSettings, workflowBundle, type Harness, type HarnessOptions } from './harness.ts'

export interface VendorCall {
  hook: HookName
  subscriptionId: string
  /** When the call arrived (this process's clock). */
  at: number
  /** What this vendor answered. */
  status: number
  body: Record<string, unknown>
}

export interface VendorAnswer {
  status: number
  body?: unknown
}

type Answerer = (call: { hook: HookName; subscriptionId: string; body: Record<string, unknown> }) => VendorAnswer

/** Accepts every change and reinstatement, provisions at once: a healthy vendor. */
const healthy: Answerer = ({ hook }) =>
  hook === 'decideChange' || hook === 'reinstate' ? { status: 200, body: { accept: true } } : { status: 200 }

export interface HttpVendor {
  url: string
  secret: string
  calls: VendorCall[]
  /** How each hook is answered; `healthy` answers a well vendor's way. */
  answer: Answerer
  callsTo(hook: HookName, subscriptionId?: string): VendorCall[]
  stop(): Promise<void>
}

export async function startHttpVendor(): Promise<HttpVendor> {
  const secret = 'test-vendor-hook-secret-0123456789'
  const vendor: HttpVendor = {
    url: '',
    secret,
    calls: [],
    answer: healthy,
    callsTo: (hook, subscriptionId) =>
      vendor.calls.filter((c) => c.hook === hook && (!subscriptionId || c.subscriptionId === subscriptionId)),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
  const app = new Hono().post('/hooks/:hook', async (c) => {
    const text = await c.req.text()
    if (!verifySignature(secret, text, c.req.header('x-saas-signature') ?? null)) return c.text('bad signature', 401)
    const hook = c.req.param('hook') as HookName
    const body = JSON.parse(text) as Record<string, unknown>
    const subscriptionId = (body.subscription as { id?: string } | undefined)?.id ?? ''
    const answer = vendor.answer({ hook, subscriptionId, body })
    vendor.calls.push({ hook, subscriptionId, at: Date.now(), status: answer.status, body })
    return answer.body === undefined ? c.body(null, answer.status as 200) : c.json(answer.body, answer.status as 200)
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  vendor.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`
  return vendor
}

/**
 * The harness with the service's own HTTP hooks pointed at `vendor` (the harness's in-process vendor is
 * not used). Stop the harness before the vendor, so no hook is left calling a closed port.
 */
export async function startHarnessWithHttpVendor(
  vendor: HttpVendor,
  options: Omit<HarnessOptions, 'worker'> = {},
): Promise<Harness> {
  const h = await startHarness({
    ...options,
    worker: false,
    env: { VENDOR_HOOKS: 'http', VENDOR_HOOK_URL: vendor.url, VENDOR_HOOK_SECRET: vendor.secret, ...options.env },
  })
  h.worker = await startWorker({
    config: h.config,
    logger: silentLogger,
    temporal: temporalSettings(options.temporalAddress),
    workflowBundle: await workflowBundle(),
  })
  return h
}
