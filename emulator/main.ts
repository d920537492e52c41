/**
 * The emulator as its own program: `npm run emulator`. Options come from `EMULATOR_*` environment
 * variables (see README.md); a bad one stops the program with a message naming it.
 * @module
 */
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { createLogger } from '../config/logger.ts'
import { catalogueSchema } from './core/catalogue.ts'
import { faultsSchema } from './core/faults.ts'
import { startEmulator } from './index.ts'
import { httpUrl } from './options.ts'

const int = z.coerce.number().int().min(0)
const json = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not valid JSON' })
    return z.NEVER
  }
})

const envSchema = z.object({
  EMULATOR_HOST: z.string().min(1).default('127.0.0.1'),
  EMULATOR_PORT: int.max(65_535).default(4010),
  EMULATOR_PUBLIC_URL: httpUrl.optional(),
  EMULATOR_PUBLISHER_ID: z.string().min(1).optional(),
  EMULATOR_PUBLISHER_TENANT_ID: z.uuid().optional(),
  EMULATOR_PUBLISHER_CLIENT_ID: z.uuid().optional(),
  EMULATOR_STATIC_TOKEN: z.string().min(1).optional(),
  EMULATOR_WEBHOOK_URL: httpUrl.optional(),
  EMULATOR_LANDING_PAGE_URL: httpUrl.optional(),
  EMULATOR_AUTO_ACCEPT_MS: int.optional(),
  EMULATOR_OPERATION_DELAY_MS: int.optional(),
  EMULATOR_PURCHASE_TOKEN_TTL_MS: int.positive().optional(),
  EMULATOR_WEBHOOK_RETRY_ATTEMPTS: int.positive().optional(),
  EMULATOR_WEBHOOK_RETRY_INITIAL_DELAY_MS: int.optional(),
  EMULATOR_WEBHOOK_RETRY_MAX_DELAY_MS: int.optional(),
  EMULATOR_WEBHOOK_TIMEOUT_MS: int.positive().optional(),
  EMULATOR_FAULTS: json.pipe(faultsSchema).optional(),
  EMULATOR_CATALOGUE_FILE: z
    .string()
    .min(1)
    .transform((file, ctx) => {
      try {
        return readFileSync(file, 'utf8')
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `cannot be read: ${(err as Error).message}` })
        return z.NEVER
      }
    })
    .pipe(json)
    .pipe(catalogueSchema)
    .optional(),
  EMULATOR_STATE_FILE: z.string().min(1).optional(),
  EMULATOR_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
})

const blankToUndefined = (env: NodeJS.ProcessEnv) =>
  Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value === '' ? undefined : value]))

const parsed = envSchema.safeParse(blankToUndefined(process.env))
if (!parsed.success) {
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
  console.error(`Invalid emulator configuration:\n${lines.join('\n')}`)
  process.exit(1)
}
const env = parsed.data
const logger = createLogger(env.EMULATOR_LOG_LEVEL, 'marketplace-emulator')

const emulator = await startEmulator({
  host: env.EMULATOR_HOST,
  port: env.EMULATOR_PORT,
  publicUrl: env.EMULATOR_PUBLIC_URL,
  publisherId: env.EMULATOR_PUBLISHER_ID,
  publisherTenantId: env.EMULATOR_PUBLISHER_TENANT_ID,
  publisherClientId: env.EMULATOR_PUBLISHER_CLIENT_ID,
  staticToken: env.EMULATOR_STATIC_TOKEN,
  webhookUrl: env.EMULATOR_WEBHOOK_URL,
  landingPageUrl: env.EMULATOR_LANDING_PAGE_URL,
  autoAcceptMs: env.EMULATOR_AUTO_ACCEPT_MS,
  operationDelayMs: env.EMULATOR_OPERATION_DELAY_MS,
  purchaseTokenTtlMs: env.EMULATOR_PURCHASE_TOKEN_TTL_MS,
  webhookRetry: {
    attempts: env.EMULATOR_WEBHOOK_RETRY_ATTEMPTS,
    initialDelayMs: env.EMULATOR_WEBHOOK_RETRY_INITIAL_DELAY_MS,
    maxDelayMs: env.EMULATOR_WEBHOOK_RETRY_MAX_DELAY_MS,
    timeoutMs: env.EMULATOR_WEBHOOK_TIMEOUT_MS,
  },
  faults: env.EMULATOR_FAULTS,
  catalogue: env.EMULATOR_CATALOGUE_FILE,
  stateFile: env.EMULATOR_STATE_FILE,
  logger,
})

console.log(`Marketplace emulator listening on ${emulator.url}
  storefront         ${emulator.url}/
  driver API         ${emulator.driverUrl}
  OpenID metadata    ${emulator.openIdConfigurationUrl}

Configure the service with:
  MARKETPLACE_API_URL=${emulator.apiUrl}
  MARKETPLACE_STATIC_TOKEN=${emulator.staticToken}
  WEBHOOK_JWKS_URL=${emulator.jwksUrl}
  WEBHOOK_TENANT_ID=${emulator.publisherTenantId}
  WEBHOOK_AUDIENCE=${emulator.publisherClientId}
(or get tokens from ${emulator.tokenUrl} with client_id=${emulator.publisherClientId})`)

let stopping = false
async function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  logger.info({ signal }, 'stopping the marketplace emulator')
  await emulator.stop()
  process.exit(0)
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shutdown(signal))
