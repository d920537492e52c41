/**
 * The service's configuration: every environment variable it reads, validated once at startup.
 *
 * Temporal connection settings are not here: they follow Temporal's own conventions (`TEMPORAL_ADDRESS`,
 * `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS_*`, `TEMPORAL_PROFILE`) and are read by
 * `@temporalio/envconfig` in `temporal/connection.ts`. Azure credentials (`AZURE_*`) are read by
 * `@azure/identity`; this module only names the ones the service itself needs.
 * @module
 */
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { durationSchema, parseDuration } from '../metering/duration.ts'

export const MICROSOFT_MARKETPLACE_API = 'https://marketplaceapi.microsoft.com/api'
/** The catalogue of metered dimensions of the emulator's demo offers. */
export const DEFAULT_METERING_CATALOG = fileURLToPath(new URL('./metering-catalog.json', import.meta.url))

const csv = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()))
  .pipe(z.array(z.string().min(1)))
const port = z.coerce.number().int().min(0).max(65535)
const ms = z.coerce.number().int().positive()
const DAY_MS = 86_400_000

const schema = z
  .object({
    HOST: z.string().default('127.0.0.1'),
    PORT: port.default(3000),
    /** Base URL buyers and Microsoft reach the HTTP server at (landing page, webhook). */
    PUBLIC_URL: z.url().optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    TEMPORAL_TASK_QUEUE: z.string().min(1).default('saas-fulfillment'),

    MARKETPLACE_API_URL: z.url().default(MICROSOFT_MARKETPLACE_API),
    /** A fixed bearer token for marketplace emulators; production uses @azure/identity instead. */
    MARKETPLACE_STATIC_TOKEN: z.string().min(1).optional(),
    MARKETPLACE_TIMEOUT_MS: ms.default(15_000),

    /** The publisher's Entra app (the one in the offer's technical configuration). */
    AZURE_TENANT_ID: z.uuid().optional(),
    AZURE_CLIENT_ID: z.uuid().optional(),

    WEBHOOK_AUTH: z.enum(['entra', 'none']).default('entra'),
    WEBHOOK_JWKS_URL: z.url().optional(),
    WEBHOOK_TENANT_ID: z.uuid().optional(),
    WEBHOOK_AUDIENCE: z.string().min(1).optional(),

    ADMIN_API_KEY: z.string().min(16, 'must be at least 16 characters'),
    ADMIN_ENTRA_TENANT_ID: z.uuid().optional(),
    ADMIN_ENTRA_AUDIENCE: z.string().min(1).optional(),
    ADMIN_ENTRA_ROLES: csv.optional(),

    SESSION_SECRET: z.string().min(32, 'must be at least 32 characters'),
    LANDING_OIDC_ISSUER: z.url().default('https://login.microsoftonline.com/organizations/v2.0'),
    LANDING_OIDC_CLIENT_ID: z.string().min(1).optional(),
    LANDING_OIDC_CLIENT_SECRET: z.string().min(1).optional(),

    VENDOR_HOOKS: z.enum(['demo', 'http', 'module']).default('demo'),
    VENDOR_HOOK_URL: z.url().optional(),
    VENDOR_HOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    VENDOR_HOOK_MODULE: z.string().min(1).optional(),
    DEMO_PROVISION_DELAY_MS: z.coerce.number().int().min(0).default(2_000),

    /** How long the vendor may take to accept or reject a ChangePlan/ChangeQuantity (Microsoft allows 10 s). */
    CHANGE_DECISION_MS: z.coerce.number().int().min(500).max(9_000).default(6_000),
    DATA_RETENTION_DAYS: z.coerce.number().int().min(7).default(30),
    /** A vendor hook that stops heartbeating this long is presumed dead (its worker crashed) and retried. */
    VENDOR_HOOK_HEARTBEAT_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(60_000),
    VENDOR_HOOK_LANE_HOLD_MS: z.coerce.number().int().min(1_000).default(120_000),

    /** How often the Schedule `saas-reconciliation` compares every subscription with Microsoft's; `off` pauses it. */
    RECONCILE_INTERVAL: z
      .string()
      .refine((s) => s === 'off' || parseDuration(s) !== undefined, 'must be "off" or a duration like 30m or 2h')
      .default('1h')
      .transform((s) => (s === 'off' ? undefined : parseDuration(s)))
      .refine((ms) => ms === undefined || ms >= 60_000, 'must be at least 1m'),
    /** A purchase nobody has configured (PendingFulfillmentStart) for this long is reported loudly. */
    RECONCILE_ACTIVATION_DEADLINE: durationSchema.default(7 * DAY_MS),
    /** `all`: List Operations for every active subscription; `drifted`: only for those that differ or are new. */
    RECONCILE_OPERATIONS: z.enum(['all', 'drifted']).default('all'),

    /** Prometheus metrics of this process at `http://HOST:METRICS_PORT/metrics`; none when unset. */
    METRICS_PORT: port.optional(),
    /** The worker's Temporal SDK metrics (Temporal's own exporter) at `http://HOST:TEMPORAL_METRICS_PORT/metrics`. */
    TEMPORAL_METRICS_PORT: port.optional(),
    /** On SIGTERM: how long requests in flight may take before their connections are closed. */
    HTTP_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
    /** On SIGTERM: how long running activities may take before they are cancelled (and retried elsewhere). */
    WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(20_000),

    /** The usage ledger's PostgreSQL; metering is off without it (`npm start` runs one itself). */
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    /** JSON file: offer → plan → dimension → included quantities (see README, Metered billing). */
    METERING_CATALOG: z.string().min(1).default(DEFAULT_METERING_CATALOG),
    /** How often the submission Schedule runs. */
    METERING_INTERVAL: durationSchema.default(5 * 60_000),
    /** How long after an hour ends its usage is still taken into it before it is closed. */
    METERING_GRACE: durationSchema.default(10 * 60_000),
    /** How long ingest trusts a subscription's state read from Microsoft before asking again. */
    METERING_STATE_MAX_AGE: durationSchema.default(60_000),
  })
  .superRefine((env, ctx) => {
    const need = (name: keyof typeof env, why: string) => {
      if (env[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: `is required ${why}` })
    }
    if (env.WEBHOOK_AUTH === 'entra') {
      if (!env.WEBHOOK_TENANT_ID) need('AZURE_TENANT_ID', 'to verify webhooks (or set WEBHOOK_TENANT_ID)')
      if (!env.WEBHOOK_AUDIENCE) need('AZURE_CLIENT_ID', 'to verify webhooks (or set WEBHOOK_AUDIENCE)')
    } else if (env.MARKETPLACE_API_URL === MICROSOFT_MARKETPLACE_API) {
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_AUTH'],
        message: 'may be "none" only with a marketplace emulator (MARKETPLACE_API_URL)',
      })
    }
    if (env.VENDOR_HOOKS === 'http') {
      need('VENDOR_HOOK_URL', 'when VENDOR_HOOKS=http')
      need('VENDOR_HOOK_SECRET', 'when VENDOR_HOOKS=http')
    }
    if (env.VENDOR_HOOKS === 'module') need('VENDOR_HOOK_MODULE', 'when VENDOR_HOOKS=module')
    if (env.LANDING_OIDC_CLIENT_ID && !env.LANDING_OIDC_CLIENT_SECRET) {
      need('LANDING_OIDC_CLIENT_SECRET', 'when LANDING_OIDC_CLIENT_ID is set')
    }
    if (env.ADMIN_ENTRA_TENANT_ID && !env.ADMIN_ENTRA_AUDIENCE) {
      need('ADMIN_ENTRA_AUDIENCE', 'when ADMIN_ENTRA_TENANT_ID is set')
    }
  })

type Env = z.output<typeof schema>

/** The validated configuration, grouped by the part of the service that uses it. */
export interface Config {
  http: { host: string; port: number; publicUrl: string }
  logLevel: Env['LOG_LEVEL']
  taskQueue: string
  marketplace: { apiUrl: string; staticToken?: string; timeoutMs: number }
  webhook: { auth: 'none' } | { auth: 'entra'; tenantId: string; audience: string; jwksUrl?: string }
  admin: { apiKey: string; entra?: { tenantId: string; audience: string; roles?: string[] } }
  landing: {
    sessionSecret: string
    oidc?: { issuer: string; clientId: string; clientSecret: string }
  }
  vendor:
    | { hooks: 'demo'; provisionDelayMs: number }
    | { hooks: 'http'; url: string; secret: string }
    | { hooks: 'module'; module: string }
  lifecycle: {
    changeDecisionMs: number
    dataRetentionDays: number
    hookHeartbeatTimeoutMs: number
    hookLaneHoldMs: number
  }
  metrics: { port?: number; temporalPort?: number }
  shutdown: { httpGraceMs: number; workerGraceMs: number }
  /** Absent without DATABASE_URL: metering is off. */
  metering?: { databaseUrl: string; catalogPath: string; intervalMs: number; graceMs: number; stateMaxAgeMs: number }
  /** `intervalMs` undefined: the schedule is paused (it can still be triggered). */
  reconciliation: { intervalMs?: number; activationDeadlineMs: number; operations: 'all' | 'drifted' }
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/**
 * Reads and validates the environment. Throws a `ConfigError` whose message names every bad variable
 * and why; secrets never appear in it.
 */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(blankToUndefined(source))
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(environment)'}: ${i.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const env = parsed.data
  return {
    http: { host: env.HOST, port: env.PORT, publicUrl: env.PUBLIC_URL ?? `http://${env.HOST}:${env.PORT}` },
    logLevel: env.LOG_LEVEL,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    marketplace: {
      apiUrl: env.MARKETPLACE_API_URL.replace(/\/+$/, ''),
      staticToken: env.MARKETPLACE_STATIC_TOKEN,
      timeoutMs: env.MARKETPLACE_TIMEOUT_MS,
    },
    webhook:
      env.WEBHOOK_AUTH === 'none'
        ? { auth: 'none' }
        : {
            auth: 'entra',
            tenantId: (env.WEBHOOK_TENANT_ID ?? env.AZURE_TENANT_ID)!,
            audience: (env.WEBHOOK_AUDIENCE ?? env.AZURE_CLIENT_ID)!,
            jwksUrl: env.WEBHOOK_JWKS_URL,
          },
    admin: {
      apiKey: env.ADMIN_API_KEY,
      entra: env.ADMIN_ENTRA_TENANT_ID
        ? { tenantId: env.ADMIN_ENTRA_TENANT_ID, audience: env.ADMIN_ENTRA_AUDIENCE!, roles: env.ADMIN_ENTRA_ROLES }
        : undefined,
    },
    landing: {
      sessionSecret: env.SESSION_SECRET,
      oidc: env.LANDING_OIDC_CLIENT_ID
        ? {
            issuer: env.LANDING_OIDC_ISSUER,
            clientId: env.LANDING_OIDC_CLIENT_ID,
            clientSecret: env.LANDING_OIDC_CLIENT_SECRET!,
          }
        : undefined,
    },
    vendor:
      env.VENDOR_HOOKS === 'http'
        ? { hooks: 'http', url: env.VENDOR_HOOK_URL!, secret: env.VENDOR_HOOK_SECRET! }
        : env.VENDOR_HOOKS === 'module'
          ? { hooks: 'module', module: env.VENDOR_HOOK_MODULE! }
          : { hooks: 'demo', provisionDelayMs: env.DEMO_PROVISION_DELAY_MS },
    lifecycle: {
      changeDecisionMs: env.CHANGE_DECISION_MS,
      dataRetentionDays: env.DATA_RETENTION_DAYS,
      hookHeartbeatTimeoutMs: env.VENDOR_HOOK_HEARTBEAT_TIMEOUT_MS,
      hookLaneHoldMs: env.VENDOR_HOOK_LANE_HOLD_MS,
    },
    metrics: { port: env.METRICS_PORT, temporalPort: env.TEMPORAL_METRICS_PORT },
    shutdown: { httpGraceMs: env.HTTP_SHUTDOWN_GRACE_MS, workerGraceMs: env.WORKER_SHUTDOWN_GRACE_MS },
    metering: env.DATABASE_URL
      ? {
          databaseUrl: env.DATABASE_URL,
          catalogPath: env.METERING_CATALOG,
          intervalMs: env.METERING_INTERVAL,
          graceMs: env.METERING_GRACE,
          stateMaxAgeMs: env.METERING_STATE_MAX_AGE,
        }
      : undefined,
    reconciliation: {
      intervalMs: env.RECONCILE_INTERVAL,
      activationDeadlineMs: env.RECONCILE_ACTIVATION_DEADLINE,
      operations: env.RECONCILE_OPERATIONS,
    },
  }
}

/** An empty variable (`FOO=`) means "not set", as in most shells' intent. */
function blankToUndefined(source: Record<string, string | undefined>) {
  return Object.fromEntries(Object.entries(source).map(([k, v]) => [k, v === '' ? undefined : v]))
}
