/**
 * A fake subscriptions gateway that records every call, and the app built on it, for the `/api` tests.
 * @module
 */
import { silentLogger } from '../../config/logger.ts'
import type { Decision, SubscriptionView } from '../../machines/subscription/index.ts'
import type { VendorRequestResult } from '../../workflows/subscription.ts'
import type { SubscriptionSummary } from '../../server/subscriptions-gateway.ts'
import { api, type ApiDeps, type ApiGateway } from '../../server/api/index.ts'

export const API_KEY = 'test-admin-api-key-0123456789'
export const SUB_ID = 'a1b2c3d4-0000-4000-8000-000000000001'
export const TENANT = 'f0e1d2c3-0000-4000-8000-0000000000aa'

export const auth = { authorization: `Bearer ${API_KEY}` }

export function view(overrides: Partial<SubscriptionView> = {}): SubscriptionView {
  return {
    id: SUB_ID,
    offerId: 'contoso-saas',
    planId: 'gold',
    quantity: 25,
    saasSubscriptionStatus: 'Subscribed',
    step: 'subscribed',
    beneficiary: { tenantId: TENANT },
    term: { termUnit: 'P1M', startDate: '2025-01-01', endDate: '2025-01-31' },
    isFreeTrial: false,
    isTest: false,
    recentRequests: [],
    ...overrides,
  }
}

export function decision(n: number): Decision {
  return {
    at: new Date(Date.UTC(2025, 0, 1, 0, n)).toISOString(),
    event: `event-${n}`,
    operationId: `op-${n}`,
    from: 'subscribed',
    to: 'subscribed',
    outcome: 'applied',
    effects: [],
  }
}

export function summary(overrides: Partial<SubscriptionSummary> = {}): SubscriptionSummary {
  return {
    subscriptionId: SUB_ID,
    status: 'Subscribed',
    offerId: 'contoso-saas',
    planId: 'gold',
    quantity: 25,
    beneficiaryTenantId: TENANT,
    isFreeTrial: false,
    isTest: false,
    running: true,
    ...overrides,
  }
}

export function result(overrides: Partial<VendorRequestResult> = {}): VendorRequestResult {
  return { requestId: 'req-1', outcome: 'succeeded', operationId: 'op-9', subscription: view(), ...overrides }
}

type Call = [method: keyof ApiGateway, ...args: unknown[]]

/**
 * Every method answers from `answers` (a value, or a function of the arguments that may throw) and
 * records its call; unset methods return harmless defaults.
 */
export function fakeGateway(
  answers: Partial<{ [K in keyof ApiGateway]: (...args: Parameters<ApiGateway[K]>) => unknown }> = {},
) {
  const calls: Call[] = []
  const method =
    <K extends keyof ApiGateway>(name: K, fallback: () => unknown) =>
    (...args: unknown[]) => {
      calls.push([name, ...args])
      const answer = answers[name] as ((...a: unknown[]) => unknown) | undefined
      // Asynchronous, like Temporal: a throwing answer becomes a rejection.
      return Promise.resolve().then(() => (answer ? answer(...args) : fallback()))
    }
  const gateway = {
    list: method('list', () => ({ subscriptions: [] })),
    get: method('get', () => view()),
    decisions: method('decisions', () => []),
    changePlan: method('changePlan', () => result()),
    changeQuantity: method('changeQuantity', () => result()),
    cancel: method('cancel', () => result()),
    reportProvisioning: method('reportProvisioning', () => undefined),
    retry: method('retry', () => undefined),
    resync: method('resync', () => undefined),
  } as unknown as ApiGateway
  return { gateway, calls }
}

export function testApi(gateway: ApiGateway, overrides: Partial<ApiDeps> = {}) {
  return api({ subscriptions: gateway, admin: { apiKey: API_KEY }, logger: silentLogger, ...overrides })
}
