/**
 * Authentication (a static token, or an @azure/identity `TokenCredential` for the marketplace scope),
 * tracing headers (a fresh `x-ms-requestid` per request, the caller's `x-ms-correlationid`) and the log of
 * every call (status, ids, duration; never a token).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { EmulatorHandle } from '../../emulator/index.ts'
import { MARKETPLACE_SCOPE, MarketplaceError } from '../../marketplace/client/index.ts'
import { captureLogs, clientFor, emulatorCredential, rejectionOf, startClientEmulator } from './helpers.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

let emulator: EmulatorHandle

beforeAll(async () => {
  emulator = await startClientEmulator({ staticToken: 'static-token-for-client-tests' })
})
beforeEach(() => emulator.marketplace.reset())
afterAll(() => emulator.stop())

const journal = (kind?: string) => emulator.marketplace.journal(kind ? { kind } : {})
const buy = () =>
  emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'basic', autoActivate: true }).subscription.id

describe('authentication', () => {
  it('a static bearer token works', async () => {
    const id = buy()
    await expect(clientFor(emulator).getSubscription(id)).resolves.toMatchObject({ id })
    expect(journal('getSubscription')).toMatchObject([{ status: 200 }])
  })

  it('an @azure/identity TokenCredential is asked for the marketplace .default scope, and its token works', async () => {
    const id = buy()
    const { credential, requests, tokens } = emulatorCredential(emulator)
    const client = clientFor(emulator, { staticToken: undefined, credential })

    await expect(client.getSubscription(id)).resolves.toMatchObject({ id })
    await client.listSubscriptionsPage()
    await client.listAvailablePlans(id)
    expect(MARKETPLACE_SCOPE).toBe('20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default')
    expect(requests).toEqual([['20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default']])
    expect(tokens).toHaveLength(1)
    expect(tokens[0]!.split('.')).toHaveLength(3) // a JWT from the token endpoint, not the static token
    expect(journal().map((e) => e.status)).toEqual([200, 200, 200])
  })

  it('the static token takes precedence over a credential', async () => {
    const { credential, requests } = emulatorCredential(emulator)
    const client = clientFor(emulator, { credential })
    await client.listSubscriptionsPage()
    expect(requests).toEqual([])
  })

  it('a wrong token surfaces 403 as a non-retryable error, sent once even with retries on', async () => {
    const retry = { attempts: 3, baseDelayMs: 10 }
    const wrong = clientFor(emulator, { staticToken: 'wrong-token', retry })
    const err = await rejectionOf(wrong.listSubscriptionsPage())
    expect(err).toBeInstanceOf(MarketplaceError)
    expect(err).toMatchObject({ status: 403, code: 'Forbidden', kind: 'rejected', retryable: false })
    expect(journal('listSubscriptions').map((e) => e.status)).toEqual([403])

    // A real token, but issued to another app than the one the offers are published with.
    const { credential } = emulatorCredential(emulator, '00000000-0000-4000-8000-0000000000ff')
    const otherApp = clientFor(emulator, { staticToken: undefined, credential, retry })
    const refused = await rejectionOf(otherApp.listSubscriptionsPage())
    expect(refused).toMatchObject({ status: 403, retryable: false })
    expect((refused as Error).message).toMatch(/issued to app 00000000-0000-4000-8000-0000000000ff/)
    expect(journal('listSubscriptions').map((e) => e.status)).toEqual([403, 403])
  })
})

describe('tracing headers', () => {
  it('every request carries a fresh x-ms-requestid and the x-ms-correlationid passed in', async () => {
    const id = buy()
    const client = clientFor(emulator)
    const ctx = { correlationId: 'order-42' }
    await client.getSubscription(id, ctx)
    await client.getSubscription(id, ctx)
    await client.listAvailablePlans(id, {}, ctx)
    await client.changePlan(id, 'trial', ctx)

    const entries = journal()
    expect(entries).toHaveLength(4)
    expect(entries.every((e) => e.correlationId === 'order-42')).toBe(true)
    expect(entries.every((e) => UUID.test(e.requestId))).toBe(true)
    expect(new Set(entries.map((e) => e.requestId)).size).toBe(4)
  })

  it('without a correlation id, each call gets its own, shared by its retries; each attempt its own request id', async () => {
    const id = buy()
    const client = clientFor(emulator, { retry: { attempts: 2, baseDelayMs: 5 } })
    emulator.marketplace.setFaults({ script: [{ target: 'api', kind: '500' }] })
    await client.getSubscription(id)
    await client.getSubscription(id)
    const [failed, retried, other] = journal('getSubscription')
    expect([failed!.status, retried!.status, other!.status]).toEqual([500, 200, 200])
    expect(failed!.correlationId).toMatch(UUID)
    expect(retried!.correlationId).toBe(failed!.correlationId)
    expect(other!.correlationId).not.toBe(failed!.correlationId)
    expect(new Set([failed!.requestId, retried!.requestId, other!.requestId]).size).toBe(3)
  })
})

describe('logging', () => {
  it('logs the outcome of every call: operation, method, status, ids, attempt, duration', async () => {
    const { logger, records } = captureLogs()
    const id = buy()
    const client = clientFor(emulator, { logger })
    await client.getSubscription(id, { correlationId: 'log-1' })
    const [entry] = journal('getSubscription')

    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({
      level: 30,
      msg: 'marketplace call',
      operation: 'getSubscription',
      method: 'GET',
      status: 200,
      requestId: entry!.requestId,
      correlationId: 'log-1',
      attempt: 1,
    })
    expect(records[0]!.durationMs).toEqual(expect.any(Number))
    expect(records[0]!.durationMs).toBeGreaterThanOrEqual(0)
  })

  it('never logs a token: not the bearer token, not the credential JWT, not the landing token', async () => {
    const { logger, records, raw } = captureLogs()
    const { credential, tokens } = emulatorCredential(emulator)
    const { subscription, token: landingToken } = emulator.marketplace.purchase({
      offerId: 'contoso-analytics',
      planId: 'team',
      quantity: 2,
    })
    const viaCredential = clientFor(emulator, { staticToken: undefined, credential, logger })
    const viaStatic = clientFor(emulator, { logger })
    const wrong = clientFor(emulator, { staticToken: 'wrong-secret-token', logger })

    await viaCredential.resolve(landingToken)
    await viaCredential.activate(subscription.id, { planId: 'team', quantity: 2 })
    await viaStatic.getSubscription(subscription.id)
    await rejectionOf(wrong.getSubscription(subscription.id))
    await rejectionOf(viaStatic.activate(subscription.id, { planId: 'team', quantity: 2 }))

    expect(records.map((r) => [r.operation, r.status])).toEqual([
      ['resolve', 200],
      ['activate', 200],
      ['getSubscription', 200],
      ['getSubscription', 403],
      ['activate', 400],
    ])
    const text = raw()
    expect(tokens).toHaveLength(1)
    for (const secret of [tokens[0]!, emulator.staticToken, 'wrong-secret-token', landingToken]) {
      expect(text).not.toContain(secret)
    }
    expect(text.toLowerCase()).not.toContain('bearer')
  })
})
