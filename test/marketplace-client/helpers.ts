/**
 * Shared helpers of the marketplace client tests: an emulator with short timings, a client pointed at it,
 * a pino logger whose output the test reads, a fake @azure/identity credential backed by the emulator's
 * token endpoint, and a tiny HTTP server standing in for answers the emulator never gives.
 * @module
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AccessToken, TokenCredential } from '@azure/identity'
import { pino, type Logger } from 'pino'
import { silentLogger } from '../../config/logger.ts'
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../emulator/index.ts'
import { createMarketplaceClient, type MarketplaceClientOptions } from '../../marketplace/client/index.ts'

/** An emulator whose publisher operations finish quickly and whose customer operations wait for an answer. */
export function startClientEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  return startEmulator({
    operationDelayMs: 100,
    autoAcceptMs: 10_000,
    webhookRetry: { attempts: 1, initialDelayMs: 10, maxDelayMs: 10, timeoutMs: 500 },
    ...options,
  })
}

/** The client under test, on the emulator's API with its static token; `options` override anything. */
export function clientFor(emulator: EmulatorHandle, options: Partial<MarketplaceClientOptions> = {}) {
  return createMarketplaceClient({
    baseUrl: emulator.apiUrl,
    staticToken: emulator.staticToken,
    logger: silentLogger,
    timeoutMs: 2_000,
    ...options,
  })
}

/** One pino record as the client wrote it. */
export type LogRecord = Record<string, unknown> & { level: number; time: number; msg: string }

/** A real pino logger writing to memory: parsed records and the raw text (to look for secrets). */
export function captureLogs(): { logger: Logger; records: LogRecord[]; raw: () => string } {
  const records: LogRecord[] = []
  let raw = ''
  const logger = pino(
    { level: 'trace' },
    {
      write(line: string) {
        raw += line
        records.push(JSON.parse(line) as LogRecord)
      },
    },
  )
  return { logger, records, raw: () => raw }
}

/**
 * A stand-in for an @azure/identity credential (e.g. `ClientSecretCredential`): records the scopes it is
 * asked for and gets the token from the emulator's v2.0 token endpoint with client credentials, for the
 * scopes asked (so a wrong scope would be refused by the endpoint as Entra refuses it).
 */
export function emulatorCredential(emulator: EmulatorHandle, clientId = emulator.publisherClientId) {
  const requests: string[][] = []
  const tokens: string[] = []
  const credential: TokenCredential = {
    async getToken(scopes): Promise<AccessToken> {
      const asked = [scopes].flat()
      requests.push(asked)
      const response = await fetch(emulator.tokenUrl, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: 'test-client-secret',
          scope: asked.join(' '),
        }),
      })
      const json = (await response.json()) as { access_token?: string; expires_in?: number; error?: string }
      if (!json.access_token) throw new Error(`token endpoint answered ${response.status}: ${json.error}`)
      tokens.push(json.access_token)
      return { token: json.access_token, expiresOnTimestamp: Date.now() + (json.expires_in ?? 3600) * 1000 }
    },
  }
  return { credential, requests, tokens }
}

export interface StubRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
}

/** A local HTTP server answering with `handler`; records every request it receives. */
export async function startStub(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const requests: StubRequest[] = []
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    apiUrl: `${url}/api`,
    requests,
    close() {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Answers JSON (or an empty body when `body` is undefined). */
export function answer(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined ? '' : JSON.stringify(body)
  res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers })
  res.end(text)
}

/** A base URL on which nothing listens: a port that was free a moment ago. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}/api`
}

/** Polls `probe` until it returns true; fails after `timeoutMs`. */
export async function waitUntil(probe: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** The rejection of `promise`, for assertions on its fields; fails if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected the call to fail, but it succeeded')
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
