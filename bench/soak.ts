/**
 * `npm run soak`: the soak of bench/soak-run.ts on a Temporal dev server of its own. SOAK_SUBSCRIPTIONS
 * (default 100), SOAK_ROUNDS (4), SOAK_KILLS (3), SOAK_RESTARTS (1), SOAK_SEED (1). Prints the invariants
 * with their counts; exits 1 when one does not hold.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveTemporalCli } from '../scripts/temporal-cli.mjs'
import { startDevServer } from '../temporal/dev-server.ts'
import { runSoak } from './soak-run.ts'

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const dir = mkdtempSync(join(tmpdir(), 'saas-soak-'))
const server = await startDevServer({ cliPath: resolveTemporalCli(), dbFile: join(dir, 'temporal.db'), uiPort: false })
const started = Date.now()
try {
  const report = await runSoak({
    temporalAddress: server.address,
    subscriptions: number('SOAK_SUBSCRIPTIONS', 100),
    rounds: number('SOAK_ROUNDS', 4),
    kills: number('SOAK_KILLS', 3),
    restarts: number('SOAK_RESTARTS', 1),
    seed: number('SOAK_SEED', 1),
    log: (line) => console.log(`soak: ${line} (${Math.round((Date.now() - started) / 1000)} s)`),
  })
  console.log(JSON.stringify(report, null, 2))
  const { invariants: i } = report
  console.log(`
every subscription ends in Microsoft's state  ${i.inMicrosoftsState.ok}/${report.subscriptions}
nothing accepted was lost                     ${i.nothingAcceptedLost.accepted - i.nothingAcceptedLost.lost.length}/${i.nothingAcceptedLost.accepted} accepted operations in the decision records
no effect happened twice                      ${i.noEffectTwice.twice.length} twice (${i.noEffectTwice.activations} activations, ${i.noEffectTwice.patches} PATCHes, hooks at most once)
nothing is stuck                              ${i.nothingStuck.ok}/${report.subscriptions} idle, no failing hook
${report.passed ? 'PASSED' : 'FAILED'}`)
  process.exitCode = report.passed ? 0 : 1
} finally {
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
}
