/**
 * Loads the vendor's hooks from a TypeScript/JavaScript module (`VENDOR_HOOK_MODULE`), for vendors who run
 * this service in their own codebase. The module's default export (or `hooks` export) is either a
 * `VendorHooks` object or a function returning one; missing hooks fall back to the demo's answers.
 * @module
 */
import { pathToFileURL } from 'node:url'
import { resolve } from 'node:path'
import { demoHooks } from './demo.ts'
import type { VendorHooks } from './types.ts'

export async function moduleHooks(specifier: string): Promise<VendorHooks> {
  const url =
    specifier.startsWith('.') || specifier.startsWith('/') ? pathToFileURL(resolve(specifier)).href : specifier
  const loaded = (await import(url)) as { default?: unknown; hooks?: unknown }
  const exported = loaded.hooks ?? loaded.default
  const hooks = (
    typeof exported === 'function' ? await (exported as () => unknown)() : exported
  ) as Partial<VendorHooks>
  if (!hooks || typeof hooks !== 'object') throw new Error(`${specifier} exports no vendor hooks (default or "hooks")`)
  // Hook by hook rather than `{ ...demo, ...hooks }`: a spread drops a class instance's (prototype) methods,
  // which would silently leave the demo answering for the vendor.
  const demo: Record<string, unknown> = { ...demoHooks({ provisionDelayMs: 0 }) }
  const picked = Object.keys(demo).map((name) => {
    const hook = (hooks as Record<string, unknown>)[name]
    if (hook === undefined) return [name, demo[name]]
    if (typeof hook !== 'function') throw new Error(`${specifier}: hook "${name}" is not a function`)
    return [name, (hook as (...args: unknown[]) => unknown).bind(hooks)]
  })
  return Object.fromEntries(picked) as VendorHooks
}
