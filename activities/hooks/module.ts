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
  return { ...demoHooks({ provisionDelayMs: 0 }), ...hooks }
}
