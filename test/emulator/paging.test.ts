/** List Subscriptions pages through every subscription, 100 at a time, by `@nextLink` or `continuationToken`. */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { EmulatorHandle, Subscription } from '../../emulator/index.ts'
import { callApi, startTestEmulator } from './helpers.ts'

type Page = { subscriptions: Subscription[]; '@nextLink'?: string }

let emulator: EmulatorHandle
const bought: string[] = []

beforeAll(async () => {
  emulator = await startTestEmulator()
  for (let i = 0; i < 251; i++) {
    bought.push(emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'basic' }).subscription.id)
  }
})
afterAll(() => emulator.stop())

it('follows @nextLink as-is through pages of 100', async () => {
  const pages: Page[] = []
  let answer = await callApi(emulator, 'GET', '/saas/subscriptions/')
  for (;;) {
    expect(answer.status).toBe(200)
    const page = answer.json as Page
    pages.push(page)
    const next = page['@nextLink']
    if (!next) break
    expect(next.startsWith(`${emulator.apiUrl}/saas/subscriptions/?continuationToken=`)).toBe(true)
    expect(new URL(next).searchParams.get('api-version')).toBe('2018-08-31')
    const response = await fetch(next, { headers: { authorization: `Bearer ${emulator.staticToken}` } })
    answer = { status: response.status, headers: response.headers, text: '', json: await response.json() }
  }
  expect(pages.map((p) => p.subscriptions.length)).toEqual([100, 100, 51])
  expect(pages.flatMap((p) => p.subscriptions.map((s) => s.id))).toEqual(bought)
})

it('takes the continuationToken query value on the path without a trailing slash', async () => {
  const first = (await callApi(emulator, 'GET', '/saas/subscriptions')).json as Page
  const token = new URL(first['@nextLink']!).searchParams.get('continuationToken')!
  const second = await callApi(emulator, 'GET', `/saas/subscriptions?continuationToken=${encodeURIComponent(token)}`)
  expect((second.json as Page).subscriptions[0]!.id).toBe(bought[100])
  expect((await callApi(emulator, 'GET', '/saas/subscriptions?continuationToken=garbage')).status).toBe(400)
})
