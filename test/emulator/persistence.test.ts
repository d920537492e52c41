/** The optional state file: everything survives a restart, tokens included; a bad file is refused clearly. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buyAndActivate, callApi, startTestEmulator } from './helpers.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emulator-state-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

it('round-trips subscriptions, operations, tokens, journal, catalogue, clock and signing key', async () => {
  const stateFile = join(dir, 'state.json')
  const first = await startTestEmulator({ stateFile, autoAcceptMs: 60_000 })
  const id = await buyAndActivate(first, 'team', 3)
  const pending = first.marketplace.changeQuantity(id, 4)
  const { token } = first.marketplace.openLanding(id)
  first.marketplace.putOffer({
    offerId: 'extra',
    displayName: 'Extra',
    plans: [{ planId: 'solo', displayName: 'Solo' }],
  })
  first.marketplace.advanceClock(60_000)
  const accessToken = (await (
    await fetch(first.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: first.publisherClientId,
        client_secret: 's',
        scope: '20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default',
      }),
    })
  ).json()) as { access_token: string }
  const journalLength = first.marketplace.journal().length
  await first.stop()
  expect(JSON.parse(await readFile(stateFile, 'utf8'))).toMatchObject({ version: 1 })

  const second = await startTestEmulator({ stateFile, autoAcceptMs: 60_000 })
  try {
    expect(second.marketplace.getSubscription(id).subscription).toMatchObject({
      quantity: 3,
      saasSubscriptionStatus: 'Subscribed',
    })
    expect(second.marketplace.getSubscription(id).operations).toContainEqual(
      expect.objectContaining({ id: pending.id, status: 'InProgress' }),
    )
    expect(second.marketplace.getOffer('extra').plans[0]!.planId).toBe('solo')
    expect(second.marketplace.journal()).toHaveLength(journalLength)
    expect(second.marketplace.advanceClock(0).offsetMs).toBe(60_000)
    const resolved = await callApi(second, 'POST', '/saas/subscriptions/resolve', {
      token: accessToken.access_token,
      headers: { 'x-ms-marketplace-token': token },
    })
    expect(resolved.status).toBe(200)
    // The pending customer change is resumed and can still be answered.
    const answered = await callApi(second, 'PATCH', `/saas/subscriptions/${id}/operations/${pending.id}`, {
      body: { status: 'Success' },
    })
    expect(answered.status).toBe(200)
    expect(second.marketplace.getSubscription(id).subscription.quantity).toBe(4)
  } finally {
    await second.stop()
  }
})

it('refuses a file that is not an emulator state, naming it', async () => {
  const stateFile = join(dir, 'broken.json')
  await writeFile(stateFile, '{"version": 2}')
  await expect(startTestEmulator({ stateFile })).rejects.toThrow(/broken\.json is not an emulator state file/)
  await writeFile(stateFile, 'not json')
  await expect(startTestEmulator({ stateFile })).rejects.toThrow(/broken\.json is not valid JSON/)
})
