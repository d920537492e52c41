import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { toMarkdown, toMermaid } from './diagram.ts'

it('machine.md is the diagram of the machine as it is now (run `npm run diagram` after changing it)', () => {
  expect(readFileSync(new URL('machine.md', import.meta.url), 'utf8')).toBe(toMarkdown())
})

it('draws every state and the edges between them', () => {
  const mermaid = toMermaid()
  for (const state of ['awaitingBuyer', 'provisioning', 'subscribed_idle', 'suspended_reinstating', 'unsubscribed'])
    expect(mermaid).toContain(`as ${state}`)
  expect(mermaid).toContain('subscribed_idle --> subscribed_changing : vendor.changePlan [requestable]')
  expect(mermaid).toContain('unsubscribed --> [*]')
})
