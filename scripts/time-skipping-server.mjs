// Finds or provisions Temporal's time-skipping test server (the Java program `io.temporal.testserver.TestServer`)
// for TestWorkflowEnvironment.createTimeSkipping, using only Maven Central: @temporalio/testing would
// otherwise download a native build at run time, and nothing outside the package registries is reachable.
//
// Order: TEMPORAL_TEST_SERVER_PATH, then the project cache (.cache/temporal-test-server/<version>), then
// provisioning with `mvn dependency:build-classpath` (the jar is thin: grpc, protobuf and the SDK come as
// its dependencies, checksums enforced) into a Maven repository inside the cache. The result is a shell
// wrapper the SDK spawns with `<port>`.
//
// Why a class-data-sharing archive: the SDK gives the server 5 seconds to answer, and a cold JVM loading
// this classpath takes 5-7 s on a loaded 2-core machine; with the archive (written once, at provisioning)
// and the C1 compiler only, it starts in 1-2 s there.
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ProvisionError, run, runAsScript, tail } from './provision.mjs'

export const TEST_SERVER_VERSION = '1.38.0'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const cacheDir = join(root, '.cache', 'temporal-test-server')
const MAIN_CLASS = 'io.temporal.testserver.TestServer'
const JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xlog:cds=off', '-Xlog:cds+dynamic=off']

/** Returns the absolute path of an executable that runs the test server, provisioning it when needed; throws with advice. */
export async function resolveTimeSkippingServer({ log = (m) => console.error(m) } = {}) {
  const explicit = process.env.TEMPORAL_TEST_SERVER_PATH
  if (explicit) {
    if (!existsSync(explicit)) throw new ProvisionError(`TEMPORAL_TEST_SERVER_PATH=${explicit} does not exist.`)
    return resolve(explicit)
  }
  const home = join(cacheDir, TEST_SERVER_VERSION)
  const wrapper = join(home, 'test-server')
  if (existsSync(wrapper)) return wrapper
  const started = Date.now()
  try {
    await provision(home, log)
  } catch (err) {
    throw new ProvisionError(
      [
        `Could not provision Temporal's time-skipping test server ${TEST_SERVER_VERSION} from Maven Central: ${err.message}`,
        'It needs Java >= 17 (`java` on PATH) and Maven (`mvn` on PATH) with access to Maven Central,',
        'or set TEMPORAL_TEST_SERVER_PATH to an executable that runs `TestServer <port>` (e.g. the native',
        'build of temporal-test-server).',
      ].join('\n'),
    )
  }
  log(
    `Temporal test server ${TEST_SERVER_VERSION} ready (${Math.round((Date.now() - started) / 1000)} s) at ${wrapper}`,
  )
  return wrapper
}

async function provision(home, log) {
  if (run('java', ['-version']).status !== 0) throw new Error('java is not installed')
  if (run('mvn', ['--version']).status !== 0) throw new Error('mvn (Apache Maven) is not installed')
  log(`Temporal test server: resolving io.temporal:temporal-test-server:${TEST_SERVER_VERSION} from Maven Central…`)
  // Built beside the final folder and renamed into place, so an interrupted run leaves no half cache.
  const work = `${home}.partial-${process.pid}`
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  try {
    writeFileSync(join(work, 'pom.xml'), pom())
    const classpathFile = join(work, 'classpath.txt')
    const mvn = run(
      'mvn',
      [
        '-q',
        '-B',
        '--strict-checksums',
        `-Dmaven.repo.local=${join(cacheDir, 'm2')}`,
        'dependency:build-classpath',
        `-Dmdep.outputFile=${classpathFile}`,
      ],
      { cwd: work },
    )
    if (mvn.status !== 0) throw new Error(`mvn dependency:build-classpath failed: ${tail(mvn.stdout + mvn.stderr)}`)
    const classpath = readFileSync(classpathFile, 'utf8').trim()
    await writeSharedArchive(classpath, join(work, 'app.jsa'))
    const final = home
    writeFileSync(
      join(work, 'test-server'),
      [
        '#!/bin/sh',
        `# Temporal's time-skipping test server ${TEST_SERVER_VERSION}, written by scripts/time-skipping-server.mjs.`,
        `exec java ${JVM_FLAGS.join(' ')} -XX:SharedArchiveFile="${join(final, 'app.jsa')}" \\`,
        `  -cp "${classpath}" ${MAIN_CLASS} "$@"`,
        '',
      ].join('\n'),
    )
    chmodSync(join(work, 'test-server'), 0o755)
    rmSync(final, { recursive: true, force: true })
    renameSync(work, final)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** Runs the server once until it listens, then stops it: the JVM writes the classes it loaded to `archive` on exit. */
async function writeSharedArchive(classpath, archive) {
  const port = await freePort()
  const jvm = spawn(
    'java',
    [...JVM_FLAGS, `-XX:ArchiveClassesAtExit=${archive}`, '-cp', classpath, MAIN_CLASS, `${port}`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  let stderr = ''
  jvm.stderr.on('data', (chunk) => (stderr += chunk))
  const exited = new Promise((done) => jvm.on('exit', (code, signal) => done({ code, signal })))
  const deadline = Date.now() + 60_000
  while (!(await listening(port))) {
    if (jvm.exitCode !== null) throw new Error(`the test server exited (${jvm.exitCode}): ${tail(stderr)}`)
    if (Date.now() > deadline) {
      jvm.kill('SIGKILL')
      throw new Error('the test server did not listen within 60 s')
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  jvm.kill('SIGTERM')
  await exited
  if (!existsSync(archive)) throw new Error(`the JVM wrote no class-data archive: ${tail(stderr)}`)
}

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer()
    server.on('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => done(port))
    })
  })
}

function listening(port) {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy()
      done(true)
    })
    socket.once('error', () => done(false))
  })
}

function pom() {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId>
  <artifactId>temporal-test-server-classpath</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${TEST_SERVER_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`
}

await runAsScript(import.meta.url, resolveTimeSkippingServer)
