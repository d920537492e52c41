/**
 * Shared helpers of the emulator tests: a fast emulator, an API client that speaks like the publisher,
 * a webhook receiver, and polling.
 * @module
 */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../emulator/index.ts'

export const API_VERSION = '2018-08-31'

/** Starts an emulator with timings short enough for tests (each test may override them). */
export function startTestEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  return startEmulator({
    autoAcceptMs: 200,
    operationDelayMs: 20,
    webhookRetry: { attempts: 3, initialDelayMs: 10, maxDelayMs: 20, timeoutMs: 2_000 },
    ...options,
  })
}

export interface ApiAnswer {
  status: number
  headers: Headers
  text: string
  /** The body parsed as JSON, or undefined when it is empty. */
  json: unknown
}

export interface CallOptions {
  body?: unknown
  headers?: Record<string, string>
  /** Bearer token; default the emulator's static token; `null` sends no Authorization header. */
  token?: string | null
  /** Default: `2018-08-31`; `null` leaves it out. */
  apiVersion?: string | null
}

/** Calls the emulator's Microsoft API (`path` relative to `/api`, query string allowed). */
export async function callApi(
  emulator: EmulatorHandle,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<ApiAnswer> {
  const url = new URL(`${emulator.apiUrl}${path}`)
  const version = options.apiVersion === undefined ? API_VERSION : options.apiVersion
  if (version !== null) url.searchParams.set('api-version', version)
  const token = options.token === undefined ? emulator.staticToken : options.token
  const headers: Record<string, string> = { ...options.headers }
  if (token !== null) headers.authorization = `Bearer ${token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(url, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: text ? (JSON.parse(text) as unknown) : undefined,
  }
}

/** Calls the driver API. */
export async function callDriver(emulator: EmulatorHandle, method: string, path: string, body?: unknown) {
  const response = await fetch(`${emulator.driverUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined }
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders
  body: Record<string, unknown>
  /** The status the receiver answered with. */
  status: number
}

/** A publisher webhook endpoint on 127.0.0.1 that records every call and answers `answer()` (default 200). */
export async function startReceiver(answer: (call: number) => number = () => 200) {
  const received: ReceivedWebhook[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const status = answer(received.length + 1)
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
      received.push({ headers: req.headers, body, status })
      res.writeHead(status).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    received,
    close() {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>

/** Polls `probe` until it returns something truthy, and returns that; fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | Promise<T>, timeoutMs = 5_000): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value as Truthy<T>
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Buys a plan and activates it as a publisher would: resolve, then activate. Returns the subscription id. */
export async function buyAndActivate(emulator: EmulatorHandle, planId = 'team', quantity?: number): Promise<string> {
  const { subscription, token } = emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId, quantity })
  const resolved = await callApi(emulator, 'POST', '/saas/subscriptions/resolve', {
    headers: { 'x-ms-marketplace-token': token },
  })
  if (resolved.status !== 200) throw new Error(`resolve answered ${resolved.status}`)
  const activated = await callApi(emulator, 'POST', `/saas/subscriptions/${subscription.id}/activate`, {
    body: { planId, ...(subscription.quantity === undefined ? {} : { quantity: subscription.quantity }) },
  })
  if (activated.status !== 200) throw new Error(`activate answered ${activated.status}: ${activated.text}`)
  return subscription.id
}
