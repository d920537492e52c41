/**
 * `/api`: the service as the vendor's systems and operators see it, and `/openapi.json`, its description.
 *
 * Every `/api` route requires `Authorization: Bearer` with `ADMIN_API_KEY` or, when configured, an Entra
 * ID access token (see `auth.ts`); `/openapi.json` is public. Routes sit at absolute paths, so the app is
 * mounted with `app.route('/', api(...))`. Errors always have the body `{ error, details? }` (see
 * `errors.ts`); this app's error handler keeps applying once mounted, so the parent's does not see them.
 *
 * | Route                                              | Success | Errors                 |
 * | -------------------------------------------------- | ------- | ---------------------- |
 * | GET    /api/subscriptions                          | 200     | 400                    |
 * | GET    /api/subscriptions/{id}                     | 200     | 400 404                |
 * | POST   /api/subscriptions/{id}/plan                | 200     | 400 404 409 410        |
 * | POST   /api/subscriptions/{id}/quantity            | 200     | 400 404 409 410        |
 * | DELETE /api/subscriptions/{id}                     | 200     | 400 404 409 410        |
 * | POST   /api/subscriptions/{id}/provisioning        | 202     | 400 404 410            |
 * | POST   /api/subscriptions/{id}/retry               | 202     | 400 404 410            |
 * | POST   /api/subscriptions/{id}/resync              | 202     | 400 404 410            |
 * | GET    /api/entitlements?tenantId=…                | 200     | 400                    |
 * | /api/usage…, /api/subscriptions/{id}/usage…        | see `usage.ts`                   |
 * | POST   /api/reconciliations                        | 202     |                        |
 * | GET    /api/reconciliations/{id}                   | 200     | 400 404                |
 * | GET    /api/reconciliations?limit=N                | 200     | 400                    |
 * All of them may also answer 401 (no or bad token) and 503 (Temporal or Entra ID unreachable).
 * @module
 */
import type { JWTVerifyGetKey } from 'jose'
import packageJson from '../../package.json' with { type: 'json' }
import type { Config } from '../../config/env.ts'
import type { Logger } from '../../config/logger.ts'
import type { ReconciliationsGateway } from '../reconciliations-gateway.ts'
import type { SubscriptionsGateway } from '../subscriptions-gateway.ts'
import { apiAuth } from './auth.ts'
import { entitlements } from './entitlements.ts'
import { errorHandler } from './errors.ts'
import { reconciliationRoutes } from './reconciliations.ts'
import { subscriptionRequests } from './requests.ts'
import { apiApp, BEARER } from './route.ts'
import { subscriptionReads } from './subscriptions.ts'
import { usageRoutes, type UsageDeps } from './usage.ts'

export type ApiGateway = Pick<
  SubscriptionsGateway,
  'list' | 'get' | 'decisions' | 'changePlan' | 'changeQuantity' | 'cancel' | 'reportProvisioning' | 'retry' | 'resync'
>

export interface ApiDeps {
  subscriptions: ApiGateway
  /** Metered billing (DATABASE_URL set); its routes are left out without it. */
  usage?: Omit<UsageDeps, 'auth'>
  /** Reconciliation runs; their routes are left out without it. */
  reconciliations?: ReconciliationsGateway
  admin: Config['admin']
  logger: Logger
  /** Entra signing keys given directly (tests); otherwise the configured tenant's published keys. */
  entraKeys?: JWTVerifyGetKey
}

export const OPENAPI_PATH = '/openapi.json'

export function api(deps: ApiDeps) {
  const { subscriptions, admin, logger } = deps
  const auth = apiAuth({ admin, logger, entraKeys: deps.entraKeys })
  const app = apiApp()
  app.onError(errorHandler(logger))
  app.openAPIRegistry.registerComponent('securitySchemes', BEARER, {
    type: 'http',
    scheme: 'bearer',
    description: admin.entra
      ? 'ADMIN_API_KEY, or an Entra ID access token for the configured audience'
      : 'ADMIN_API_KEY',
  })
  app.route('/', subscriptionReads({ subscriptions, auth }))
  app.route('/', subscriptionRequests({ subscriptions, auth, logger }))
  const usage = deps.usage
  const included = usage && (async (id: string) => (await usage.metering()).includedRemaining(id))
  app.route('/', entitlements({ subscriptions, auth, included }))
  if (deps.usage) app.route('/', usageRoutes({ ...deps.usage, auth }))
  if (deps.reconciliations) app.route('/', reconciliationRoutes({ reconciliations: deps.reconciliations, auth }))
  app.doc31(OPENAPI_PATH, {
    openapi: '3.1.0',
    info: {
      title: 'saas-fulfillment API',
      version: packageJson.version,
      license: { name: packageJson.license, url: `https://spdx.org/licenses/${packageJson.license}.html` },
      description:
        "The vendor's and operators' API of saas-fulfillment: subscriptions of the Microsoft commercial " +
        'marketplace, their entitlements, and vendor-initiated changes confirmed by Microsoft.',
    },
    // Relative: the document is served by the API it describes, whatever its public URL.
    servers: [{ url: '/' }],
    tags: [
      { name: 'subscriptions', description: 'SaaS subscriptions, one durable workflow each' },
      { name: 'entitlements', description: 'What a customer tenant may use' },
      { name: 'usage', description: 'Metered billing: usage in, hourly reports to Microsoft, their outcome' },
      {
        name: 'reconciliations',
        description: "Runs that compare every subscription with Microsoft's and repair drift",
      },
    ],
  })
  return app
}
