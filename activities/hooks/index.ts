/**
 * Picks the vendor hooks the configuration asks for.
 * @module
 */
import type { Config } from '../../config/env.ts'
import { demoHooks } from './demo.ts'
import { httpHooks } from './http.ts'
import { moduleHooks } from './module.ts'
import type { VendorHooks } from './types.ts'

export async function createVendorHooks(vendor: Config['vendor']): Promise<VendorHooks> {
  switch (vendor.hooks) {
    case 'http':
      return httpHooks({ url: vendor.url, secret: vendor.secret })
    case 'module':
      return moduleHooks(vendor.module)
    case 'demo':
      return demoHooks({ provisionDelayMs: vendor.provisionDelayMs })
  }
}

export { httpHooks, signPayload, verifySignature } from './http.ts'
export { demoHooks } from './demo.ts'
export {
  VendorRejectedError,
  type VendorDecision,
  type HookContext,
  type ProvisionResult,
  type VendorHooks,
} from './types.ts'
