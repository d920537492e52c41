/**
 * A credential that cannot give a token is a configuration problem, not a passing fault: it fails at once
 * as `credential` and is not retried, while a token service that is merely unreachable may be tried again.
 */
import { AuthenticationError, CredentialUnavailableError, type TokenCredential } from '@azure/identity'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EmulatorHandle } from '../../emulator/index.ts'
import { MarketplaceError } from '../../marketplace/client/index.ts'
import { answer, clientFor, rejectionOf, startClientEmulator, startStub } from './helpers.ts'

let emulator: EmulatorHandle
beforeAll(async () => {
  emulator = await startClientEmulator()
})
afterAll(() => emulator?.stop())

/** A credential that fails with `error` the first `failures` times, then returns the emulator's static token. */
function failing(error: () => Error, failures = Infinity) {
  let calls = 0
  const credential: TokenCredential = {
    getToken: () =>
      ++calls <= failures
        ? Promise.reject(error())
        : Promise.resolve({ token: emulator.staticToken, expiresOnTimestamp: Date.now() + 3_600_000 }),
  }
  return { credential, calls: () => calls }
}

describe('token failures', () => {
  it('fails a missing credential at once, as a non-retryable credential error, sending nothing', async () => {
    const { credential, calls } = failing(() => new CredentialUnavailableError('EnvironmentCredential is unavailable'))
    const client = clientFor(emulator, { staticToken: undefined, credential, retry: { attempts: 3, baseDelayMs: 10 } })
    const before = emulator.marketplace.journal().length
    const err = await rejectionOf(client.getSubscription('00000000-0000-4000-8000-000000000001'))
    expect(err).toBeInstanceOf(MarketplaceError)
    expect(err).toMatchObject({ kind: 'credential', retryable: false, type: 'MarketplaceCredential' })
    expect(calls()).toBe(1)
    expect(emulator.marketplace.journal().length).toBe(before)
  })

  it('fails a credential Entra ID refuses (4xx) the same way', async () => {
    const { credential } = failing(
      () => new AuthenticationError(401, { error: 'invalid_client', error_description: 'bad secret' }),
    )
    const err = await rejectionOf(clientFor(emulator, { staticToken: undefined, credential }).listSubscriptionsPage())
    expect(err).toMatchObject({ kind: 'credential', retryable: false })
  })

  it('retries when Entra ID itself is not answering, then succeeds', async () => {
    const { credential, calls } = failing(() => new AuthenticationError(503, { error: 'temporarily_unavailable' }), 1)
    const client = clientFor(emulator, { staticToken: undefined, credential, retry: { attempts: 3, baseDelayMs: 10 } })
    await expect(client.listSubscriptionsPage()).resolves.toBeDefined()
    expect(calls()).toBe(2)
  })
})

describe('a 202 without Operation-Location', () => {
  it('is an invalid answer, not a success with no operation', async () => {
    const stub = await startStub((_req, res) => answer(res, 202))
    try {
      const client = clientFor(emulator, { baseUrl: stub.apiUrl })
      const err = await rejectionOf(client.changePlan('00000000-0000-4000-8000-000000000001', 'gold'))
      expect(err).toMatchObject({ kind: 'invalid-response', status: 202, retryable: false })
    } finally {
      await stub.close()
    }
  })
})
