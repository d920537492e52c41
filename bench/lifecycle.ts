/**
 * `npm run bench`: every figure of bench/run.ts in one run, on a Temporal dev server of its own (SQLite in
 * a temporary file, as `npm start` uses), the project's emulator and real HTTP; printed, and written to
 * bench/results/<time>.json, with issue 12's goals judged on them (goals.ts). BENCH_SHORT=1 (or CI=true)
 * runs the short plan in about a minute.
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveTemporalCli } from '../scripts/temporal-cli.mjs'
import { startDevServer } from '../temporal/dev-server.ts'
import { judge } from './goals.ts'
import { FULL, runBench, SHORT } from './run.ts'

const short = !!process.env.BENCH_SHORT || process.env.CI === 'true'
const dir = mkdtempSync(join(tmpdir(), 'saas-bench-'))
const server = await startDevServer({ cliPath: resolveTemporalCli(), dbFile: join(dir, 'temporal.db'), uiPort: false })
try {
  const loadBefore = loadavg()[0]
  const figures = await runBench(server.address, short ? SHORT : FULL, server.process.pid)
  const result = {
    at: new Date().toISOString(),
    mode: short ? 'short' : 'full',
    // Other work on the machine skews every latency: the load average says how busy it was.
    loadAverage: { before: +loadBefore!.toFixed(1), after: +loadavg()[0]!.toFixed(1) },
    // Issue 12's goals, each met or not, and what limits an unmet one, read from this run's figures.
    goals: judge(figures, availableParallelism()),
    ...figures,
  }
  console.log(JSON.stringify(result, null, 2))
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
  const file = new URL(`./results/${result.at.replace(/[:.]/g, '-')}.json`, import.meta.url)
  writeFileSync(file, JSON.stringify(result, null, 2))
  console.log(`written to ${file.pathname}`)
} finally {
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
}
