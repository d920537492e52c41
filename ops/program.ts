/**
 * `saas-ops`, the operators' command line (commander): list, show, retry, resync, reconcile and usage,
 * each one call (or a short poll) to the service's `/api` with the admin key. Human-readable by default,
 * `--json` for scripts; the exit codes are in `api.ts` (`EXIT`) and in `--help`.
 *
 * `run()` is the whole program without `process`: tests call it with their own environment and output.
 * @module
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import type { z } from 'zod'
import type { subscriptionDetailSchema, summarySchema } from '../server/api/schemas.ts'
import { createApi, EXIT, OpsError, type Api } from './api.ts'
import { fields, table } from './render.ts'

type Summary = z.infer<typeof summarySchema>
type Detail = z.infer<typeof subscriptionDetailSchema>
interface Page {
  subscriptions: Summary[]
  nextPageToken?: string
  query: string
}

/** GET /api/reconciliations/{id}: the parts the CLI shows. */
interface Reconciliation {
  id: string
  state: 'running' | 'finished' | 'failed'
  report?: {
    startedAt?: string
    finishedAt?: string
    counts?: { checked?: number; inSync?: number; repaired?: Record<string, number>; reported?: Record<string, number> }
    repairs?: Finding[]
    reports?: Finding[]
    error?: string
  }
}
interface Finding {
  subscriptionId: string
  kind: string
  message: string
}

/** GET /api/subscriptions/{id}/usage: one row per hour and dimension, and the included quantities left. */
interface Usage {
  hours: UsageHour[]
  included?: { dimension: string; periodStart: string; included: number; consumed: number; remaining: number }[]
}
interface UsageHour {
  hour: string
  dimension: string
  status: string
  quantity: number
  reported?: number | null
  deadline?: string
  reason?: string | null
}

export interface Io {
  env: Record<string, string | undefined>
  out: (text: string) => void
  err: (text: string) => void
  fetch?: typeof fetch
  /** Between two reads of a running reconciliation. */
  pollMs?: number
}

const EXIT_HELP = `
Environment:
  SAAS_URL        the service, e.g. https://fulfillment.contoso.example (default http://127.0.0.1:3000)
  SAAS_ADMIN_KEY  the service's ADMIN_API_KEY (required)

Exit codes:
  ${EXIT.ok}  done
  ${EXIT.failed}  the service refused or failed the request (or the reconciliation run failed)
  ${EXIT.usage}  bad arguments or missing SAAS_ADMIN_KEY: nothing was sent
  ${EXIT.notFound}  no such subscription or reconciliation run
  ${EXIT.unauthorized}  the admin key was refused
  ${EXIT.unavailable}  the service is unreachable or unavailable: try again later`

const STATUSES = ['PendingFulfillmentStart', 'Subscribed', 'Suspended', 'Unsubscribed']

/** Runs one command line (without `node` and the script) and resolves with its exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  const program = buildProgram(io)
  try {
    await program.parseAsync(argv, { from: 'user' })
    return EXIT.ok
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; every other commander error is a usage error.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage
    }
    if (err instanceof OpsError) {
      const json = program.opts<{ json?: boolean }>().json
      if (json) io.out(JSON.stringify({ error: err.message, exitCode: err.exitCode, body: err.body }, null, 2))
      io.err(`saas-ops: ${err.message}`)
      return err.exitCode
    }
    io.err(`saas-ops: ${err instanceof Error ? err.message : String(err)}`)
    return EXIT.failed
  }
}

function buildProgram(io: Io): Command {
  const program = new Command('saas-ops')
    .description("Operate saas-fulfillment through its /api: subscriptions, retries, Microsoft's view, usage.")
    .addOption(
      new Option('--url <url>', 'the service (or SAAS_URL)').default(io.env.SAAS_URL ?? 'http://127.0.0.1:3000'),
    )
    .option('--json', 'print the JSON the service answered, for scripts')
    .addHelpText('after', EXIT_HELP)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })

  /** The API client, and how to print, for one command. */
  const context = (command: Command) => {
    const { url, json } = command.optsWithGlobals<{ url: string; json?: boolean }>()
    const adminKey = io.env.SAAS_ADMIN_KEY
    if (!adminKey)
      throw new OpsError('SAAS_ADMIN_KEY is not set: export the service’s ADMIN_API_KEY as SAAS_ADMIN_KEY', EXIT.usage)
    const api = createApi({ url, adminKey, fetch: io.fetch })
    const print = (value: unknown, human: () => string) => io.out(json ? JSON.stringify(value, null, 2) : human())
    return { api, print }
  }

  program
    .command('list')
    .description('List subscriptions, newest first (the same filters as the Temporal UI)')
    .addOption(new Option('--status <status>', "Microsoft's status").choices(STATUSES))
    .option('--tenant <tenantId>', 'beneficiary or purchaser tenant id')
    .option('--offer <offerId>', 'offer id')
    .option('--plan <planId>', 'plan id')
    .option('--limit <n>', 'subscriptions per page (1–1000)', positiveInt, 100)
    .option('--page <token>', 'the next page: a nextPageToken printed by the previous one')
    .option('--all', 'follow every page')
    .action(async (opts: ListOptions, command: Command) => {
      const { api, print } = context(command)
      const page = await list(api, opts)
      print(page, () => renderList(page))
    })

  program
    .command('show')
    .description('A subscription: where it stands, its failing step, pending changes and recent operations')
    .argument('<subscriptionId>', "Microsoft's subscription id")
    .action(async (id: string, _opts: unknown, command: Command) => {
      const { api, print } = context(command)
      const detail = await api<Detail>('GET', `/api/subscriptions/${encodeURIComponent(id)}`)
      print(detail, () => renderDetail(detail))
    })

  program
    .command('retry')
    .description('Retry the failed step of a subscription (provisioningFailed, activationFailed, …)')
    .argument('<subscriptionId>', "Microsoft's subscription id")
    .action(async (id: string, _opts: unknown, command: Command) => {
      const { api, print } = context(command)
      const answer = await api<unknown>('POST', `/api/subscriptions/${encodeURIComponent(id)}/retry`)
      print(answer, () => `Retry requested for ${id}: follow it with \`saas-ops show ${id}\`.`)
    })

  program
    .command('resync')
    .description("Read the subscription at Microsoft now and converge to Microsoft's view")
    .argument('<subscriptionId>', "Microsoft's subscription id")
    .action(async (id: string, _opts: unknown, command: Command) => {
      const { api, print } = context(command)
      const answer = await api<unknown>('POST', `/api/subscriptions/${encodeURIComponent(id)}/resync`)
      print(answer, () => `Resync requested for ${id}: follow it with \`saas-ops show ${id}\`.`)
    })

  program
    .command('reconcile')
    .description("Compare every subscription with Microsoft's now; wait for the run and print its report")
    .option('--no-wait', 'print the run id and return at once')
    .option('--timeout <seconds>', 'give up waiting after this long (the run goes on)', positiveInt, 600)
    .action(async (opts: { wait: boolean; timeout: number }, command: Command) => {
      const { api, print } = context(command)
      const { id } = await api<{ id: string }>('POST', '/api/reconciliations')
      if (!opts.wait) return print({ id }, () => `Reconciliation ${id} started: \`saas-ops reconcile\` waits for it.`)
      const deadline = Date.now() + opts.timeout * 1000
      let runState = await api<Reconciliation>('GET', `/api/reconciliations/${encodeURIComponent(id)}`)
      while (runState.state === 'running') {
        if (Date.now() > deadline)
          throw new OpsError(`reconciliation ${id} still running after ${opts.timeout} s`, EXIT.unavailable, runState)
        await new Promise((r) => setTimeout(r, io.pollMs ?? 1_000))
        runState = await api<Reconciliation>('GET', `/api/reconciliations/${encodeURIComponent(id)}`)
      }
      print(runState, () => renderReconciliation(runState))
      if (runState.state === 'failed')
        throw new OpsError(`reconciliation ${id} failed: ${runState.report?.error ?? 'see its report'}`, EXIT.failed)
    })

  program
    .command('usage')
    .description('Metered usage of a subscription, one row per hour and dimension, and where each hour stands')
    .argument('<subscriptionId>', "Microsoft's subscription id")
    .option('--from <time>', 'first hour (ISO 8601; default 24 hours ago)', isoTime)
    .option('--to <time>', 'end, exclusive (ISO 8601; default now)', isoTime)
    .action(async (id: string, opts: { from?: string; to?: string }, command: Command) => {
      const { api, print } = context(command)
      const to = opts.to ?? new Date().toISOString()
      const from = opts.from ?? new Date(Date.parse(to) - 24 * 3_600_000).toISOString()
      const usage = await api<Usage>('GET', `/api/subscriptions/${encodeURIComponent(id)}/usage`, { from, to })
      print(usage, () => renderUsage(usage))
    })

  return program
}

interface ListOptions {
  status?: string
  tenant?: string
  offer?: string
  plan?: string
  limit: number
  page?: string
  all?: boolean
}

async function list(api: Api, opts: ListOptions): Promise<Page> {
  const query = {
    status: opts.status,
    tenantId: opts.tenant,
    offerId: opts.offer,
    planId: opts.plan,
    pageSize: String(opts.limit),
  }
  let page = await api<Page>('GET', '/api/subscriptions', { ...query, pageToken: opts.page })
  if (!opts.all) return page
  const subscriptions = [...page.subscriptions]
  while (page.nextPageToken) {
    page = await api<Page>('GET', '/api/subscriptions', { ...query, pageToken: page.nextPageToken })
    subscriptions.push(...page.subscriptions)
  }
  return { subscriptions, query: page.query }
}

function renderList(page: Page): string {
  const rows = page.subscriptions.map((s) => [
    s.subscriptionId,
    s.status,
    s.step,
    s.offerId,
    s.planId,
    s.quantity,
    s.beneficiaryTenantId,
  ])
  const lines = [
    table(['SUBSCRIPTION', 'STATUS', 'STEP', 'OFFER', 'PLAN', 'SEATS', 'TENANT'], rows),
    `${page.subscriptions.length} subscription(s). Temporal UI query: ${page.query}`,
  ]
  if (page.nextPageToken) lines.push(`More: --page ${page.nextPageToken}`)
  return lines.join('\n')
}

function renderDetail(d: Detail): string {
  const sections = [
    fields([
      ['Subscription', d.id],
      ['Name', d.name],
      ['Status', d.saasSubscriptionStatus],
      ['Step', d.step],
      ['Offer / plan', `${d.offerId} / ${d.planId}`],
      ['Seats', d.quantity],
      ['Beneficiary tenant', d.beneficiary?.tenantId],
      ['Purchaser tenant', d.purchaser?.tenantId],
      [
        'Term',
        d.term ? `${d.term.termUnit ?? ''} ${d.term.startDate ?? ''} → ${d.term.endDate ?? ''}`.trim() : undefined,
      ],
      ['Free trial', d.isFreeTrial || undefined],
      ['Test', d.isTest || undefined],
      ['Unsubscribed at', d.unsubscribedAt],
      ['Data kept until', d.retainUntil],
    ]),
  ]
  if (d.failure)
    sections.push(
      `Failing: ${d.failure.step} since ${d.failure.at ?? '?'}: ${d.failure.message}\n` +
        `  fix the cause, then: saas-ops retry ${d.id}`,
    )
  if (d.pendingChange)
    sections.push(
      `Customer change waiting for a decision: ${d.pendingChange.action} ` +
        `${d.pendingChange.planId ?? d.pendingChange.quantity ?? ''} (operation ${d.pendingChange.operationId}, received ${d.pendingChange.receivedAt})`,
    )
  if (d.pendingRequest)
    sections.push(
      `Vendor request at Microsoft: ${d.pendingRequest.kind} ${d.pendingRequest.planId ?? d.pendingRequest.quantity ?? ''}` +
        `${d.pendingRequest.operationId ? ` (operation ${d.pendingRequest.operationId})` : ''}`,
    )
  sections.push(
    'Decisions (newest first):\n' +
      table(
        ['AT', 'EVENT', 'FROM', 'TO', 'OUTCOME', 'OPERATION', 'REASON'],
        d.decisions.map((o) => [o.at, o.event, o.from, o.to, o.outcome, o.operationId, o.reason]),
      ),
  )
  if (d.recentRequests.length > 0)
    sections.push(
      'Vendor requests:\n' +
        table(
          ['REQUEST', 'KIND', 'PLAN', 'SEATS', 'OUTCOME', 'MESSAGE'],
          d.recentRequests.map((r) => [r.requestId, r.kind, r.planId, r.quantity, r.outcome, r.message]),
        ),
    )
  return sections.join('\n\n')
}

function renderReconciliation(r: Reconciliation): string {
  const counts = r.report?.counts ?? {}
  const kinds = (o: Record<string, number> | undefined) =>
    Object.entries(o ?? {})
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none'
  const findings = [...(r.report?.repairs ?? []), ...(r.report?.reports ?? [])]
  const lines = [
    fields([
      ['Reconciliation', r.id],
      ['State', r.state],
      ['Started', r.report?.startedAt],
      ['Finished', r.report?.finishedAt],
      ['Checked', counts.checked],
      ['In sync', counts.inSync],
      ['Repaired', kinds(counts.repaired)],
      ['Reported', kinds(counts.reported)],
      ['Error', r.report?.error],
    ]),
  ]
  if (findings.length > 0)
    lines.push(
      table(
        ['SUBSCRIPTION', 'KIND', 'WHAT'],
        findings.map((f) => [f.subscriptionId, f.kind, f.message]),
      ),
    )
  return lines.join('\n\n')
}

function renderUsage(usage: Usage): string {
  const sections = [
    table(
      ['HOUR', 'DIMENSION', 'STATUS', 'QUANTITY', 'REPORTED', 'DEADLINE', 'REASON'],
      usage.hours.map((h) => [h.hour, h.dimension, h.status, h.quantity, h.reported, h.deadline, h.reason]),
    ),
    `${usage.hours.length} hour(s).`,
  ]
  if (usage.included?.length)
    sections.push(
      'Included in the current term period:\n' +
        table(
          ['DIMENSION', 'PERIOD START', 'INCLUDED', 'CONSUMED', 'REMAINING'],
          usage.included.map((i) => [i.dimension, i.periodStart, i.included, i.consumed, i.remaining]),
        ),
    )
  return sections.join('\n')
}

function positiveInt(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number ≥ 1')
  return n
}

function isoTime(value: string): string {
  const t = Date.parse(value)
  if (Number.isNaN(t)) throw new InvalidArgumentError('must be a time such as 2026-01-31T10:00:00Z')
  return new Date(t).toISOString()
}
