/**
 * The README's commands, run as written against the running service (`local/start.ts`, what `npm start`
 * runs, here on the suite's Temporal dev server and on free ports: the only change made to the commands
 * is those port numbers). The buyer's browser step in between is played by the landing-page helper, and
 * between two customer actions the test waits, as a person would, until the service has taken the last
 * one. Every shell block of the README runs, so a new one is kept working too; the Temporal UI's saved
 * queries are run against the dev server's visibility store.
 */
import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client, Connection } from '@temporalio/client'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { freePort } from '../../temporal/dev-server.ts'
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.ts'
import { eventually } from '../support/harness.ts'
import { confirmPurchase, progress } from '../support/landing.ts'
import { startProgram, type Program } from '../support/program.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const ADMIN_KEY = 'local-admin-key-not-for-production' // what `npm start` uses, as the README says

/** The README's ```sh blocks, in order. */
const blocks = [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!)
const ran = new Set<string>()

const dataDir = mkdtempSync(join(tmpdir(), 'saas-readme-'))
// mkdtemp makes it 0700; the PostgreSQL that `npm start` runs as an unprivileged user (as root) must enter it.
chmodSync(dataDir, 0o755)
let service: Program | undefined
let ports: { service: number; emulator: number }
let sub = ''

/** The README's URLs with this run's ports. */
const localised = (script: string) =>
  script
    .replaceAll('http://127.0.0.1:3000', `http://127.0.0.1:${ports.service}`)
    .replaceAll('http://127.0.0.1:3001', `http://127.0.0.1:${ports.emulator}`)

/** Runs a piece of the README with bash, after `prelude`; resolves with its output and exit code. */
function sh(script: string, prelude = '', env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn('bash', ['-c', localised(`${prelude}\n${script}`)], {
      cwd: root,
      // The operator CLI's default URL (http://127.0.0.1:3000, as `npm start` serves) moved to this run's port.
      env: { ...process.env, NODE_OPTIONS: '', SAAS_URL: `http://127.0.0.1:${ports.service}`, ...env },
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.once('exit', (code) => resolve({ code, out }))
  })
}

const blockWith = (marker: string) => {
  const block = blocks.find((b) => b.includes(marker))
  if (!block) throw new Error(`no README block with ${marker}`)
  ran.add(block)
  return block
}

const api = async (path: string) =>
  (await (
    await fetch(`http://127.0.0.1:${ports.service}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
  ).json()) as Record<string, unknown>

beforeAll(async () => {
  ports = { service: await freePort(), emulator: await freePort() }
  service = await startProgram(
    'local/start.ts',
    {
      PORT: String(ports.service),
      LOCAL_EMULATOR_PORT: String(ports.emulator),
      LOCAL_DATA_DIR: dataDir,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      MARKETPLACE_API_URL: '',
      DEMO_PROVISION_DELAY_MS: '200',
    },
    'Ctrl-C stops everything.',
  )
}, 180_000)

afterAll(async () => {
  await service?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('README', () => {
  it('"Try it": buy, confirm in the browser, then play the customer, as written', async () => {
    // 1. The purchase; the shell keeps E and SUB for what follows.
    const purchase = await sh(`${blockWith('/driver/purchases')}\necho "__SUB=$SUB"`)
    expect(purchase.code, purchase.out).toBe(0)
    sub = /__SUB=(\S+)/.exec(purchase.out)![1]!
    const { landingUrl } = JSON.parse(purchase.out.split('\n')[0]!) as { landingUrl: string }
    expect(sub).toMatch(/^[0-9a-f-]{36}$/)

    // 2. The buyer in the browser.
    const statusUrl = await confirmPurchase(landingUrl)
    await eventually(async () => (await progress(statusUrl)).step === 'subscribed.idle', { what: 'Subscribed' })

    // 3. The customer, one command at a time, each taken by the service before the next.
    const prelude = `E=http://127.0.0.1:3001\nSUB=${sub}`
    const customer = blockWith('$SUB/change-quantity')
    const commands = customer.split('\n').filter((line) => line.trim() && !line.trim().startsWith('#'))
    for (const command of commands) {
      const { code, out } = await sh(command, prelude)
      expect(code, command).toBe(0)
      expect(out, command).not.toMatch(/"error"/)
      const operationId = (JSON.parse(out) as { operation?: { id?: string } }).operation?.id
      if (!operationId) continue
      // One look at the API, as a person would: the operation's decision is there and no change is pending
      // (the API reads the decisions before the view, so a change seen decided and not pending is settled).
      await eventually(
        async () => {
          const view = (await api(`/api/subscriptions/${sub}`)) as {
            pendingChange?: unknown
            decisions?: { operationId?: string }[]
          }
          return !view.pendingChange && view.decisions?.some((o) => o.operationId === operationId)
        },
        { what: `the service to take operation ${operationId} (${command})`, timeoutMs: 60_000 },
      )
    }
    // The Suspend is a notification: the service reads Microsoft's view after it, then shows Suspended.
    const view = await eventually(
      async () => {
        const view = await api(`/api/subscriptions/${sub}`)
        return view.saasSubscriptionStatus === 'Suspended' && view
      },
      { what: 'Suspended', timeoutMs: 60_000 },
    )
    expect(view).toMatchObject({ planId: 'enterprise', quantity: 12, saasSubscriptionStatus: 'Suspended' })
  })

  it('"Operations": the CLI commands run as written', async () => {
    const { code, out } = await sh(blockWith('npm run ops'), `SUB=${sub}`)
    expect(code, out).toBe(0)
    expect(out).toContain(sub)
    expect(out).toMatch(/Status:\s+Suspended/)
  })

  it('"Running it elsewhere": the search attribute registration runs and covers every attribute', async () => {
    const block = blockWith('search-attribute create')
    for (const name of Object.keys(SEARCH_ATTRIBUTES)) expect(block, name).toContain(name)
    const { code, out } = await sh(block, 'set -e', {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      PATH: `${dirname(inject('temporalCliPath'))}:${process.env.PATH}`,
    })
    expect(code, out).toBe(0)
  })

  it('has Temporal UI saved queries that the visibility store accepts', async () => {
    const section = readme.slice(readme.indexOf('### The Temporal UI as a console'))
    const queries = [...section.slice(0, section.indexOf('\n## ')).matchAll(/^\|[^|]+\|\s*`(.+)`\s*\|$/gm)].map((m) =>
      m[1]!.replaceAll('<tenant id>', '00000000-0000-4000-8000-000000000000'),
    )
    expect(queries.length).toBeGreaterThan(3)
    const client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) })
    try {
      for (const query of queries) {
        const page = client.workflow.list({ query, pageSize: 1 })[Symbol.asyncIterator]()
        await expect(page.next(), query).resolves.toBeDefined()
      }
    } finally {
      await client.connection.close()
    }
  })

  it('every other shell block runs as written', async () => {
    const rest = blocks.filter((b) => !ran.has(b) && !/^npm start\b/m.test(b))
    for (const block of rest) {
      const { code, out } = await sh(block, `SUB=${sub}\nE=http://127.0.0.1:3001`)
      expect(code, `${block}\n${out}`).toBe(0)
      expect(out, block).not.toMatch(/"error"/)
    }
  })
})
