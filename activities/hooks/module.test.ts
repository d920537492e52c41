import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PendingChange, SubscriptionFacts } from '../../machines/subscription/index.ts'
import { moduleHooks } from './module.ts'
import type { HookContext, VendorHooks } from './types.ts'

const subscription: SubscriptionFacts = {
  id: 'sub-module',
  offerId: 'offer',
  planId: 'basic',
  quantity: 3,
  saasSubscriptionStatus: 'Subscribed',
  isFreeTrial: false,
  isTest: true,
}
const change: PendingChange = {
  operationId: 'op-1',
  action: 'ChangeQuantity',
  quantity: 50,
  receivedAt: '2025-01-01T00:00:00.000Z',
}
const deadline = '2025-01-01T00:00:06.000Z'

function context() {
  const heartbeats: unknown[] = []
  const ctx: HookContext = {
    key: 'wf/run/1',
    heartbeat: (d) => heartbeats.push(d),
    signal: new AbortController().signal,
  }
  return { ctx, heartbeats }
}

/** A complete set of hooks whose answers name where they came from. */
const fullHooks = (from: string) => `{
  async provision(req, ctx) {
    ctx.heartbeat('${from}')
    return { status: 'pending', reference: '${from}:' + req.subscription.id + ':' + ctx.key }
  },
  async decideChange(req) {
    return { accept: false, reason: '${from}: no more than 10 seats, asked ' + req.change.quantity }
  },
  async applyChange() { globalThis.__calls?.push('${from}:applyChange') },
  async suspend() { globalThis.__calls?.push('${from}:suspend') },
  async reinstate() { return { accept: false, reason: '${from}: unpaid' } },
  async deprovision() { globalThis.__calls?.push('${from}:deprovision') },
  async notify(req) { globalThis.__calls?.push('${from}:notify:' + req.event) },
}`

let dir: string
let counter = 0

/** Writes an ES module to a fresh file (a fresh URL, so no import cache is shared) and returns its path. */
async function fixture(source: string): Promise<string> {
  const path = join(dir, `hooks-${++counter}.mjs`)
  await writeFile(path, source)
  return path
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vendor-hooks-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
  delete (globalThis as { __calls?: unknown }).__calls
})

async function expectFullHooks(hooks: VendorHooks, from: string) {
  const calls: string[] = []
  ;(globalThis as { __calls?: string[] }).__calls = calls
  const { ctx, heartbeats } = context()
  await expect(hooks.provision({ subscription }, ctx)).resolves.toEqual({
    status: 'pending',
    reference: `${from}:sub-module:wf/run/1`,
  })
  expect(heartbeats).toEqual([from])
  await expect(hooks.decideChange({ subscription, change, deadline }, ctx)).resolves.toEqual({
    accept: false,
    reason: `${from}: no more than 10 seats, asked 50`,
  })
  await expect(hooks.reinstate({ subscription }, ctx)).resolves.toEqual({ accept: false, reason: `${from}: unpaid` })
  await hooks.applyChange({ subscription, previous: { planId: 'basic', quantity: 3 } }, ctx)
  await hooks.suspend({ subscription }, ctx)
  await hooks.deprovision({ subscription, retainUntil: '2025-02-01T00:00:00Z' }, ctx)
  await hooks.notify({ event: 'Renew', subscription }, ctx)
  expect(calls).toEqual([`${from}:applyChange`, `${from}:suspend`, `${from}:deprovision`, `${from}:notify:Renew`])
}

describe('loads the hooks a module exports', () => {
  it.each([
    ['a default object', (from: string) => `export default ${fullHooks(from)}`],
    ['a "hooks" named export', (from: string) => `export const hooks = ${fullHooks(from)}`],
    ['a default sync factory', (from: string) => `export default () => (${fullHooks(from)})`],
    ['a default async factory', (from: string) => `export default async () => (${fullHooks(from)})`],
    ['a "hooks" async factory', (from: string) => `export async function hooks() { return ${fullHooks(from)} }`],
    [
      'a class instance (methods on its prototype, using this)',
      (from: string) => `
        class Hooks {
          #from = '${from}'
          async provision(req, ctx) {
            ctx.heartbeat(this.#from)
            return { status: 'pending', reference: this.#from + ':' + req.subscription.id + ':' + ctx.key }
          }
          async decideChange(req) {
            return { accept: false, reason: this.#from + ': no more than 10 seats, asked ' + req.change.quantity }
          }
          async applyChange() { globalThis.__calls?.push(this.#from + ':applyChange') }
          async suspend() { globalThis.__calls?.push(this.#from + ':suspend') }
          async reinstate() { return { accept: false, reason: this.#from + ': unpaid' } }
          async deprovision() { globalThis.__calls?.push(this.#from + ':deprovision') }
          async notify(req) { globalThis.__calls?.push(this.#from + ':notify:' + req.event) }
        }
        export default new Hooks()`,
    ],
  ])('as %s', async (_, source) => {
    const from = `fixture-${counter + 1}`
    await expectFullHooks(await moduleHooks(await fixture(source(from))), from)
  })

  it('by a path relative to the working directory, or a file: URL', async () => {
    const path = await fixture(`export default ${fullHooks('relative')}`)
    const rel = relative(process.cwd(), path)
    await expectFullHooks(await moduleHooks(rel.startsWith('.') ? rel : `./${rel}`), 'relative')
    await expectFullHooks(await moduleHooks(pathToFileURL(path).href), 'relative')
  })

  it('calls a factory once, with nothing', async () => {
    const path = await fixture(`
      export default (...args) => {
        globalThis.__factory = [...(globalThis.__factory ?? []), args]
        return ${fullHooks('factory')}
      }`)
    await moduleHooks(path)
    expect((globalThis as { __factory?: unknown }).__factory).toEqual([[]])
    delete (globalThis as { __factory?: unknown }).__factory
  })

  it('passes the request and context through untouched', async () => {
    const path = await fixture(`
      export default {
        async provision(req, ctx) { globalThis.__seen = { req, key: ctx.key, aborted: ctx.signal.aborted }; return { status: 'completed' } },
      }`)
    const hooks = await moduleHooks(path)
    const { ctx } = context()
    await expect(hooks.provision({ subscription, buyer: { email: 'b@x.example' } }, ctx)).resolves.toEqual({
      status: 'completed',
    })
    expect((globalThis as { __seen?: unknown }).__seen).toEqual({
      req: { subscription, buyer: { email: 'b@x.example' } },
      key: 'wf/run/1',
      aborted: false,
    })
    delete (globalThis as { __seen?: unknown }).__seen
  })

  it("propagates a hook's failure", async () => {
    const path = await fixture(`export default { async suspend() { throw new Error('billing system down') } }`)
    const hooks = await moduleHooks(path)
    await expect(hooks.suspend({ subscription }, context().ctx)).rejects.toThrow('billing system down')
  })
})

describe('a partial module', () => {
  it("falls back to the demo's answers for the hooks it leaves out", async () => {
    const path = await fixture(`
      export default {
        async decideChange() { return { accept: false, reason: 'custom' } },
        async suspend() { globalThis.__calls.push('suspend') },
      }`)
    const hooks = await moduleHooks(path)
    const calls: string[] = []
    ;(globalThis as { __calls?: string[] }).__calls = calls
    const { ctx, heartbeats } = context()

    await expect(hooks.decideChange({ subscription, change, deadline }, ctx)).resolves.toEqual({
      accept: false,
      reason: 'custom',
    })
    await hooks.suspend({ subscription }, ctx)
    expect(calls).toEqual(['suspend'])

    // The demo's: provision at once (no delay, no heartbeats), accept reinstatement, the rest do nothing.
    await expect(hooks.provision({ subscription }, ctx)).resolves.toEqual({ status: 'completed' })
    expect(heartbeats).toEqual([])
    await expect(hooks.reinstate({ subscription }, ctx)).resolves.toEqual({ accept: true })
    await expect(hooks.applyChange({ subscription, previous: { planId: 'x' } }, ctx)).resolves.toBeUndefined()
    await expect(hooks.deprovision({ subscription, retainUntil: 'x' }, ctx)).resolves.toBeUndefined()
    await expect(hooks.notify({ event: 'Renew', subscription }, ctx)).resolves.toBeUndefined()
  })

  it('returns all seven hooks, even from an empty object', async () => {
    const hooks = await moduleHooks(await fixture('export default {}'))
    expect(Object.keys(hooks).sort()).toEqual(
      ['applyChange', 'decideChange', 'deprovision', 'notify', 'provision', 'reinstate', 'suspend'].sort(),
    )
    for (const hook of Object.values(hooks)) expect(hook).toBeTypeOf('function')
    await expect(hooks.decideChange({ subscription, change, deadline }, context().ctx)).resolves.toEqual({
      accept: true,
    })
  })

  it('ignores exports that are not hooks', async () => {
    const hooks = await moduleHooks(
      await fixture(`export default { provision: async () => ({ status: 'pending' }), version: 3, helper() {} }`),
    )
    await expect(hooks.provision({ subscription }, context().ctx)).resolves.toEqual({ status: 'pending' })
    expect(Object.keys(hooks)).not.toContain('version')
  })
})

describe('a module without usable hooks', () => {
  it.each([
    ['no default nor hooks export', 'export const somethingElse = {}'],
    ['an empty module', ''],
    ['a default number', 'export default 42'],
    ['a default string', "export default 'hooks'"],
    ['a default null', 'export default null'],
    ['a factory returning nothing', 'export default () => {}'],
    ['an async factory returning nothing', 'export default async () => undefined'],
    ['a factory returning a number', 'export const hooks = () => 7'],
  ])('throws a clear error: %s', async (_, source) => {
    const path = await fixture(source)
    await expect(moduleHooks(path)).rejects.toThrow(`${path} exports no vendor hooks (default or "hooks")`)
  })

  it('throws a clear error for a hook that is not a function', async () => {
    const path = await fixture(`export default { provision: { status: 'completed' } }`)
    await expect(moduleHooks(path)).rejects.toThrow(`${path}: hook "provision" is not a function`)
  })

  it("lets a factory's own failure through", async () => {
    const path = await fixture(`export default async () => { throw new Error('no database connection') }`)
    await expect(moduleHooks(path)).rejects.toThrow('no database connection')
  })

  it('fails to load a module that does not exist', async () => {
    await expect(moduleHooks(join(dir, 'missing.mjs'))).rejects.toThrow()
  })
})
