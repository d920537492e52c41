// Runs before `npm start` and `npm test` (npm's pre-scripts) so both work on a fresh clone:
// installs the locked dependencies when they are missing or stale, then finds or provisions the Temporal CLI.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { resolveTemporalCli } from './temporal-cli.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const stamp = join(root, 'node_modules', '.lockfile.sha256')
const lock = createHash('sha256')
  .update(readFileSync(join(root, 'package-lock.json')))
  .digest('hex')

if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== lock) {
  console.error('Installing dependencies (npm ci)…')
  const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' })
  if (npm.status !== 0) {
    console.error('npm ci failed: see the output above.')
    process.exit(1)
  }
  mkdirSync(dirname(stamp), { recursive: true })
  writeFileSync(stamp, lock)
}

try {
  resolveTemporalCli()
} catch (err) {
  console.error(err.message)
  process.exit(1)
}
